//! `MigrationCommand`: one task of the revision an operation is about to deploy, with the
//! service's network, roles and secrets, run to its end before the service starts any task of
//! that revision (a Create or a replacement: before its service exists; an in-place Update:
//! before its UpdateService). Exit code 0 lets the operation go on; anything else fails it
//! with the exit code and the task's log stream, and nothing of the new revision runs.
//!
//! The task is found again by its `startedBy` ([`Owner::started_by`]: the set and the
//! request), so a continued or retried invocation waits for the task an earlier one started
//! instead of running the command twice: ListTasks by `startedBy` (RUNNING tasks only, as it
//! may have no other filter), then the family's STOPPED tasks, which ECS lists for at least an
//! hour (ECS API reference, ListTasks), longer than an operation may last (`ServiceTimeout`).

use super::Owner;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::task::{self, Run, Task};
use crate::resources::{service, task_definition};
use crate::spec::{Diff, Spec};
use crate::wait;

/// Where a set's one-off task runs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place<'a> {
    /// The cluster's name.
    pub cluster: &'a str,
    /// The tasks' security group.
    pub security_group_id: &'a str,
    /// The log group the revision's awslogs driver writes to.
    pub log_group: &'a str,
}

/// Before a Create's or a replacement's service: runs the migration on `revision`, unless
/// the set's service exists already (an earlier invocation ran it, then made the service).
pub(super) async fn before_service(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    place: Place<'_>,
    revision: &str,
) -> Result<()> {
    if spec.migration_command.is_empty() {
        return Ok(());
    }
    let names = owner.deployment.service_names(&spec.service_name);
    let made = service::find_named(&c.ecs, place.cluster, &names).await?;
    if made.iter().any(|s| owner.deployment.owns(&s.tags)) {
        return Ok(());
    }
    run(c, owner, spec, place, revision).await
}

/// Before an in-place Update's writes: when it deploys a new revision and is not
/// CloudFormation's rollback, runs the migration on it (registered now if the set was read
/// without one: `links`). Returns the revision to deploy. A failure retires the revision, and
/// so does a wait that goes on in the next invocation ([`Error::BeforeWrites`]: the writes are
/// to do; that invocation registers its own revision and finds the task by its `startedBy`).
pub(super) async fn before_update(
    c: &Clients,
    owner: &Owner,
    (new, diff, rolling_back): (&Spec, &Diff, bool),
    (place, links): (Place<'_>, task_definition::Links<'_>),
    registered: Option<String>,
) -> Result<Option<String>> {
    if new.migration_command.is_empty() || rolling_back || !diff.revises_task_definition() {
        return Ok(registered);
    }
    let revision = match registered {
        Some(arn) => arn,
        None => {
            let tags = owner.tags(&new.tags);
            task_definition::create(&c.ecs, new, links, &tags)
                .await?
                .arn
        }
    };
    match run(c, owner, new, place, &revision).await {
        Ok(()) => Ok(Some(revision)),
        Err(err) => {
            let err = match err.pending() {
                Some(_) => Error::BeforeWrites(Box::new(err)),
                None => err,
            };
            Err(super::revisions::retire_early(c, Some(revision), err).await)
        }
    }
}

/// Runs (or finds again) the migration task on `revision` and waits until it stops.
async fn run(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    place: Place<'_>,
    revision: &str,
) -> Result<()> {
    let (ecs, cluster) = (&c.ecs, place.cluster);
    let started_by = owner.started_by();
    let arn = match earlier(c, cluster, &spec.task_family, &started_by).await? {
        Some(arn) => arn,
        None => {
            let run = Run {
                cluster,
                task_definition_arn: revision,
                security_group_id: place.security_group_id,
                command: (&spec.container_name, &spec.migration_command),
                started_by: &started_by,
                environment: &[],
            };
            let tags = owner.tags(&spec.tags);
            let running = task::run(ecs, spec, run, &tags);
            step("running MigrationCommand as a one-off task", running).await?
        }
    };
    let waiting = format!("MigrationCommand's task ({arn}) to stop");
    let ended = step(
        format!("waiting for {waiting}"),
        wait::wait(&waiting, || async {
            let arns = [arn.clone()];
            let found = task::describe(ecs, cluster, &arns, &spec.container_name).await?;
            Ok(found.into_iter().find(Task::stopped))
        }),
    )
    .await?;
    judge(&ended, place.log_group, &spec.container_name)
}

/// The task this request started on `cluster` before, if any: running, else stopped.
pub(super) async fn earlier(
    c: &Clients,
    cluster: &str,
    family: &str,
    started_by: &str,
) -> Result<Option<String>> {
    if let Some(arn) = task::find_running(&c.ecs, cluster, started_by).await? {
        return Ok(Some(arn));
    }
    let stopped = task::of_family(&c.ecs, cluster, family, true).await?;
    Ok(stopped
        .into_iter()
        .find(|t| t.started_by == started_by)
        .map(|t| t.arn))
}

/// Ok for exit code 0; else [`Error::OneOffFailed`] naming the exit code (or why the task
/// stopped without one) and where its output is: awslogs names a task's stream
/// `<prefix>/<container>/<task id>` ([`Task::log_stream`]). [`Error::BeingRemoved`] when a
/// removal of the set stopped the task: that removal (CloudFormation's Delete of a Create it
/// cancelled) removes what this attempt made; a second removal beside it would only race it.
fn judge(ended: &Task, log_group: &str, container: &str) -> Result<()> {
    if ended.stopped_by_removal() {
        return Err(Error::BeingRemoved {
            what: format!(
                "MigrationCommand's task ({}) was stopped by the set's removal",
                ended.arn
            ),
        });
    }
    let how = match ended.exit_code {
        Some(0) => return Ok(()),
        Some(code) => format!("exited with code {code}"),
        None => format!(
            "stopped before its command exited ({})",
            ended.stopped_reason
        ),
    };
    let stream = ended.log_stream(container);
    Err(Error::OneOffFailed {
        property: "MigrationCommand",
        outcome: format!(
            "{how} (task {}; its output: log group {log_group}, log stream {stream}); \
             nothing of the new revision was deployed",
            ended.arn
        ),
    })
}

/// Stops the one-off tasks set `d` started on `cluster` that still run (a Delete's cluster
/// refused with running tasks): those whose `startedBy` is the set's
/// ([`Owner::started_by`] begins with the set's id).
pub(super) async fn stop_running(c: &Clients, d: &Deployment, cluster: &str, family: &str) {
    let prefix = format!("{}/", d.physical_id());
    let running = task::of_family(&c.ecs, cluster, family, false).await;
    let running = running.unwrap_or_else(|err| {
        tracing::warn!(%err, "listing one-off tasks");
        Vec::new()
    });
    for ours in running.iter().filter(|t| t.started_by.starts_with(&prefix)) {
        let reason = task::STOPPED_BY_REMOVAL;
        if let Err(err) = task::stop(&c.ecs, cluster, &ours.arn, reason).await {
            tracing::warn!(%err, task = ours.arn, "stopping a one-off task");
        }
    }
}
