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
//! rollback. A `PAUSE` hook stops the deployment at its stage, in progress, its details
//! `AWAITING_ACTION`, until ContinueServiceDeployment ([`resume`]; ECS Developer Guide, "Pause
//! hooks for Amazon ECS service deployments"); moto has no such call.

use serde_json::Value;

use super::credentials::grants;
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};
use crate::rollout::{Invocation, Pause, Rollout};

/// The stages a deployment of a new revision goes through, in order (ECS API Reference,
/// `DeploymentLifecycleHook.lifecycleStages`; RECONCILE_SERVICE left out, as above).
const STAGES: [&str; 7] = [
    "PRE_SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRE_PRODUCTION_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
];

/// At an UpdateService (`body`) that deploys a new revision on service `arn` with an advanced
/// configuration, `config` its deployment configuration (the one asked for, else the one it
/// keeps): invokes its hooks stage by stage until one fails; the rollout is then rolled back
/// by that hook, else it goes on as it would (a rollout an earlier hook failed is done with).
pub async fn invoke(moto: &Upstream, arn: &str, (body, config): (&Value, &Value)) {
    moto.rollouts().unpause(arn);
    invoke_from(moto, arn, (body, config), 0).await
}

/// [`invoke`] from stage `from` of [`STAGES`] on: a `PAUSE` hook at a stage (after the
/// stage's Lambda hooks) pauses the deployment there ([`crate::rollout::Pause`]) until
/// ContinueServiceDeployment ([`resume`]).
async fn invoke_from(moto: &Upstream, arn: &str, (body, config): (&Value, &Value), from: usize) {
    let all = config["lifecycleHooks"].as_array().cloned();
    let (pauses, hooks): (Vec<Value>, Vec<Value>) = all
        .unwrap_or_default()
        .into_iter()
        .partition(|h| h["targetType"] == "PAUSE");
    let revision = body["taskDefinition"].as_str().unwrap_or_default();
    // Whether ECS may invoke each hook's function with its role, read once.
    let mut may = Vec::new();
    for hook in &hooks {
        may.push(invokable(moto, hook).await);
    }
    for (i, stage) in STAGES.iter().enumerate().skip(from) {
        let stage = *stage;
        let at_stage = hooks.iter().zip(&may).filter(|(h, _)| names(h, stage));
        for (hook, may) in at_stage {
            let function = hook["hookTargetArn"].as_str().unwrap_or_default();
            let invocation = Invocation {
                service: arn.to_string(),
                stage: stage.to_string(),
                function: function.to_string(),
                details: hook["hookDetails"].clone(),
            };
            moto.rollouts().invoked(invocation);
            if !may || moto.rollouts().hook_fails(function, revision) {
                let failed = Rollout::Hook {
                    function: function.to_string(),
                    stage: stage.to_string(),
                };
                moto.rollouts().set_for(arn, failed);
                return;
            }
        }
        if pauses.iter().any(|p| names(p, stage)) {
            let pause = Pause {
                stage: i,
                at: stage,
                body: body.clone(),
                config: config.clone(),
            };
            moto.rollouts().pause(arn, pause);
            return;
        }
    }
    moto.rollouts().hooks_passed(arn);
}

/// ContinueServiceDeployment (moto has none): the deployment `serviceDeploymentArn` paused at
/// hook `hookId` goes on to its next stage (`CONTINUE`, the default) or is rolled back
/// (`ROLLBACK`); a hook not awaiting action is refused (ECS Developer Guide, "Continuing
/// service deployments": the pause hook must be `AWAITING_ACTION` and the deployment
/// `IN_PROGRESS`).
pub async fn resume(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::NativeDeployments) {
        return None;
    }
    let deployment = body["serviceDeploymentArn"].as_str().unwrap_or_default();
    let hook = body["hookId"].as_str().unwrap_or_default();
    let Some((arn, pause, before)) = moto.rollouts().take_pause(deployment, hook) else {
        let message = format!("The lifecycle hook {hook} is not awaiting action.");
        return Some(Verdict::Refuse(Refusal::new(
            "InvalidParameterException",
            &message,
        )));
    };
    match body["action"].as_str() {
        Some("ROLLBACK") => {
            let stage = STAGES[pause.stage].to_string();
            let rolled_back = Rollout::Hook {
                function: String::new(),
                stage,
            };
            moto.rollouts().set_for(&arn, rolled_back);
        }
        _ => {
            moto.rollouts().set_for(&arn, before);
            let at = (&pause.body, &pause.config);
            Box::pin(invoke_from(moto, &arn, at, pause.stage + 1)).await;
        }
    }
    let answer = serde_json::json!({"serviceDeploymentArn": deployment});
    Some(Verdict::Answer(answer.to_string()))
}

/// Whether ECS can invoke `hook`'s function with its `roleArn`: one of the role's inline
/// policies (read from moto; none if the role is missing) allows `lambda:InvokeFunction` on
/// it.
async fn invokable(moto: &Upstream, hook: &Value) -> bool {
    let role = hook["roleArn"].as_str().unwrap_or_default();
    let name = super::wire::short(role);
    let function = hook["hookTargetArn"].as_str().unwrap_or_default();
    grants(moto, name, ("lambda:InvokeFunction", function)).await == Some(true)
}

/// Whether `hook` runs at `stage`.
fn names(hook: &Value, stage: &str) -> bool {
    let stages = hook["lifecycleStages"].as_array();
    stages.is_some_and(|s| s.iter().any(|x| x == stage))
}
