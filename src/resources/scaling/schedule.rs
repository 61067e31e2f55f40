//! Scheduled actions of a scalable target: `find_all`, `put`, `delete`.
//!
//! Source: Application Auto Scaling API Reference, PutScheduledAction ("If you are updating
//! an existing scheduled action, only the parameters that you specify are replaced"; a
//! ScalableTargetAction with MinCapacity, MaxCapacity or both).

use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalableTargetAction, ServiceNamespace,
};
use aws_sdk_applicationautoscaling::Client;

use super::WRITE_RETRIES;
use crate::error::{Error, Result};
use crate::resources::gone;
use crate::retry::retry_each;
use crate::spec::object::Object;

/// The names of every scheduled action of the target `resource_id`.
pub async fn find_all(aas: &Client, resource_id: &str) -> Result<Vec<String>> {
    let doing = format!("reading scheduled actions of ({resource_id})");
    let listed = aas
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws(&doing, e))?;
    Ok(listed
        .iter()
        .map(|a| a.scheduled_action_name().to_string())
        .collect())
}

/// Creates or replaces action `name` of the target `resource_id` from one item of
/// `ScheduledActions`. A bound the item leaves out is sent as not set, so a replaced action
/// keeps no earlier one.
pub async fn put(aas: &Client, resource_id: &str, name: &str, item: &Object) -> Result<()> {
    let doing = format!("putting scheduled action ({name})");
    let bound = |f| item.optional_integer(f).map(|n| n as i32);
    let action = ScalableTargetAction::builder()
        .set_min_capacity(bound("MinCapacity"))
        .set_max_capacity(bound("MaxCapacity"))
        .build();
    let timezone = Some(item.text("Timezone")).filter(|t| !t.is_empty());
    retry_each(&WRITE_RETRIES, || async {
        aas.put_scheduled_action()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(resource_id)
            .scheduled_action_name(name)
            .schedule(item.text("Schedule"))
            .set_timezone(timezone.clone())
            .scalable_target_action(action.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| Error::aws(&doing, e))
    })
    .await
}

/// Deletes action `name`; gone counts as deleted.
pub async fn delete(aas: &Client, resource_id: &str, name: &str) -> Result<()> {
    let doing = format!("deleting scheduled action ({name})");
    gone(
        retry_each(&WRITE_RETRIES[1..], || async {
            aas.delete_scheduled_action()
                .service_namespace(ServiceNamespace::Ecs)
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .resource_id(resource_id)
                .scheduled_action_name(name)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Error::aws(&doing, e))
        })
        .await,
    )
}
