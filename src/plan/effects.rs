//! What an in-place Update does, per resource, for each [`Effect`] of the changed
//! properties: for `prod-e plan`, and the map `update` follows.

use crate::spec::schema::Effect;
use crate::spec::Diff;

/// What an in-place Update does, per resource, for the properties with each [`Effect`] (for
/// `prod-e plan`; `update` below acts on the same effects).
pub const EFFECTS: &[(Effect, &str, &str)] = &[
    (
        Effect::TaskDefinition,
        "task definition",
        "register a new revision",
    ),
    (
        Effect::TaskDefinition,
        "ECS service",
        "roll onto the new revision (UpdateService)",
    ),
    (
        Effect::DesiredCount,
        "ECS service",
        "change the task count (UpdateService)",
    ),
    (
        Effect::Network,
        "ECS service",
        "change subnets / public IP (UpdateService)",
    ),
    (
        Effect::SourceGroup,
        "security group",
        "allow the new source, revoke the old one",
    ),
    (
        Effect::Egress,
        "security group",
        "allow the new outbound rules, then revoke the others",
    ),
    (
        Effect::HealthCheck,
        "target group",
        "change the health check",
    ),
    (
        Effect::TargetGroupAttributes,
        "target group",
        "change its attributes (deregistration delay, slow start, routing algorithm, stickiness)",
    ),
    (
        Effect::Deployment,
        "ECS service",
        "change the health check grace period, deployment percentages and circuit breaker \
         (UpdateService)",
    ),
    (
        Effect::Insights,
        "ECS cluster",
        "change Container Insights (UpdateCluster)",
    ),
    (
        Effect::Scaling,
        "scalable target",
        "register it with the new bounds, put or delete target tracking policies and scheduled \
         actions, or deregister it (the running count is kept, only moved into new bounds)",
    ),
    (
        Effect::Alarms,
        "CloudWatch alarms",
        "put the baseline alarms, or delete them",
    ),
    (Effect::Priority, "listener rule", "change the priority"),
    (Effect::Routing, "listener rule", "change the conditions"),
    (
        Effect::Secrets,
        "execution role",
        "put or delete the secrets policy",
    ),
    (
        Effect::SecretsKey,
        "execution role",
        "put the secrets policy",
    ),
    (
        Effect::Secrets,
        "task definition",
        "register a new revision",
    ),
    (
        Effect::TaskRole,
        "task role",
        "attach or detach managed policies, put or delete the TaskRolePolicy",
    ),
    (
        Effect::Exec,
        "task role",
        "put or delete the ECS Exec policy",
    ),
    (
        Effect::Exec,
        "ECS service",
        "turn ECS Exec on or off, with a new deployment (UpdateService)",
    ),
    (
        Effect::Capacity,
        "ECS service",
        "change the capacity provider strategy, with a new deployment (UpdateService)",
    ),
    (Effect::Retention, "log group", "change the retention"),
    (Effect::Tags, "every resource", "change the tags"),
];

/// The effects an Update with `diff` has: (resource, action, the changed properties that cause it).
pub fn effects(diff: &Diff) -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    EFFECTS
        .iter()
        .filter(|(effect, _, _)| diff.any(*effect))
        .map(|(effect, resource, action)| (*resource, *action, diff.with(|p| p.effect == *effect)))
        .collect()
}
