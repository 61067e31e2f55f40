//! A service's tasks (read only): where they run.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::DesiredStatus;
use aws_sdk_ecs::Client;

use crate::error::{Error, Result};

/// DescribeTasks takes at most 100 tasks per call (ECS API reference).
const DESCRIBE_BATCH: usize = 100;

/// The number of running tasks of `service` per Availability Zone (`"unknown"` where ECS
/// gives none).
pub async fn running_per_zone(
    ecs: &Client,
    cluster: &str,
    service: &str,
) -> Result<BTreeMap<String, usize>> {
    let doing = format!("listing tasks of ECS service ({service})");
    let arns: Vec<String> = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(DesiredStatus::Running)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws(&doing, e))?;
    let mut zones = BTreeMap::new();
    for batch in arns.chunks(DESCRIBE_BATCH) {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
        for task in out.tasks() {
            let zone = task.availability_zone().unwrap_or("unknown").to_string();
            *zones.entry(zone).or_insert(0) += 1;
        }
    }
    Ok(zones)
}
