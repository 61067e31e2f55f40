//! One read per kind of resource a set has, straight from moto (a missing one is `None`).

use aws_sdk_applicationautoscaling::types::{self as aas, ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::{Filter, SecurityGroup};
use aws_sdk_ecs::types::{self as ecs, ClusterField, ServiceField};
use aws_sdk_ecs::types::{TaskDefinitionField, TaskDefinitionStatus};
use aws_sdk_elasticloadbalancingv2::types::{Rule, TargetGroup};
use prod_e::aws::Clients;
use prod_e::naming::Deployment;

use super::*;

pub(super) async fn services(c: &Clients, cluster: &str, id: &str) -> Vec<ecs::Service> {
    let listed = c
        .ecs
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .items();
    let arns = found(listed.send().try_collect().await, "list services").unwrap_or_default();
    let mut ours = Vec::new();
    for batch in arns.chunks(10) {
        let out = c
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()));
        let out = out
            .include(ServiceField::Tags)
            .send()
            .await
            .expect("describe services");
        let live = out
            .services()
            .iter()
            .filter(|s| s.status() != Some("INACTIVE"));
        ours.extend(live.filter(|s| ecs_ours(s.tags(), id)).cloned());
    }
    ours
}

/// The cluster `name` unless it is missing or INACTIVE, with its settings and tags.
pub(super) async fn cluster(c: &Clients, name: &str) -> Option<ecs::Cluster> {
    let out = c
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Settings);
    let out = found(
        out.include(ClusterField::Tags).send().await,
        "describe cluster",
    )?;
    out.clusters()
        .iter()
        .find(|k| k.status() != Some("INACTIVE"))
        .cloned()
}

pub(super) async fn role(c: &Clients, name: &str) -> Option<aws_sdk_iam::types::Role> {
    found(c.iam.get_role().role_name(name).send().await, "get role")?
        .role()
        .cloned()
}

/// The set's security group: the group in the set's VPC that carries its ownership tag,
/// whatever its name (a replacement takes the group over under its maker's name).
pub(super) async fn security_group(c: &Clients, p: &Place) -> Option<SecurityGroup> {
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let out = c
        .ec2
        .describe_security_groups()
        .filters(filter("tag:prod-e:physical-id", p.d.physical_id()))
        .filters(filter("vpc-id", p.vpc.as_str()));
    let out = out.send().await.expect("describe security groups");
    out.security_groups().first().cloned()
}

pub(super) async fn log_group(
    c: &Clients,
    name: &str,
) -> Option<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let out = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await;
    let out = out.expect("describe log groups");
    out.log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .cloned()
}

pub(super) async fn target_group(c: &Clients, name: &str) -> Option<TargetGroup> {
    let out = c.elb.describe_target_groups().names(name).send().await;
    found(out, "describe target groups")?
        .target_groups()
        .first()
        .cloned()
}

/// The rules of `listener` that carry set `id`'s ownership tag.
pub(crate) async fn rules(c: &Clients, listener: &str, id: &str) -> Vec<Rule> {
    let (mut all, mut marker) = (Vec::new(), None);
    loop {
        let out = c
            .elb
            .describe_rules()
            .listener_arn(listener)
            .set_marker(marker);
        let Some(out) = found(out.send().await, "describe rules") else {
            break;
        };
        all.extend(out.rules().iter().cloned());
        marker = out.next_marker().map(String::from);
        if marker.is_none() {
            break;
        }
    }
    let arns: Vec<String> = all
        .iter()
        .filter_map(|r| r.rule_arn().map(String::from))
        .collect();
    let mut ours = Vec::new();
    for batch in arns.chunks(20) {
        let tags = c
            .elb
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await;
        for t in tags.expect("describe rule tags").tag_descriptions() {
            if is_ours(t.tags().iter().map(|t| (t.key(), t.value())), id) {
                ours.extend(
                    all.iter()
                        .filter(|r| r.rule_arn() == t.resource_arn())
                        .cloned(),
                );
            }
        }
    }
    ours
}

/// The ARNs of the ACTIVE revisions of `family` tagged as set `id`'s.
pub(super) async fn active_revisions(c: &Clients, family: &str, id: &str) -> Vec<String> {
    let listed = c.ecs.list_task_definitions().family_prefix(family);
    let listed = listed
        .status(TaskDefinitionStatus::Active)
        .into_paginator()
        .items();
    let arns = listed
        .send()
        .try_collect()
        .await
        .expect("list task definitions");
    let mut ours = Vec::new();
    for arn in arns {
        let out = c.ecs.describe_task_definition().task_definition(&arn);
        let out = out.include(TaskDefinitionField::Tags).send().await;
        let out = out.expect("describe task definition");
        let active = out.task_definition().is_some_and(|t| {
            t.family() == Some(family) && t.status() == Some(&TaskDefinitionStatus::Active)
        });
        if active && ecs_ours(out.tags(), id) {
            ours.push(arn);
        }
    }
    ours
}

/// Application Auto Scaling's ResourceId of an ECS service.
pub(super) fn scaling_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

pub(super) async fn scalable_target(c: &Clients, resource_id: &str) -> Option<aas::ScalableTarget> {
    let out = c
        .scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs);
    let out = out.scalable_dimension(ScalableDimension::EcsServiceDesiredCount);
    let out = out
        .resource_ids(resource_id)
        .send()
        .await
        .expect("describe scalable targets");
    out.scalable_targets()
        .iter()
        .find(|t| t.resource_id() == resource_id)
        .cloned()
}

pub(super) async fn policies(c: &Clients, resource_id: &str) -> Vec<aas::ScalingPolicy> {
    let out = c
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs);
    let out = out
        .resource_id(resource_id)
        .send()
        .await
        .expect("describe scaling policies");
    out.scaling_policies().to_vec()
}

pub(super) async fn scheduled_actions(c: &Clients, resource_id: &str) -> Vec<aas::ScheduledAction> {
    let out = c
        .scaling
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs);
    let out = out
        .resource_id(resource_id)
        .send()
        .await
        .expect("describe scheduled actions");
    out.scheduled_actions().to_vec()
}

/// The alarms named with set `d`'s prefix (`<id>-`, as `Deployment::alarm` names them).
pub(super) async fn alarms(c: &Clients, d: &Deployment) -> Vec<MetricAlarm> {
    let prefix = format!("{}-", d.physical_id());
    let out = c
        .cloudwatch
        .describe_alarms()
        .alarm_name_prefix(&prefix)
        .send()
        .await;
    let out = out.expect("describe alarms");
    let named = out.metric_alarms().iter();
    named
        .filter(|a| a.alarm_name().is_some_and(|n| n.starts_with(&prefix)))
        .cloned()
        .collect()
}
