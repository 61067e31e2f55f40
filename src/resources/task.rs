//! A service's running tasks (read only): where they run, and which to ECS Exec into.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::DesiredStatus;
use aws_sdk_ecs::Client;

use crate::error::{Doing, Every, Result};

/// DescribeTasks takes at most 100 tasks per call (ECS API reference).
const DESCRIBE_BATCH: usize = 100;

/// A running task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its ARN.
    pub arn: String,
    /// Its Availability Zone (`"unknown"` where ECS gives none).
    pub availability_zone: String,
}

/// The running tasks of `service` (ListTasks, then DescribeTasks in batches).
pub async fn running(ecs: &Client, cluster: &str, service: &str) -> Result<Vec<Task>> {
    let doing = format!("listing tasks of ECS service ({service})");
    let arns: Vec<String> = ecs
        .list_tasks()
        .cluster(cluster)
        .service_name(service)
        .desired_status(DesiredStatus::Running)
        .into_paginator()
        .items()
        .send()
        .every(&doing)
        .await?;
    let mut tasks = Vec::with_capacity(arns.len());
    for batch in arns.chunks(DESCRIBE_BATCH) {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(batch.to_vec()))
            .send()
            .await
            .doing(&doing)?;
        tasks.extend(out.tasks().iter().filter_map(|t| {
            Some(Task {
                arn: t.task_arn()?.to_string(),
                availability_zone: t.availability_zone().unwrap_or("unknown").to_string(),
            })
        }));
    }
    Ok(tasks)
}

/// How many of `tasks` run in each Availability Zone.
pub fn per_zone(tasks: &[Task]) -> BTreeMap<String, usize> {
    let mut zones = BTreeMap::new();
    for t in tasks {
        *zones.entry(t.availability_zone.clone()).or_insert(0) += 1;
    }
    zones
}
