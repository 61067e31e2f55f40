//! The one description of a set: its parts ([`PARTS`]: what people call each, and when Delete
//! removes it), and finding every one of them, concurrently, as AWS has it now
//! ([`inventory`]).

use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::{Deployment, OWNER_TAG};
use crate::resources::alarm::{self, Alarm};
use crate::resources::cluster::{self, Cluster};
use crate::resources::listener_rule::{self, ListenerRule};
use crate::resources::log_group::{self, LogGroup};
use crate::resources::role::{self, Role};
use crate::resources::scaling::{self, ScalableTarget};
use crate::resources::security_group::{self, SecurityGroup};
use crate::resources::service::{self, Service};
use crate::resources::target_group::{self, TargetGroup};
use crate::resources::task_definition::{self, TaskDefinition};
use crate::resources::Tagged;
use crate::spec::Locator;

/// A part of a set, in the order of [`PARTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The role ECS pulls the image and writes logs with.
    ExecutionRole,
    /// The role the application runs with.
    TaskRole,
    /// The tasks' security group.
    SecurityGroup,
    /// The container's log group.
    LogGroup,
    /// The ECS cluster.
    Cluster,
    /// A task definition revision.
    TaskDefinition,
    /// The target group.
    TargetGroup,
    /// The listener rule.
    ListenerRule,
    /// The ECS service.
    Service,
    /// The service's scalable target (with AutoScaling).
    ScalableTarget,
    /// A baseline CloudWatch alarm (with Alarms).
    Alarm,
    /// The alternate target group (with a native DeploymentStrategy).
    AlternateTargetGroup,
    /// The role ECS moves traffic with (with a native DeploymentStrategy).
    TrafficRole,
    /// The test listener rule (with a native DeploymentStrategy and a test route).
    TestListenerRule,
}

/// What a part is called, and when Delete removes it.
#[derive(Debug, Clone, Copy)]
pub struct PartInfo {
    /// The part.
    pub part: Part,
    /// What people call it (`prod-e status`, `teardown`).
    pub label: &'static str,
    /// Delete removes a lower rank first: the scalable target (so that the scaler stops
    /// changing the service), the service (nothing else can go while tasks run), then the
    /// rest concurrently, each part after those created after it that depend on it (the target
    /// group after the rule that forwards to it: DeleteTargetGroup, `ResourceInUse`).
    pub deletion_rank: u8,
}

/// Every part of a set, in creation order but for the optional ones, last (`prod-e status`
/// lists them so); indexed by [`Part`].
pub const PARTS: [PartInfo; 14] = [
    part(Part::ExecutionRole, "IAM role (execution)", 2),
    part(Part::TaskRole, "IAM role (task)", 2),
    part(Part::SecurityGroup, "security group", 2),
    part(Part::LogGroup, "log group", 2),
    part(Part::Cluster, "ECS cluster", 2),
    part(Part::TaskDefinition, "task definition", 2),
    part(Part::TargetGroup, "target group", 2),
    part(Part::ListenerRule, "listener rule", 2),
    part(Part::Service, "ECS service", 1),
    part(Part::ScalableTarget, "scalable target", 0),
    part(Part::Alarm, "CloudWatch alarm", 2),
    part(Part::AlternateTargetGroup, "target group (alternate)", 2),
    part(Part::TrafficRole, "IAM role (traffic)", 2),
    part(Part::TestListenerRule, "listener rule (test)", 2),
];

const fn part(part: Part, label: &'static str, deletion_rank: u8) -> PartInfo {
    PartInfo {
        part,
        label,
        deletion_rank,
    }
}

impl Part {
    /// Its row of [`PARTS`].
    pub fn info(self) -> &'static PartInfo {
        &PARTS[self as usize]
    }
}

/// Everything found under a deployment's names. Foreign resources are included here;
/// callers decide with [`crate::resources::claim`] or [`crate::resources::ours`].
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// The execution role.
    pub execution_role: Option<Role>,
    /// The task role (ours, else the stack resource's, held by another set).
    pub task_role: Option<Role>,
    /// The service's security group, found by its ownership tag (a group handed over in a
    /// replacement keeps the name of the set that made it).
    pub security_group: Option<SecurityGroup>,
    /// The log group the container writes to.
    pub log_group: Option<LogGroup>,
    /// The ECS cluster (ours, or a sibling set's it shares).
    pub cluster: Option<Cluster>,
    /// Task definition revisions that carry our ownership tag, in any family (ACTIVE, or
    /// INACTIVE ones deregistered earlier), newest first.
    pub task_definitions: Vec<TaskDefinition>,
    /// The target group.
    pub target_group: Option<TargetGroup>,
    /// The listener rule (ours, else a sibling set's).
    pub listener_rule: Option<ListenerRule>,
    /// The test listener rules (a native strategy's test route; ours): one, but attempts at
    /// once may have made two; the highest priority first.
    pub test_listener_rules: Vec<ListenerRule>,
    /// The ECS service.
    pub service: Option<Service>,
    /// The service's scalable target (Application Auto Scaling), under either service name.
    pub scalable_target: Option<ScalableTarget>,
    /// The baseline alarms that exist under the set's names.
    pub alarms: Vec<Alarm>,
    /// The alternate target group (a native strategy's).
    pub alternate_target_group: Option<TargetGroup>,
    /// The role ECS moves traffic with (a native strategy's).
    pub traffic_role: Option<Role>,
}

/// Reads every resource of `deployment` at once (one round of concurrent calls).
pub async fn inventory(c: &Clients, deployment: &Deployment, at: &Locator) -> Result<Inventory> {
    let service_names = deployment.service_names(&at.service_name);
    let scaled = service_names.map(|s| scaling::resource_id(&at.cluster_name, &s));
    let alarm_names = super::alarms::names(deployment);
    let (alternate, traffic) = (
        deployment.alternate_target_group(),
        deployment.traffic_role(),
    );
    let (resources, scalable_target, alarms, alternate_target_group, traffic_role) = tokio::join!(
        resources(c, deployment, at),
        scaling::find_all(&c.scaling, &scaled),
        alarm::find_all(&c.cloudwatch, &alarm_names),
        target_group::find(&c.elb, &alternate),
        role::find(&c.iam, &traffic),
    )
    .all_ok()?;
    Ok(Inventory {
        scalable_target: ours_else_first(deployment, scalable_target),
        alarms,
        alternate_target_group,
        traffic_role,
        ..resources
    })
}

/// The set's resources but its scaling and alarms.
async fn resources(c: &Clients, deployment: &Deployment, at: &Locator) -> Result<Inventory> {
    let rule = async {
        match &at.listener_arn {
            Some(listener) => listener_rule::find_both(&c.elb, listener, deployment).await,
            None => Ok((None, Vec::new())),
        }
    };
    let exec_name = deployment.execution_role();
    let (log_name, tg_name) = (deployment.log_group(), deployment.target_group());
    let service_names = deployment.service_names(&at.service_name);
    let owned = (OWNER_TAG, &[deployment.physical_id()][..]);
    let (exec, task, sg, logs, cluster, defs, tg, rule, service) = tokio::join!(
        role::find(&c.iam, &exec_name),
        super::roles::task_roles(c, deployment, None),
        security_group::find_owned(&c.ec2, at.vpc_id.as_deref(), owned),
        log_group::find(&c.logs, &log_name),
        cluster::find(&c.ecs, &at.cluster_name),
        task_definition::find_ours(&c.tagging, (OWNER_TAG, deployment.physical_id())),
        target_group::find(&c.elb, &tg_name),
        rule,
        service::find_named(&c.ecs, &at.cluster_name, &service_names),
    )
    .all_ok()?;
    Ok(Inventory {
        execution_role: exec,
        task_role: ours_else_first(deployment, task),
        security_group: sg.into_iter().next(),
        log_group: logs,
        cluster,
        task_definitions: defs,
        target_group: tg,
        listener_rule: rule.0,
        test_listener_rules: rule.1,
        service: ours_else_first(deployment, service),
        ..Inventory::default()
    })
}

/// Of what was found under both of a set's service names ([`Deployment::service_names`]), or
/// of its stack resource's task roles: ours, else the first (to be named, not touched).
fn ours_else_first<T: Tagged>(d: &Deployment, found: Vec<T>) -> Option<T> {
    let i = found.iter().position(|r| d.owns(r.tags()));
    found.into_iter().nth(i.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::{Part, PARTS};

    #[test]
    fn parts_are_indexed_by_their_part() {
        for (i, row) in PARTS.iter().enumerate() {
            assert_eq!(row.part as usize, i, "{}", row.label);
        }
        assert_eq!(Part::Service.info().label, "ECS service");
    }
}
