//! ECS tasks: a service's running tasks (where they run, and which to ECS Exec into), and
//! one-off tasks (`MigrationCommand`): run one task of a revision with the service's network
//! and capacity, find it again by its `startedBy`, read how it ended, stop it.
//!
//! Sources (ECS API reference): RunTask (`startedBy`: up to 128 letters, numbers, hyphens,
//! forward slashes and underscores; `overrides`: at most 8192 characters), ListTasks
//! (`startedBy` "must be the only filter", the default `desiredStatus` is RUNNING, "stopped
//! tasks appear in the returned results for at least one hour"), DescribeTasks (at most 100
//! tasks; `Container`: `exitCode`, `reason`; `Task`: `stopCode`, `stoppedReason`), StopTask.

use std::collections::BTreeMap;

use aws_sdk_ecs::operation::list_tasks::builders::ListTasksFluentBuilder;
use aws_sdk_ecs::types::{
    ContainerOverride, DesiredStatus, KeyValuePair, LaunchType, TaskOverride,
};
use aws_sdk_ecs::Client;

use super::service::{capacity_strategy, network};
use super::{build_error, required, tags};
use crate::error::{Doing, Error, Every, Result};
use crate::naming::Tags;
use crate::spec::Spec;

/// DescribeTasks takes at most 100 tasks per call (ECS API reference).
const DESCRIBE_BATCH: usize = 100;

/// The reason a removal of the set gives StopTask for the set's one-off tasks.
pub const STOPPED_BY_REMOVAL: &str = "prod-e: its set is being deleted";

/// A task as DescribeTasks shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    /// Its ARN.
    pub arn: String,
    /// Its Availability Zone (`"unknown"` where ECS gives none).
    pub availability_zone: String,
    /// Its `lastStatus` (PROVISIONING … RUNNING … STOPPED).
    pub last_status: String,
    /// Its `startedBy`.
    pub started_by: String,
    /// How the container read ended: its `exitCode`, if it exited.
    pub exit_code: Option<i32>,
    /// Why the task or its container stopped (`stoppedReason`, the container's `reason`).
    pub stopped_reason: String,
    /// When ECS created it (`createdAt`), if it says.
    pub created_at: Option<std::time::SystemTime>,
}

impl Task {
    /// Whether it has stopped.
    pub fn stopped(&self) -> bool {
        self.last_status == "STOPPED"
    }

    /// Whether a removal of its set stopped it ([`STOPPED_BY_REMOVAL`] is its stop reason:
    /// StopTask's `reason` "appears in subsequent DescribeTasks API operations on this task",
    /// ECS API Reference, StopTask).
    pub fn stopped_by_removal(&self) -> bool {
        self.stopped() && self.stopped_reason.starts_with(STOPPED_BY_REMOVAL)
    }

    /// Its task id (the last part of its ARN), which names its awslogs stream.
    pub fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }

    /// The awslogs stream of its container `container` in a revision prod-e registered:
    /// `<prefix>/<container>/<task id>` ([`super::task_definition::AWSLOGS_STREAM_PREFIX`]).
    pub fn log_stream(&self, container: &str) -> String {
        let prefix = super::task_definition::AWSLOGS_STREAM_PREFIX;
        format!("{prefix}/{container}/{}", self.id())
    }
}

/// The running tasks of `service` (ListTasks, then DescribeTasks in batches).
pub async fn running(ecs: &Client, cluster: &str, service: &str) -> Result<Vec<Task>> {
    let doing = format!("listing tasks of ECS service ({service})");
    let list = ecs.list_tasks().service_name(service);
    listed(
        ecs,
        cluster,
        &doing,
        list.desired_status(DesiredStatus::Running),
    )
    .await
}

/// The tasks `list` lists in `cluster` (every page), as DescribeTasks shows them.
async fn listed(
    ecs: &Client,
    cluster: &str,
    doing: &str,
    list: ListTasksFluentBuilder,
) -> Result<Vec<Task>> {
    let pages = list.cluster(cluster).into_paginator().items().send();
    let arns: Vec<String> = pages.every(doing).await?;
    describe(ecs, cluster, &arns, "").await
}

/// How many of `tasks` run in each Availability Zone.
pub fn per_zone(tasks: &[Task]) -> BTreeMap<String, usize> {
    let mut zones = BTreeMap::new();
    for t in tasks {
        *zones.entry(t.availability_zone.clone()).or_insert(0) += 1;
    }
    zones
}

/// What a one-off task runs, and where.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The cluster's name.
    pub cluster: &'a str,
    /// The revision's ARN.
    pub task_definition_arn: &'a str,
    /// The tasks' own security group (the spec's further groups join it, as for the service).
    pub security_group_id: &'a str,
    /// The container whose command is overridden, and the command.
    pub command: (&'a str, &'a [String]),
    /// The task's `startedBy`: how it is found again.
    pub started_by: &'a str,
    /// Environment variables set for the container, beside its own.
    pub environment: &'a [(String, String)],
}

/// `pairs` as ECS's key-value pairs.
fn variables(pairs: &[(String, String)]) -> Vec<KeyValuePair> {
    let pair = |(k, v): &(String, String)| KeyValuePair::builder().name(k).value(v).build();
    pairs.iter().map(pair).collect()
}

/// Runs one task of `run.task_definition_arn` in the spec's subnets (Fargate, or the spec's
/// capacity provider strategy), its container's command overridden, tagged with `tags`.
pub async fn run(ecs: &Client, spec: &Spec, run: Run<'_>, tags: &Tags) -> Result<String> {
    let doing = format!("running a one-off task in ECS cluster ({})", run.cluster);
    let network = network(spec, run.security_group_id).map_err(|e| build_error(&doing, e))?;
    let strategy =
        capacity_strategy(&spec.capacity_provider_strategy).map_err(|e| build_error(&doing, e))?;
    let (container, command) = run.command;
    let overrides = TaskOverride::builder()
        .container_overrides(
            ContainerOverride::builder()
                .name(container)
                .set_command(Some(command.to_vec()))
                .set_environment(Some(variables(run.environment)).filter(|v| !v.is_empty()))
                .build(),
        )
        .build();
    let out = ecs
        .run_task()
        .cluster(run.cluster)
        .task_definition(run.task_definition_arn)
        .count(1)
        .set_launch_type(strategy.is_empty().then_some(LaunchType::Fargate))
        .set_capacity_provider_strategy(Some(strategy).filter(|s| !s.is_empty()))
        .network_configuration(network)
        .overrides(overrides)
        .started_by(run.started_by)
        .set_tags(Some(tags::ecs::list(tags)))
        .send()
        .await
        .doing(&doing)?;
    if let Some(failure) = out.failures().first() {
        let reason = failure.reason().unwrap_or("no reason given");
        return Err(Error::Aws {
            doing,
            code: None,
            message: format!("ECS could not start the task: {reason}"),
        });
    }
    let task = out.tasks().first();
    required(task.and_then(|t| t.task_arn()), "one-off task", "taskArn")
}

/// The running task started with `started_by` in `cluster`, if any (ListTasks with only that
/// filter lists RUNNING tasks).
pub async fn find_running(ecs: &Client, cluster: &str, started_by: &str) -> Result<Option<String>> {
    let doing = format!("listing one-off tasks in ECS cluster ({cluster})");
    let out = ecs
        .list_tasks()
        .cluster(cluster)
        .started_by(started_by)
        .send()
        .await
        .doing(doing)?;
    Ok(out.task_arns().first().cloned())
}

/// The tasks of `family` in `cluster` whose desired status is STOPPED (`stopped`) or RUNNING,
/// as DescribeTasks shows them.
pub async fn of_family(
    ecs: &Client,
    cluster: &str,
    family: &str,
    stopped: bool,
) -> Result<Vec<Task>> {
    let status = match stopped {
        true => DesiredStatus::Stopped,
        false => DesiredStatus::Running,
    };
    let doing = format!("listing tasks of family {family} in ECS cluster ({cluster})");
    let list = ecs.list_tasks().family(family).desired_status(status);
    listed(ecs, cluster, &doing, list).await
}

/// Tasks `arns` of `cluster` (DescribeTasks in batches), each with the exit code of its
/// container `container` (any container's, if empty).
pub async fn describe(
    ecs: &Client,
    cluster: &str,
    arns: &[String],
    container: &str,
) -> Result<Vec<Task>> {
    let doing = format!("reading tasks in ECS cluster ({cluster})");
    let mut tasks = Vec::with_capacity(arns.len());
    for batch in arns.chunks(DESCRIBE_BATCH) {
        let out = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(batch.to_vec()))
            .send()
            .await
            .doing(&doing)?;
        tasks.extend(out.tasks().iter().map(|t| from_sdk(t, container)));
    }
    Ok(tasks)
}

fn from_sdk(t: &aws_sdk_ecs::types::Task, container: &str) -> Task {
    let named = t
        .containers()
        .iter()
        .find(|c| container.is_empty() || c.name() == Some(container));
    let reasons = [t.stopped_reason(), named.and_then(|c| c.reason())];
    let reasons: Vec<&str> = reasons.into_iter().flatten().collect();
    Task {
        arn: t.task_arn().unwrap_or_default().to_string(),
        availability_zone: t.availability_zone().unwrap_or("unknown").to_string(),
        last_status: t.last_status().unwrap_or_default().to_string(),
        started_by: t.started_by().unwrap_or_default().to_string(),
        exit_code: named.and_then(|c| c.exit_code()),
        stopped_reason: reasons.join(": "),
        created_at: t
            .created_at()
            .and_then(|at| std::time::SystemTime::try_from(*at).ok()),
    }
}

/// Stops task `arn` of `cluster`, saying why.
pub async fn stop(ecs: &Client, cluster: &str, arn: &str, reason: &str) -> Result<()> {
    ecs.stop_task()
        .cluster(cluster)
        .task(arn)
        .reason(reason)
        .send()
        .await
        .done(format!("stopping one-off task ({arn})"))
}
