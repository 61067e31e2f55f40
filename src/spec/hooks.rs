//! `LifecycleHooks`: Lambda functions ECS invokes at the stages of a blue/green, canary or
//! linear deployment, in ECS's shape (`DeploymentLifecycleHook`) less its `roleArn`: ECS
//! invokes them with the set's traffic role, which prod-e gives `lambda:InvokeFunction` on
//! exactly these functions (the operator's `LifecycleHookFunctionArns` bound it).
//!
//! Sources: ECS API Reference, `DeploymentLifecycleHook` (`hookTargetArn`: "only Lambda
//! function ARNs"; `lifecycleStages`; `hookDetails`: "custom parameters that Amazon ECS passes
//! to your hook target invocations"); ECS Developer Guide, "Lambda hooks for Amazon ECS service
//! deployments" (a hook that returns `FAILED`, no valid `hookStatus`, or fails rolls the
//! deployment back) and "Permissions required for Lambda functions in Amazon ECS blue/green
//! deployments" (`lambda:InvokeFunction`, a role trusted by `ecs.amazonaws.com`).

use super::object::{object, text, FieldKind};

/// The stages of an ECS deployment a hook can run at, in the order ECS reaches them (ECS API
/// Reference, `DeploymentLifecycleHook.lifecycleStages`).
pub const STAGES: [&str; 8] = [
    "RECONCILE_SERVICE",
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

/// prod-e's bound on `LifecycleHooks` (ECS documents none).
pub const HOOKS_MAX: usize = 10;

object! {
    /// One item of `LifecycleHooks`.
    pub struct LifecycleHook {
        hook_target_arn: String = "HookTargetArn", text(function_arn, None),
            "the Lambda function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME, no \
             wildcard), among the template's LifecycleHookFunctionArns (required)";
        lifecycle_stages: Vec<String> = "LifecycleStages", FieldKind::Strings { check: stages },
            "the stages ECS invokes it at (RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, \
             TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRE_PRODUCTION_TRAFFIC_SHIFT, \
             PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT)";
        hook_details: Option<serde_json::Value> = "HookDetails", FieldKind::Json,
            "an object ECS passes to every invocation (as CloudFormation sends it: its \
             numbers and booleans as strings)";
    }
}

/// A Lambda function's ARN, with an optional version or alias:
/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, no wildcard anywhere (the
/// operator's patterns are matched against it).
pub fn function_arn(s: &str) -> Result<(), String> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let shaped = super::checks::arn_of(s, "lambda").is_some_and(|rest| {
        matches!(rest.len(), 2 | 3)
            && rest[0] == "function"
            && name_ok(rest[1])
            && rest.get(2).is_none_or(|q| name_ok(q) || *q == "$LATEST")
    });
    match shaped {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be a Lambda function's ARN \
             (arn:aws:lambda:REGION:ACCOUNT:function:NAME)"
        )),
    }
}

/// At least one stage, each one of [`STAGES`], none twice.
fn stages(given: &[String]) -> Result<(), String> {
    if given.is_empty() {
        return Err("names no stage".to_string());
    }
    given
        .iter()
        .try_for_each(|s| super::checks::one_of(s, &STAGES))?;
    match given
        .iter()
        .enumerate()
        .find(|(i, s)| given[..*i].contains(s))
    {
        Some((_, s)) => Err(format!("names {s} twice")),
        None => Ok(()),
    }
}

/// Every item names its function, and none twice (ECS would invoke it twice at a stage both
/// name).
pub fn items(hooks: &[LifecycleHook]) -> Result<(), String> {
    if let Some(i) = hooks.iter().position(|h| h.hook_target_arn.is_empty()) {
        return Err(format!("item {} needs a HookTargetArn", i + 1));
    }
    let arns: Vec<&str> = hooks.iter().map(|h| h.hook_target_arn.as_str()).collect();
    match arns
        .iter()
        .enumerate()
        .find(|(i, a)| arns[..*i].contains(a))
    {
        Some((_, a)) => Err(format!(
            "names {a} twice: give it one item with every stage"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_is_a_lambda_function_at_known_stages() {
        assert!(function_arn("arn:aws:lambda:us-east-1:123456789012:function:check").is_ok());
        assert!(function_arn("arn:aws:lambda:us-east-1:123456789012:function:check:live").is_ok());
        assert!(function_arn("arn:aws:lambda:us-east-1:123456789012:layer:check").is_err());
        assert!(function_arn("arn:aws:sns:us-east-1:123456789012:function:check").is_err());
        assert!(function_arn("check").is_err());
        assert!(function_arn("arn:*:lambda:*:123456789012:function:check").is_err());
        let owned = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(stages(&owned(&["POST_TEST_TRAFFIC_SHIFT"])).is_ok());
        assert!(stages(&owned(&[])).is_err());
        assert!(stages(&owned(&["AFTER_INSTALL"])).is_err());
        assert!(stages(&owned(&["PRE_SCALE_UP", "PRE_SCALE_UP"])).is_err());
    }

    #[test]
    fn hooks_are_read_in_ecs_shape_and_need_a_native_strategy() {
        let props = |strategy: &str| {
            serde_json::json!({"VpcId": "vpc-1", "SubnetIds": ["subnet-1"],
                "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/b/c",
                "LoadBalancerSecurityGroupId": "sg-1", "DeploymentStrategy": strategy,
                "LifecycleHooks": [{
                    "HookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:check",
                    "LifecycleStages": ["PRE_SCALE_UP"],
                    "HookDetails": "{\"Path\": \"/health\"}"}]})
        };
        let spec = crate::spec::Spec::parse(&props("LINEAR")).expect("valid");
        let hook = &spec.lifecycle_hooks[0];
        assert_eq!(
            hook.hook_details,
            Some(serde_json::json!({"Path": "/health"}))
        );
        let refused = crate::spec::Spec::parse(&props("ROLLING")).expect_err("refused");
        assert!(refused.to_string().contains("LifecycleHooks"), "{refused}");
        let mut twice = props("CANARY");
        let item = twice["LifecycleHooks"][0].clone();
        twice["LifecycleHooks"] = serde_json::json!([item.clone(), item]);
        assert!(crate::spec::Spec::parse(&twice).is_err());
        let mut nameless = props("CANARY");
        nameless["LifecycleHooks"][0]["HookTargetArn"] = serde_json::json!("");
        let refused = crate::spec::Spec::parse(&nameless).expect_err("refused");
        assert!(
            refused.to_string().contains("needs a HookTargetArn"),
            "{refused}"
        );
    }
}
