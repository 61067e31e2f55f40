//! Rule 27b: the lifecycle hooks of ECS's blue/green, canary and linear deployments. A
//! deployment of a new revision on a service with an advanced configuration goes through its
//! lifecycle stages in order, and at each one ECS invokes every Lambda hook that names it with
//! the hook's `roleArn`; a hook that answers `FAILED`, or that ECS cannot invoke, rolls the
//! deployment back (ECS API Reference, `DeploymentLifecycleHook`; ECS Developer Guide, "Lambda
//! hooks for Amazon ECS service deployments": "If your function doesn't return a valid
//! hookStatus, or if it fails, Amazon ECS rolls back the deployment"; "Permissions required for
//! Lambda functions in Amazon ECS blue/green deployments": `lambda:InvokeFunction`).
//! ListServiceDeployments and DescribeServiceDeployments then show the failed hook in
//! `lifecycleHookDetails` at the deployment's `lifecycleStage`. moto runs no hook: the player
//! records each invocation (the stage, the function, its `hookDetails`) and a test says which
//! function answers FAILED for which image (`Rollouts::fail_hook`); a role's inline policies
//! are read from moto as rule 20 reads them (its permissions boundary is the policy check's).
//! RECONCILE_SERVICE runs only when a deployment starts with more than one revision ACTIVE,
//! which the player never shows; PRODUCTION_TRAFFIC_SHIFT once, as for BLUE_GREEN (ECS runs it
//! at each step of a canary or linear shift). A deployment with no hook ends an earlier hook's
//! rollback.

use serde_json::Value;

use prod_e::spec::hooks::STAGES;

use super::credentials::allowed;
use super::{AwsRules, Rule, Upstream};
use crate::rollout::{Invocation, Rollout};

/// At an UpdateService (`body`) that deploys a new revision on service `arn` with an advanced
/// configuration: invokes the hooks of its deployment configuration (the one asked for, else
/// the one it keeps) stage by stage until one fails; the rollout is then rolled back by that
/// hook, else it goes on as it would (a rollout an earlier hook failed is done with).
pub async fn invoke(rules: &AwsRules, moto: &Upstream, arn: &str, body: &Value) {
    let config = match body.get("deploymentConfiguration") {
        Some(c) => c.clone(),
        None => rules
            .with(|s| s.settings.get(arn)?.get("deploymentConfiguration").cloned())
            .unwrap_or_default(),
    };
    let hooks = config["lifecycleHooks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if hooks.is_empty() || !rules.on(Rule::NativeDeployments) {
        return;
    }
    let revision = body["taskDefinition"].as_str().unwrap_or_default();
    // In ECS's order; RECONCILE_SERVICE (the first) left out, as above.
    for stage in &STAGES[1..] {
        for hook in hooks.iter().filter(|h| names(h, stage)) {
            let function = hook["hookTargetArn"].as_str().unwrap_or_default();
            let invocation = Invocation {
                service: arn.to_string(),
                stage: stage.to_string(),
                function: function.to_string(),
                details: hook["hookDetails"].clone(),
            };
            moto.rollouts().invoked(invocation);
            let role = hook["roleArn"].as_str().unwrap_or_default();
            if !invokable(moto, role, function).await
                || moto.rollouts().hook_fails(function, revision)
            {
                let failed = Rollout::Hook {
                    function: function.to_string(),
                    stage: stage.to_string(),
                };
                moto.rollouts().set_for(arn, failed);
                return;
            }
        }
    }
    moto.rollouts().hooks_passed(arn);
}

/// Whether ECS can invoke `function` with role `role` (an ARN): the role exists, and one of
/// its inline policies allows `lambda:InvokeFunction` on the function.
async fn invokable(moto: &Upstream, role: &str, function: &str) -> bool {
    let name = role.rsplit('/').next().unwrap_or_default();
    let exists = moto.iam.get_role().role_name(name).send().await.is_ok();
    exists && allowed(moto, name, ("lambda:InvokeFunction", function)).await
}

/// Whether `hook` runs at `stage`.
fn names(hook: &Value, stage: &str) -> bool {
    let stages = hook["lifecycleStages"].as_array();
    stages.is_some_and(|s| s.iter().any(|x| x == stage))
}
