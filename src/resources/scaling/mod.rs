//! Application Auto Scaling of an ECS service's desired count: the scalable target (this
//! file: `find_all`, `register`, `deregister`), its target tracking policies ([`policy`]) and
//! its scheduled actions ([`schedule`]). The scalable target is the only taggable resource
//! of the service (its ARN's resource type is `scalable-target`); policies and scheduled
//! actions are ours by name ([`crate::naming::Deployment::owns_name`]) on a target that is ours.
//!
//! Sources: Application Auto Scaling API Reference (RegisterScalableTarget: "If you call the
//! RegisterScalableTarget API operation to create a scalable target, there might be a brief
//! delay until the operation achieves eventual consistency"; Tags: "Use this parameter to tag
//! the scalable target when it is created"; DeregisterScalableTarget: "Deregistering a
//! scalable target deletes the scaling policies and the scheduled actions that are associated
//! with it"), "Application Auto Scaling resource types" (ECS ResourceId
//! `service/<cluster>/<service>`, dimension `ecs:service:DesiredCount`).

/// `$request` about the desired count of the ECS service `$resource_id`
/// (`service/<cluster>/<service>`): the namespace, dimension and id every Application Auto
/// Scaling request of prod-e's names; with `every`, all items of such a describe.
macro_rules! of_service {
    // Every item of a paginated describe of the service's target, `$what` naming errors.
    (every $request:expr, $resource_id:expr, $what:literal) => {{
        let doing = format!(concat!("reading ", $what, " of ({})"), $resource_id);
        let listed = of_service!($request, $resource_id).into_paginator().items();
        $crate::error::Every::every(listed.send(), doing).await
    }};
    ($request:expr, $resource_id:expr) => {
        $request
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .scalable_dimension(
                aws_sdk_applicationautoscaling::types::ScalableDimension::EcsServiceDesiredCount,
            )
            .resource_id($resource_id)
    };
}

pub mod policy;
pub mod schedule;
mod settings;
pub use settings::{expand, Scaling, SETTINGS};

use aws_sdk_applicationautoscaling::error::ProvideErrorMetadata;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_applicationautoscaling::Client;
use std::future::Future;

use super::{gone, required, Tagged};
use crate::error::{
    is_scalable_target_not_yet_visible, is_scalable_target_tagged_twice,
    is_scaling_service_not_yet_visible, is_scaling_update_in_progress, Doing, Result,
};
use crate::naming::Tags;
use crate::retry::{retry_each, Case, SCALABLE_TARGET_VISIBLE};
use crate::retry::{SCALING_SERVICE_VISIBLE, SCALING_UPDATE_PENDING};

/// A scalable target as found.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalableTarget {
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// Its ARN (`arn:…:application-autoscaling:…:scalable-target/<id>`).
    pub arn: String,
    /// The fewest tasks.
    pub min_capacity: i32,
    /// The most tasks.
    pub max_capacity: i32,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(ScalableTarget, "scalable target", resource_id);

/// The ResourceId of service `service` in `cluster`.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// The retries of a registration: a new service not yet visible to Application Auto Scaling,
/// a change of the target still pending.
const REGISTER_RETRIES: [Case; 2] = [
    (SCALING_SERVICE_VISIBLE, is_scaling_service_not_yet_visible),
    (SCALING_UPDATE_PENDING, is_scaling_update_in_progress),
];
/// The retries of a policy or scheduled action put on a target: a change of the target still
/// pending, a target registered a moment ago not yet visible.
const PUT_RETRIES: [Case; 2] = [
    (SCALING_UPDATE_PENDING, is_scaling_update_in_progress),
    (SCALABLE_TARGET_VISIBLE, is_scalable_target_not_yet_visible),
];
/// The retries of a delete or deregistration (not found is done, never retried).
const DELETE_RETRIES: [Case; 1] = [(SCALING_UPDATE_PENDING, is_scaling_update_in_progress)];

/// One put of a policy or scheduled action (`send` makes the call), retried as
/// [`PUT_RETRIES`] says; the error named with `doing`.
async fn retried_put<F, Fut, O, E>(doing: &str, send: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<O, E>>,
    E: ProvideErrorMetadata + std::error::Error,
{
    retry_each(&PUT_RETRIES, || async { send().await.done(doing) }).await
}

/// One deletion or deregistration (`send` makes the call), retried as [`DELETE_RETRIES`]
/// says; gone counts as done.
async fn retried_removal<F, Fut, O, E>(doing: &str, send: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<O, E>>,
    E: ProvideErrorMetadata + std::error::Error,
{
    gone(retry_each(&DELETE_RETRIES, || async { send().await.done(doing) }).await)
}

/// The targets of `resource_ids` that exist, in that order, with their tags (one
/// DescribeScalableTargets for all, then ListTagsForResource of each found).
pub async fn find_all(aas: &Client, resource_ids: &[String]) -> Result<Vec<ScalableTarget>> {
    let doing = format!("reading scalable targets ({})", resource_ids.join(", "));
    let out = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .set_resource_ids(Some(resource_ids.to_vec()))
        .send()
        .await
        .doing(&doing)?;
    let targets = out.scalable_targets();
    let mut found = Vec::new();
    for id in resource_ids {
        if let Some(target) = targets.iter().find(|t| t.resource_id() == id) {
            found.push(with_tags(aas, target).await?);
        }
    }
    Ok(found)
}

/// A described target with its tags (DescribeScalableTargets carries none).
async fn with_tags(
    aas: &Client,
    target: &aws_sdk_applicationautoscaling::types::ScalableTarget,
) -> Result<ScalableTarget> {
    let kind = ScalableTarget::KIND;
    let arn = required(target.scalable_target_arn(), kind, "ScalableTargetARN")?;
    Ok(ScalableTarget {
        resource_id: target.resource_id().to_string(),
        min_capacity: target.min_capacity(),
        max_capacity: target.max_capacity(),
        tags: super::tags::scaling::of(aas, &arn).await?,
        arn,
    })
}

/// Registers the target with its bounds, or changes the bounds of a registered one
/// (Application Auto Scaling then moves the count into them itself); `tags` only when it is
/// created, as AWS refuses them for a target that exists: if it does after all (a retry of a
/// registration whose answer was lost), it is registered again without them.
pub async fn register(
    aas: &Client,
    resource_id: &str,
    bounds: (u32, u32),
    tags: Option<&Tags>,
) -> Result<()> {
    match register_once(aas, resource_id, bounds, tags).await {
        Err(e) if is_scalable_target_tagged_twice(&e) => {
            register_once(aas, resource_id, bounds, None).await
        }
        done => done,
    }
}

/// One RegisterScalableTarget, with its retries ([`REGISTER_RETRIES`]).
async fn register_once(
    aas: &Client,
    resource_id: &str,
    (min, max): (u32, u32),
    tags: Option<&Tags>,
) -> Result<()> {
    let doing = format!("registering scalable target ({resource_id})");
    let tags: Option<std::collections::HashMap<String, String>> =
        tags.map(|t| t.clone().into_iter().collect());
    retry_each(&REGISTER_RETRIES, || async {
        of_service!(aas.register_scalable_target(), resource_id)
            .min_capacity(min as i32)
            .max_capacity(max as i32)
            .set_tags(tags.clone())
            .send()
            .await
            .done(&doing)
    })
    .await
}

/// Deregisters the target (its policies and scheduled actions go with it); a target already
/// gone counts as deregistered.
pub async fn deregister(aas: &Client, resource_id: &str) -> Result<()> {
    let doing = format!("deregistering scalable target ({resource_id})");
    let send = || of_service!(aas.deregister_scalable_target(), resource_id).send();
    retried_removal(&doing, send).await
}
