//! What ECS tells of a service's deployments beyond DescribeServices (moto has neither
//! ListServiceDeployments nor DescribeServiceDeployments): a rollout a deployment alarm
//! failed is rolled back with the alarm in `alarms.triggeredAlarmNames`; one a lifecycle hook
//! failed is rolled back at that hook's `lifecycleStage`, with the hook `FAILED` in
//! `lifecycleHookDetails` (ECS API Reference, `ServiceDeployment`, `ServiceDeploymentAlarms`,
//! `DeploymentLifecycleHookDetail`; ECS Developer Guide, "Lifecycle hooks for Amazon ECS
//! service deployments", "Lifecycle hook details"); a timed native deployment in progress is
//! shown at its `lifecycleStage` ([`super::timing::native_stage`]). Also the lifecycle hooks
//! ECS invoked, as rule 27b of [`crate::aws_rules`] plays them, and which fail.

use serde_json::{json, Value};

use super::{Rollout, Rollouts, State};

/// One invocation of a lifecycle hook.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The service whose deployment invoked it.
    pub service: String,
    /// The lifecycle stage.
    pub stage: String,
    /// The Lambda function's ARN.
    pub function: String,
    /// The `hookDetails` ECS passed.
    pub details: Value,
}

/// A deployment waiting at a `PAUSE` hook.
#[derive(Debug, Clone)]
pub struct Pause {
    /// The stage it waits at (an index into the stages rule 27b plays).
    pub stage: usize,
    /// That stage's name.
    pub at: &'static str,
    /// The UpdateService that began it.
    pub body: Value,
    /// Its deployment configuration.
    pub config: Value,
}

/// The lifecycle hooks invoked, (function, image) pairs that answer FAILED, and the services
/// whose deployment waits at a `PAUSE` hook (with how they rolled out before, the hook's id).
#[derive(Debug, Default)]
pub(super) struct Hooks {
    invoked: Vec<Invocation>,
    failing: Vec<(String, String)>,
    paused: std::collections::HashMap<String, (Pause, Rollout, String)>,
    pauses: u32,
}

/// The ARN of service `service`'s `n`th deployment as the player shows it.
fn deployment_arn(service: &str, n: u8) -> String {
    service.replace(":service/", ":service-deployment/") + &format!("/{n}")
}

impl Rollouts {
    /// Lifecycle hook `function` answers FAILED when it is invoked for a deployment of a
    /// revision whose essential container runs `image` ("repo:tag").
    pub fn fail_hook(&self, function: &str, image: &str) {
        let mut state = self.state.lock().expect("rollouts");
        let pair = (function.to_string(), image.to_string());
        state.hooks.failing.push(pair);
    }

    /// The image ("repo:tag") of `task_definition`'s essential container, if it was seen.
    pub fn image_of(&self, task_definition: &str) -> Option<String> {
        let state = self.state.lock().expect("rollouts");
        state.revisions.image(task_definition).map(str::to_string)
    }

    /// Service `arn`'s deployment no longer waits at a `PAUSE` hook (a new one replaced it).
    pub fn unpause(&self, arn: &str) {
        self.state
            .lock()
            .expect("rollouts")
            .hooks
            .paused
            .remove(arn);
    }

    /// Whether `function` answers FAILED for a deployment of `task_definition`.
    pub fn hook_fails(&self, function: &str, task_definition: &str) -> bool {
        let state = self.state.lock().expect("rollouts");
        let image = state.revisions.image(task_definition).unwrap_or_default();
        let failing = &state.hooks.failing;
        failing.iter().any(|(f, i)| f == function && *i == image)
    }

    /// Records an invocation.
    pub fn invoked(&self, invocation: Invocation) {
        let mut state = self.state.lock().expect("rollouts");
        state.hooks.invoked.push(invocation);
    }

    /// Service `arn`'s deployment waits at a `PAUSE` hook: in progress until [`Rollouts::take_pause`].
    pub fn pause(&self, arn: &str, pause: Pause) {
        let mut state = self.state.lock().expect("rollouts");
        let before = state
            .seen
            .get(arn)
            .map_or(state.next.clone(), |(r, _)| r.clone());
        state.hooks.pauses += 1;
        let hook = format!("ecs-pause-{}", state.hooks.pauses);
        state
            .hooks
            .paused
            .insert(arn.to_string(), (pause, before, hook));
        state
            .seen
            .insert(arn.to_string(), (Rollout::Stuck, std::time::Instant::now()));
    }

    /// Whether service `arn`'s deployment waits at a `PAUSE` hook.
    pub fn is_paused(&self, arn: &str) -> bool {
        self.state
            .lock()
            .expect("rollouts")
            .hooks
            .paused
            .contains_key(arn)
    }

    /// The pause of deployment `deployment` at hook `hook`, ended: the service's ARN, the
    /// pause, and how the service rolled out before it (`None` if none waits so).
    pub fn take_pause(&self, deployment: &str, hook: &str) -> Option<(String, Pause, Rollout)> {
        let mut state = self.state.lock().expect("rollouts");
        let paused = &state.hooks.paused;
        let arn = paused
            .iter()
            .find(|(arn, (_, _, id))| id == hook && deployment_arn(arn, 2) == deployment)
            .map(|(arn, _)| arn.clone())?;
        let (pause, before, _) = state.hooks.paused.remove(&arn)?;
        Some((arn, pause, before))
    }

    /// Every lifecycle hook invoked so far, in order.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.state.lock().expect("rollouts").hooks.invoked.clone()
    }

    /// Service `arn`'s deployment passed its hooks: an earlier hook's rollback is over.
    pub fn hooks_passed(&self, arn: &str) {
        let mut state = self.state.lock().expect("rollouts");
        if let Some((rollout @ Rollout::Hook { .. }, _)) = state.seen.get_mut(arn) {
            *rollout = Rollout::Done;
        }
    }

    /// The answer to ListServiceDeployments or DescribeServiceDeployments (`request` its body):
    /// a service whose rollout an alarm or a hook failed has one deployment, rolled back; one
    /// whose timed native deployment runs has it IN_PROGRESS at its lifecycle stage; other
    /// services have none. ListServiceDeployments keeps to the `status` asked for, if any.
    pub fn service_deployments(&self, action: &str, request: &str) -> Option<String> {
        let asked: Value = serde_json::from_str(request).ok()?;
        let state = self.state.lock().expect("rollouts");
        let all = deployments(&state);
        match action {
            "ListServiceDeployments" => {
                // The service asked for, in its cluster (`default` if none is named).
                let service = crate::aws_rules::ecs::service_arn(&asked);
                let statuses = asked["status"].as_array();
                let wanted = |d: &Value| statuses.is_none_or(|s| s.contains(&d["status"]));
                let found: Vec<Value> = all
                    .into_iter()
                    .filter(|d| d["serviceArn"] == service.as_str() && wanted(d))
                    .map(|d| {
                        json!({"serviceDeploymentArn": d["serviceDeploymentArn"],
                        "serviceArn": d["serviceArn"], "status": d["status"]})
                    })
                    .collect();
                Some(json!({"serviceDeployments": found}).to_string())
            }
            "DescribeServiceDeployments" => {
                let wanted = asked["serviceDeploymentArns"].as_array().cloned();
                let wanted = wanted.unwrap_or_default();
                let described: Vec<Value> = all
                    .into_iter()
                    .filter(|d| wanted.contains(&d["serviceDeploymentArn"]))
                    .collect();
                Some(json!({"serviceDeployments": described, "failures": []}).to_string())
            }
            _ => None,
        }
    }
}

/// Every service deployment ECS would show: those rolled back ([`rolled_back`]), those in
/// progress at a stage, and those waiting at a `PAUSE` hook.
fn deployments(state: &State) -> Vec<Value> {
    let arn_of = deployment_arn;
    let back = rolled_back(state).map(|(arn, mut why)| {
        why["serviceDeploymentArn"] = json!(arn_of(arn, 1));
        why["serviceArn"] = json!(arn);
        why["status"] = json!("ROLLBACK_SUCCESSFUL");
        why["createdAt"] = json!(1.7e9);
        why
    });
    let running = state.seen.iter().filter_map(|(arn, (rollout, _))| {
        let Rollout::Timed(startup) = rollout else {
            return None;
        };
        let stage = super::timed::stage(&state.configured, arn, *startup)?;
        Some(
            json!({"serviceDeploymentArn": arn_of(arn, 2), "serviceArn": arn,
            "status": "IN_PROGRESS", "lifecycleStage": stage, "createdAt": 1.7e9}),
        )
    });
    let paused = state.hooks.paused.iter().map(|(arn, (pause, _, hook))| {
        json!({"serviceDeploymentArn": arn_of(arn, 2), "serviceArn": arn,
            "status": "IN_PROGRESS", "lifecycleStage": pause.at, "createdAt": 1.7e9,
            "lifecycleHookDetails": [{"hookId": hook, "targetType": "PAUSE",
                "status": "AWAITING_ACTION", "timeoutAction": "ROLLBACK"}]})
    });
    back.chain(running).chain(paused).collect()
}

/// The services whose rollout an alarm or a hook rolled back, with what their deployment
/// shows of it.
fn rolled_back(state: &State) -> impl Iterator<Item = (&String, Value)> {
    state.seen.iter().filter_map(|(arn, (rollout, _))| {
        let why = match rollout {
            Rollout::Alarm(alarm) => json!({"alarms": {"status": "TRIGGERED",
                "alarmNames": [alarm], "triggeredAlarmNames": [alarm]}}),
            // A function-less hook is a `PAUSE` hook rolled back by ContinueServiceDeployment.
            Rollout::Hook { function, stage } if function.is_empty() => json!({
                "lifecycleStage": stage, "lifecycleHookDetails": [{"hookId": "hook-1",
                    "targetType": "PAUSE", "status": "FAILED"}]}),
            Rollout::Hook { function, stage } => json!({"lifecycleStage": stage,
                "lifecycleHookDetails": [{"hookId": "hook-1", "targetType": "AWS_LAMBDA",
                    "targetArn": function, "status": "FAILED"}]}),
            _ => return None,
        };
        Some((arn, why))
    })
}
