//! Reading a set straight from the emulator, for assertions: [`settings`] (every setting of
//! a set as sorted lines, normalized so that two sets made from the same Properties compare
//! equal, with [`assert_same_settings`]) and [`assert_nothing_left`]. Every read here is an
//! SDK call of its own against moto; none goes through the provider's own reads
//! (`prod_e::plan::inventory`, `prod_e::resources::*`), so that a bug there cannot hide itself.
//! `reads` finds each kind, `facts` and `network` turn what was found into lines.

mod facts;
mod network;
pub(crate) mod reads;

pub use facts::{assert_same_settings, settings};

use std::fmt::Debug;

use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{self as ecs};
use prod_e::aws::Clients;
use prod_e::naming::{Deployment, OWNER_TAG};
use prod_e::spec::Locator;
use serde_json::Value;

use crate::support::Harness;
use reads::*;

/// Error codes that say the resource read does not exist.
pub(super) const NOT_FOUND: [&str; 8] = [
    "NoSuchEntity",
    "ClusterNotFoundException",
    "ServiceNotFoundException",
    "TargetGroupNotFound",
    "ListenerNotFound",
    "InvalidGroup.NotFound",
    "ResourceNotFoundException",
    "ObjectNotFoundException",
];

/// A read's answer; `None` when it says the resource does not exist (other errors panic).
pub(super) fn found<T, E: ProvideErrorMetadata + Debug>(
    answer: Result<T, E>,
    doing: &str,
) -> Option<T> {
    match answer {
        Ok(v) => Some(v),
        Err(e) if e.code().is_some_and(|c| NOT_FOUND.contains(&c)) => None,
        Err(e) => panic!("{doing}: {e:?}"),
    }
}

/// Where a set lives: its names, and the listeners and VPC to look in (the Properties', else
/// the harness's network).
pub(super) struct Place {
    d: Deployment,
    at: Locator,
    listeners: Vec<String>,
    vpc: String,
}

pub(super) fn place(h: &Harness, physical_id: &str, properties: &Value) -> Place {
    let d =
        Deployment::parse(physical_id).unwrap_or_else(|| panic!("not a set's id: {physical_id}"));
    let at = Locator::from_properties(properties);
    let mut listeners: Vec<String> = at.listener_arn.iter().cloned().collect();
    if !listeners.contains(&h.network.listener_arn) {
        listeners.push(h.network.listener_arn.clone());
    }
    let vpc = at
        .vpc_id
        .clone()
        .unwrap_or_else(|| h.network.vpc_id.clone());
    Place {
        d,
        at,
        listeners,
        vpc,
    }
}

/// Whether tags (key, value) carry the ownership tag of set `id`.
pub(super) fn is_ours<'a>(
    mut tags: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
    id: &str,
) -> bool {
    tags.any(|(k, v)| k == Some(OWNER_TAG) && v == Some(id))
}

pub(super) fn ecs_ours(tags: &[ecs::Tag], id: &str) -> bool {
    is_ours(tags.iter().map(|t| (t.key(), t.value())), id)
}

pub(super) fn sorted<T: Clone + Ord>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort();
    v
}

/// `items` each in Debug form, sorted (for lists whose order means nothing).
pub(super) fn sorted_debug<T: Debug>(items: &[T]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| format!("{i:?}")).collect();
    v.sort();
    v
}

/// The set's services in `cluster` (ACTIVE or DRAINING), found by their ownership tag.
/// Panics naming whatever of set `physical_id` (made from `properties`) still exists. Reads
/// every kind prod-e makes directly from the emulator with the SDK clients, not through the
/// provider's inventory: both roles and the security group (those carrying the set's tag), the
/// log group, the cluster (tagged as the set's and not INACTIVE), every ACTIVE revision of the
/// task family tagged as the set's, the target group, the rules tagged as the set's (on the
/// Properties' listener and the harness's), the services tagged as the set's (ACTIVE or DRAINING), and
/// under either of the set's service names the scalable target (tagged as the set's or not
/// tagged at all), the set's scaling policies and scheduled actions (`<id>-…`), and the alarms
/// named `<id>-…`.
pub async fn assert_nothing_left(h: &Harness, physical_id: &str, properties: &Value) {
    let p = place(h, physical_id, properties);
    let c = &h.clients;
    let mut left = named_left(c, &p).await;
    left.extend(ecs_left(c, &p).await);
    left.extend(scaling_left(c, &p).await);
    for listener in &p.listeners {
        let rules = rules(c, listener, physical_id).await;
        left.extend(
            rules
                .iter()
                .map(|r| format!("listener rule {:?}", r.rule_arn())),
        );
    }
    assert!(left.is_empty(), "set {physical_id} left behind: {left:#?}");
}

/// What is left of the set's resources found by name.
async fn named_left(c: &Clients, p: &Place) -> Vec<String> {
    let mut left = Vec::new();
    // The task role is the stack resource's: another set may hold it under the same name.
    let names = [
        p.d.execution_role(),
        p.d.task_role(),
        p.d.legacy_task_role(),
        p.d.traffic_role(),
    ];
    for name in names {
        let tags = role(c, &name).await.map(|r| r.tags().to_vec());
        let ours = |t: &aws_sdk_iam::types::Tag| {
            t.key() == "prod-e:physical-id" && t.value() == p.d.physical_id()
        };
        if tags.is_some_and(|t| t.iter().any(ours)) {
            left.push(format!("role {name}"));
        }
    }
    if let Some(sg) = security_group(c, p).await {
        left.push(format!("security group {:?}", sg.group_id()));
    }
    if log_group(c, &p.d.log_group()).await.is_some() {
        left.push(format!("log group {}", p.d.log_group()));
    }
    for name in [p.d.target_group(), p.d.alternate_target_group()] {
        if let Some(tg) = target_group(c, &name).await {
            left.push(format!("target group {:?}", tg.target_group_arn()));
        }
    }
    let alarms = alarms(c, &p.d).await;
    left.extend(alarms.iter().map(|a| format!("alarm {:?}", a.alarm_name())));
    left
}

/// What is left of the set's cluster, task definitions and services.
async fn ecs_left(c: &Clients, p: &Place) -> Vec<String> {
    let (id, cluster_name) = (p.d.physical_id(), &p.at.cluster_name);
    let mut left = Vec::new();
    if cluster(c, cluster_name)
        .await
        .is_some_and(|k| ecs_ours(k.tags(), id))
    {
        left.push(format!("cluster {cluster_name}"));
    }
    let revisions = active_revisions(c, &p.at.task_family, id).await;
    left.extend(revisions.iter().map(|arn| format!("task definition {arn}")));
    for s in services(c, cluster_name, id).await {
        left.push(format!("service {:?} ({:?})", s.service_name(), s.status()));
    }
    left
}

/// What is left of the set's auto scaling, under either of its service names.
async fn scaling_left(c: &Clients, p: &Place) -> Vec<String> {
    let mut left = Vec::new();
    for service in p.d.service_names(&p.at.service_name) {
        let resource_id = scaling_id(&p.at.cluster_name, &service);
        if let Some(target) = scalable_target(c, &resource_id).await {
            let owner = match target.scalable_target_arn() {
                Some(arn) => {
                    let tags = c
                        .scaling
                        .list_tags_for_resource()
                        .resource_arn(arn)
                        .send()
                        .await;
                    let tags = tags.expect("list scalable target tags");
                    tags.tags().and_then(|t| t.get(OWNER_TAG)).cloned()
                }
                None => None,
            };
            if owner.is_none_or(|o| o == p.d.physical_id()) {
                left.push(format!("scalable target {resource_id}"));
            }
        }
        let policies = policies(c, &resource_id).await;
        let ours = policies.iter().filter(|x| p.d.owns_name(x.policy_name()));
        left.extend(ours.map(|x| format!("scaling policy {}", x.policy_name())));
        let actions = scheduled_actions(c, &resource_id).await;
        let ours = actions
            .iter()
            .filter(|a| p.d.owns_name(a.scheduled_action_name()));
        left.extend(ours.map(|a| format!("scheduled action {}", a.scheduled_action_name())));
    }
    left
}
