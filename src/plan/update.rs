//! Update in place: only the writes the diff calls for, each on the resource it concerns.

use super::{inventory, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::progress::step;
use crate::resources::{
    claim, cluster, listener_rule, log_group, role, security_group, service, target_group,
    task_definition, Tagged,
};
use crate::spec::{Diff, Locator, Spec};

/// Properties that make a new task definition revision (and roll the service onto it).
const TASK_DEFINITION: &[&str] = &[
    "Image",
    "Command",
    "EntryPoint",
    "Cpu",
    "Memory",
    "Environment",
    "TaskFamily",
];
/// Properties of the service's network configuration.
const NETWORK: &[&str] = &["SubnetIds", "AssignPublicIp"];
const DESIRED_COUNT: &[&str] = &["DesiredCount"];
const SOURCE_GROUP: &[&str] = &["LoadBalancerSecurityGroupId"];
const HEALTH_CHECK: &[&str] = &["HealthCheckPath"];
const PRIORITY: &[&str] = &["RulePriority"];
const PATH: &[&str] = &["PathPattern"];
const RETENTION: &[&str] = &["LogRetentionDays"];
const TAGS: &[&str] = &["Tags"];

/// What an in-place Update does, per resource, and which properties make it do it (for
/// `prod-e plan`; `update` below acts on the same lists).
pub const EFFECTS: &[(&str, &str, &[&str])] = &[
    (
        "task definition",
        "register a new revision",
        TASK_DEFINITION,
    ),
    (
        "ECS service",
        "roll onto the new revision (UpdateService)",
        TASK_DEFINITION,
    ),
    (
        "ECS service",
        "change the task count (UpdateService)",
        DESIRED_COUNT,
    ),
    (
        "ECS service",
        "change subnets / public IP (UpdateService)",
        NETWORK,
    ),
    (
        "security group",
        "allow the new source, revoke the old one",
        SOURCE_GROUP,
    ),
    ("target group", "change the health check path", HEALTH_CHECK),
    ("listener rule", "change the priority", PRIORITY),
    ("listener rule", "change the path pattern", PATH),
    ("log group", "change the retention", RETENTION),
    ("every resource", "change the tags", TAGS),
];

/// The effects an Update with `diff` has: (resource, action, the changed properties that cause it).
pub fn effects(diff: &Diff) -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    EFFECTS
        .iter()
        .filter(|(_, _, props)| diff.any(props))
        .map(|(resource, action, props)| {
            let why = props
                .iter()
                .copied()
                .filter(|p| diff.changed.contains(p))
                .collect();
            (*resource, *action, why)
        })
        .collect()
}

/// Applies the in-place changes from `old` to `new`, then (if `new` asks) waits until the
/// service is steady. The caller has checked that no property needing replacement changed;
/// an empty `diff` writes nothing (a continuation whose writes were done only waits).
pub async fn update(
    c: &Clients,
    owner: &Owner,
    old: &Spec,
    new: &Spec,
    diff: &Diff,
) -> Result<Outputs> {
    let d = &owner.deployment;
    let found = inventory(c, d, &Locator::from(old)).await?;
    let exec = require(d, found.execution_role, || d.execution_role())?;
    let task = require(d, found.task_role, || d.task_role())?;
    let sg = require(d, found.security_group, || d.security_group())?;
    let logs = require(d, found.log_group, || d.log_group())?;
    let cl = require(d, found.cluster, || old.cluster_name.clone())?;
    let tg = require(d, found.target_group, || d.target_group())?;
    let rule = require(d, found.listener_rule, || {
        format!("on {}", old.listener_arn)
    })?;
    let svc = require(d, found.service, || old.service_name.clone())?;
    let current_def = found
        .task_definitions
        .iter()
        .find(|t| t.arn == svc.task_definition)
        .cloned();

    let (old_tags, new_tags) = (owner.tags(&old.tags), owner.tags(&new.tags));
    let retag = diff.any(TAGS);

    let roles = async {
        if retag {
            role::update_tags(&c.iam, &exec.name, &old_tags, &new_tags).await?;
            role::update_tags(&c.iam, &task.name, &old_tags, &new_tags).await?;
        }
        Ok::<_, Error>(())
    };
    let network = async {
        let port = i32::from(new.container_port);
        if diff.any(SOURCE_GROUP) {
            security_group::allow(&c.ec2, &sg, port, &new.load_balancer_security_group_id).await?;
            if old.load_balancer_security_group_id != new.load_balancer_security_group_id {
                security_group::revoke(&c.ec2, &sg, port, &old.load_balancer_security_group_id)
                    .await?;
            }
        }
        if retag {
            security_group::update_tags(&c.ec2, &sg, &old_tags, &new_tags).await?;
        }
        Ok::<_, Error>(())
    };
    let logging = async {
        if diff.any(RETENTION) {
            log_group::set_retention(&c.logs, &logs.name, new.log_retention_days).await?;
        }
        if retag {
            log_group::update_tags(&c.logs, &logs, &old_tags, &new_tags).await?;
        }
        Ok::<_, Error>(())
    };
    let traffic = async {
        if diff.any(HEALTH_CHECK) {
            target_group::set_health_check_path(&c.elb, &tg, &new.health_check_path).await?;
        }
        if diff.any(PRIORITY) {
            listener_rule::set_priority(&c.elb, &rule, new.rule_priority).await?;
        }
        if diff.any(PATH) {
            listener_rule::set_path_pattern(&c.elb, &rule, &new.path_pattern).await?;
        }
        if retag {
            target_group::update_tags(&c.elb, &tg.arn, &old_tags, &new_tags).await?;
            target_group::update_tags(&c.elb, &rule.arn, &old_tags, &new_tags).await?;
        }
        Ok::<_, Error>(())
    };
    let compute = async {
        if retag {
            cluster::update_tags(&c.ecs, &cl.arn, &old_tags, &new_tags).await?;
            cluster::update_tags(&c.ecs, &svc.arn, &old_tags, &new_tags).await?;
        }
        let new_def = if diff.any(TASK_DEFINITION) || (retag && current_def.is_some()) {
            let links = task_definition::Links {
                execution_role_arn: &exec.arn,
                task_role_arn: &task.arn,
                log_group: &logs.name,
            };
            Some(task_definition::create(&c.ecs, new, links, &new_tags).await?)
        } else {
            None
        };
        let change = service::Change {
            desired_count: diff.any(DESIRED_COUNT).then_some(new.desired_count),
            task_definition_arn: new_def.as_ref().map(|t| t.arn.as_str()),
            network: diff.any(NETWORK).then_some((new, sg.id.as_str())),
        };
        if change.desired_count.is_some()
            || change.task_definition_arn.is_some()
            || change.network.is_some()
        {
            service::update(&c.ecs, &cl.name, &svc.name, change).await?;
        }
        Ok::<_, Error>(new_def.map(|t| t.arn))
    };

    let (roles, network, logging, traffic, compute) = tokio::join!(
        step(
            format!("updating IAM roles ({}, {})", exec.name, task.name),
            roles
        ),
        step(format!("updating security group ({})", sg.name), network),
        step(format!("updating log group ({})", logs.name), logging),
        step(
            format!("updating target group and rule ({})", tg.name),
            traffic
        ),
        step(format!("updating ECS service ({})", svc.name), compute),
    );
    let errors = [
        roles.err(),
        network.err(),
        logging.err(),
        traffic.err(),
        compute.as_ref().err().cloned(),
    ];
    if let Some(err) = Error::all(errors) {
        return Err(err);
    }
    // The revision this Update means the service to run: the one it registered, else (a
    // continuation whose writes were done) our newest, else the one the service runs.
    let revision = match compute? {
        Some(registered) => registered,
        None if diff.is_empty() => found
            .task_definitions
            .first()
            .map_or(svc.task_definition.clone(), |t| t.arn.clone()),
        None => svc.task_definition.clone(),
    };
    if new.wait_for_steady_state {
        step(
            format!("waiting for ECS service ({}) to be steady", svc.name),
            service::wait_steady(&c.ecs, &cl.name, &svc.name, &revision),
        )
        .await?;
    }
    // Only now, with the service steady on `revision`, are the earlier revisions no longer
    // needed: until then CloudFormation's rollback Update may return to them.
    for old_def in found.task_definitions.iter().filter(|t| t.arn != revision) {
        step(
            format!("deregistering task definition ({})", old_def.arn),
            task_definition::delete(&c.ecs, &old_def.arn),
        )
        .await?;
    }
    Ok(Outputs {
        cluster_arn: cl.arn.clone(),
        cluster_name: cl.name.clone(),
        service_arn: svc.arn.clone(),
        service_name: svc.name.clone(),
        task_definition_arn: revision,
        target_group_arn: tg.arn.clone(),
        listener_rule_arn: rule.arn.clone(),
        security_group_id: sg.id.clone(),
        execution_role_arn: exec.arn.clone(),
        task_role_arn: task.arn.clone(),
        log_group_name: logs.name.clone(),
    })
}

/// An Update needs every resource to exist and be ours.
fn require<T: Tagged>(
    d: &crate::naming::Deployment,
    found: Option<T>,
    name: impl Fn() -> String,
) -> Result<T> {
    claim(d, found)?.ok_or_else(|| Error::Missing {
        kind: T::KIND,
        name: name(),
    })
}
