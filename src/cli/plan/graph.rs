//! The Create graph `prod-e plan` prints: one line per resource, in the stages `plan::create`
//! makes them, each with its settings as its kind's table words them, and the set's names.

use super::super::{no_request, Failure};
use crate::naming::Deployment;
use crate::plan::for_ecs;
use crate::resources::settings::describe;
use crate::resources::{cluster, listener_rule, log_group, scaling, security_group, service};
use crate::resources::{role, target_group, task_definition};
use crate::spec::strategy::ROLLING;
use crate::spec::Spec;

/// Derived names, real when the stack is known, with `<id>` otherwise.
pub(super) struct Names {
    pub(super) id: String,
    pub(super) d: Deployment,
}

impl Names {
    pub(super) fn new(stack_id: Option<&str>, logical_id: &str, fingerprint: &str) -> Self {
        let d = Deployment::new(stack_id.unwrap_or_default(), logical_id, fingerprint);
        let id = match stack_id {
            Some(_) => d.physical_id().to_string(),
            None => format!("prod-e-<id>-{fingerprint}"),
        };
        Names { id, d }
    }

    /// `name` with the set's id, and the stack resource's key (`<prefix><10 hex>`, what the
    /// task role is named after), as shown.
    fn of(&self, name: String) -> String {
        let key = self
            .id
            .rsplit_once('-')
            .map_or(self.id.as_str(), |(key, _)| key);
        let name = name.replace(self.d.physical_id(), &self.id);
        name.replace(self.d.key(), key)
    }
}

/// The Create graph as `plan::create` runs it, one line per resource, each resource's settings
/// as its kind's table words them ([`settings::describe`]).
/// Errors: the properties make no revision or service (a member the SDK requires is missing).
pub(super) fn stages(n: &Names, s: &Spec) -> Result<Vec<Vec<String>>, Failure> {
    // Born rolling: a native strategy comes once the set serves (the last stage).
    let born = Spec {
        deployment_strategy: ROLLING.to_string(),
        ..for_ecs(&n.d, s)
    };
    let service = service::expand(&born).map_err(no_request)?;
    let wait = match s.wait_for_steady_state || s.native_strategy() {
        true => ", then wait until it is steady",
        false => "",
    };
    let rule = listener_rule::expand(s);
    let mut stages = vec![
        first_stage(n, s),
        vec![task_definition(s)?],
        vec![format!(
            "ECS service {} ({}{}) after everything else{wait}",
            s.service_name,
            describe(service::SETTINGS, &service),
            overridden("ServiceOverrides", &s.service_overrides)
        )],
        vec![format!(
            "listener rule ({}) → the target group, last: traffic only reaches a ready \
             service",
            describe(listener_rule::SETTINGS, &rule)
        )],
    ];
    if s.alarms {
        let names: Vec<String> = crate::spec::alarms::KINDS
            .iter()
            .map(|k| n.of(n.d.alarm(k)))
            .collect();
        stages.insert(2, vec![format!("CloudWatch alarms {}", names.join(", "))]);
    }
    if let Some(line) = scaling(n, s) {
        stages.insert(stages.len() - 1, vec![line]);
    }
    if s.native_strategy() {
        stages.push(vec![native(n, s)]);
    }
    Ok(stages)
}

/// The stage a native `DeploymentStrategy` adds once the set serves.
fn native(n: &Names, s: &Spec) -> String {
    let (canary, linear) = (&s.canary_configuration, &s.linear_configuration);
    let settings = match s.deployment_strategy.as_str() {
        "CANARY" => format!(
            ", CanaryPercent {} for {} min",
            canary.canary_percent.0, canary.canary_bake_time_in_minutes
        ),
        "LINEAR" => format!(
            ", StepPercent {} every {} min",
            linear.step_percent.0, linear.step_bake_time_in_minutes
        ),
        _ => String::new(),
    };
    let test = s.test_routing().map_or(String::new(), |t| {
        format!(", a test listener rule ({t}) at the free priority just below the rule's")
    });
    format!(
        "target group {} (as the first, at weight 0 in the rule){test} and IAM role {} \
         (trusted by ecs.amazonaws.com: ModifyRule on the set's rules, Register/DeregisterTargets \
         on its two groups, within its permissions boundary), then UpdateService to \
         DeploymentStrategy {} (BakeTimeInMinutes {}{settings}) and wait until it is steady",
        n.of(n.d.alternate_target_group()),
        n.of(n.d.traffic_role()),
        s.deployment_strategy,
        s.bake_time_in_minutes,
    )
}

/// The scaling's line, when `AutoScaling` is on.
fn scaling(n: &Names, s: &Spec) -> Option<String> {
    s.auto_scaling.as_ref()?;
    let want = scaling::expand(s, &n.d);
    Some(format!(
        "scalable target service/{}/{} ({}) once the service is steady",
        s.cluster_name,
        s.service_name,
        describe(scaling::SETTINGS, &want)
    ))
}

/// The task definition's line: every setting of the revision Create registers.
fn task_definition(s: &Spec) -> Result<String, Failure> {
    let links = task_definition::Links::NONE;
    let revision = task_definition::expand(s, links, "").map_err(no_request)?;
    Ok(format!(
        "task definition (Fargate, awsvpc, {}{}) after the roles and log group",
        describe(task_definition::SETTINGS, &revision),
        overridden("TaskDefinitionOverrides", &s.task_definition_overrides)
    ))
}

/// `, Name {…}` for an overrides property that is set (merged into the request as it is).
fn overridden(name: &str, value: &Option<String>) -> String {
    value
        .as_ref()
        .map_or(String::new(), |o| format!(", {name} {o}"))
}

/// What the task role is given ([`role::TASK_ROLE`]), and ECS Exec's actions with it.
fn task_grants(s: &Spec) -> String {
    let exec = match s.enable_execute_command {
        true => ", ECS Exec's ssmmessages actions",
        false => "",
    };
    format!("{}{exec}", describe(role::TASK_ROLE, &role::task_role(s)))
}

/// What the execution role may do ([`role::execution_policy`]), within its permissions
/// boundary, and its secrets' key ([`role::EXECUTION_ROLE`]).
fn execution_grants(s: &Spec) -> String {
    let pull = match role::ecr_repository(&s.image).is_some() {
        true => "pull from its image's ECR repository, ",
        false => "",
    };
    let secrets = describe(role::EXECUTION_ROLE, &role::execution_role(s));
    format!("{pull}write its log group within its permissions boundary, {secrets}")
}

/// The resources Create makes first, all at once.
fn first_stage(n: &Names, s: &Spec) -> Vec<String> {
    let d = &n.d;
    let trusted = "trusted by ecs-tasks.amazonaws.com";
    let port = s.container_port;
    vec![
        format!(
            "IAM role {} ({trusted}, {})",
            n.of(d.execution_role()),
            execution_grants(s)
        ),
        format!(
            "IAM role {} ({trusted}, {})",
            n.of(d.task_role()),
            task_grants(s)
        ),
        format!(
            "log group {} ({})",
            n.of(d.log_group()),
            describe(log_group::SETTINGS, &log_group::expand(s))
        ),
        format!(
            "security group {} in {} (tcp/{port} in from the load balancer only; {})",
            n.of(d.security_group()),
            s.vpc_id,
            describe(security_group::SETTINGS, &security_group::expand(s))
        ),
        format!(
            "the account's ECS service-linked role if it has none, then ECS cluster {}{}",
            s.cluster_name,
            match describe(cluster::SETTINGS, &cluster::expand(s)) {
                settings if settings.is_empty() => settings,
                settings => format!(" ({settings})"),
            }
        ),
        format!(
            "target group {} (ip, port {port}, {}), then a listener rule at priority {} that \
             matches no request yet (ECS needs the group associated)",
            n.of(d.target_group()),
            describe(target_group::SETTINGS, &target_group::expand(s)),
            s.rule_priority
                .map_or("(a free one, derived)".to_string(), |p| p.to_string())
        ),
    ]
}
