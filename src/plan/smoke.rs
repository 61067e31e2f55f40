//! `SmokeChecks`: one one-off task of the new revision, with the service's network, roles and
//! secrets, sends each check through the set's test listener rule
//! ([`crate::smoke_check`]), before any production traffic reaches the revision.
//!
//! - An in-place Update (and any wait on a service whose deployment pauses): ECS pauses the
//!   deployment at `POST_TEST_TRAFFIC_SHIFT` (the set's `PAUSE` hook: the new revision has all
//!   of the test traffic and none of production's); the steady wait runs the task, and once it
//!   stops answers ContinueServiceDeployment: CONTINUE if every check passed, else ROLLBACK,
//!   and the operation fails naming the check and the answer it got.
//! - A new set (Create, replacement): its service deploys as ROLLING until its traffic is
//!   routed, so the task runs after the test rule is made and before the one ModifyRule that
//!   routes production traffic; a failure leaves production traffic where it was.
//!
//! The task is found again by its `startedBy` (the request's, [`Owner::started_by`], with
//! `/smoke`), so a continued invocation waits for the task an earlier one started; a Delete
//! stops it with the set's other one-off tasks ([`super::migration::stop_running`]).

use std::sync::Mutex;

use super::migration::{earlier, Place};
use super::Owner;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::progress::step;
use crate::resources::service::{self, Paused};
use crate::resources::task::{self, Run, Task};
use crate::resources::{load_balancer, log_group, task_definition};
use crate::smoke_check;
use crate::spec::smoke::test_request;
use crate::spec::Spec;
use crate::wait;

/// The checks of one operation on one revision.
#[derive(Debug)]
pub(super) struct Smoke<'a> {
    c: &'a Clients,
    owner: &'a Owner,
    spec: &'a Spec,
    place: Place<'a>,
    revision: &'a str,
    /// Whether the checks run (not for CloudFormation's rollback: no check blocks one).
    checking: bool,
    /// The pauses this invocation has ended (a read may still show one as waiting).
    ended: Mutex<Vec<String>>,
}

impl<'a> Smoke<'a> {
    /// The checks `spec` asks for, run in `place` on `revision`.
    pub fn new(
        c: &'a Clients,
        (owner, spec): (&'a Owner, &'a Spec),
        place: Place<'a>,
        revision: &'a str,
    ) -> Self {
        let ended = Mutex::new(Vec::new());
        let checking = !spec.smoke_checks.is_empty();
        Smoke {
            c,
            owner,
            spec,
            place,
            revision,
            checking,
            ended,
        }
    }

    /// The same, the checks run only if `run` (and `spec` has some).
    pub fn checking(self, run: bool) -> Self {
        Smoke {
            checking: self.checking && run,
            ..self
        }
    }

    /// A new set's checks, before its routing ModifyRule: runs the task (or finds it again)
    /// and waits until it stops. Errors: a check failed ([`Error::OneOffFailed`]).
    pub async fn before_routing(&self) -> Result<()> {
        if !self.checking {
            return Ok(());
        }
        let waiting = "SmokeChecks' task to stop";
        let ended = step(format!("waiting for {waiting}"), async {
            wait::wait(waiting, || self.poll()).await
        });
        let ended = Box::pin(ended).await?;
        let consequence = "production traffic was not moved to the new set";
        self.judge(&ended, consequence).await
    }

    /// One read of a wait whose deployment waits at a `PAUSE` hook: without checks to run (a
    /// hook this operation removes, CloudFormation's rollback) the deployment goes on; else
    /// the checks' task runs, and once it stops the deployment goes on if they passed, or is
    /// rolled back and the failure returned.
    pub async fn at_pause(&self, paused: Paused) -> Result<()> {
        if self.lock().contains(&paused.hook_id) {
            return Ok(());
        }
        let verdict = match self.checking {
            false => Ok(()),
            true => match self.poll().await? {
                None => return Ok(()),
                Some(ended) => {
                    let consequence = "the deployment was rolled back to the previous revision";
                    self.judge(&ended, consequence).await
                }
            },
        };
        let ecs = &self.c.ecs;
        service::resume(ecs, &paused, verdict.is_err()).await?;
        self.lock().push(paused.hook_id);
        verdict
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The checks' task once it has stopped (`None` while it runs): started now if this
    /// request has none yet.
    async fn poll(&self) -> Result<Option<Task>> {
        let (ecs, cluster) = (&self.c.ecs, self.place.cluster);
        let started_by = format!("{}/smoke", self.owner.started_by());
        let family = &self.spec.task_family;
        let arn = match earlier(self.c, cluster, family, &started_by).await? {
            Some(arn) => arn,
            None => self.start(&started_by).await?,
        };
        let found = task::describe(ecs, cluster, &[arn], &self.spec.container_name).await?;
        Ok(found.into_iter().find(Task::stopped))
    }

    /// Starts the checks' task on the revision.
    async fn start(&self, started_by: &str) -> Result<String> {
        let spec = self.spec;
        let url = load_balancer::listener_url(&self.c.elb, &spec.listener_arn).await?;
        let request = test_request(spec).unwrap_or_default();
        let environment = smoke_check::environment(&url, &request, &spec.smoke_checks);
        let command = smoke_check::command();
        let run = Run {
            cluster: self.place.cluster,
            task_definition_arn: self.revision,
            security_group_id: self.place.security_group_id,
            command: (&spec.container_name, &command),
            started_by,
            environment: &environment,
        };
        let tags = self.owner.tags(&spec.tags);
        let running = task::run(&self.c.ecs, spec, run, &tags);
        step("running SmokeChecks as a one-off task", running).await
    }

    /// Ok when the task exited 0; else [`Error::OneOffFailed`] naming the first check that
    /// failed and what it got (read from the task's log stream, best effort), the task and
    /// where its output is, and `consequence`.
    async fn judge(&self, ended: &Task, consequence: &str) -> Result<()> {
        let container = &self.spec.container_name;
        let prefix = task_definition::AWSLOGS_STREAM_PREFIX;
        let stream = format!("{prefix}/{container}/{}", ended.id());
        let group = self.place.log_group;
        let how = match ended.exit_code {
            Some(0) => return Ok(()),
            Some(smoke_check::NO_CLIENT) => "could not run: the image has neither curl nor \
                                              wget (nor sh)"
                .to_string(),
            Some(code) => match self.check(code) {
                Some((n, check)) => {
                    let lines = log_group::stream_lines(&self.c.logs, group, &stream).await;
                    let lines = lines.unwrap_or_else(|err| {
                        tracing::warn!(%err, "reading the SmokeChecks task's output");
                        Vec::new()
                    });
                    let got = smoke_check::answer(&lines, n);
                    let got = got.map_or("failed".to_string(), |g| format!("answered {g}"));
                    format!(
                        "check {n} (GET {} through the test listener rule, expected {}) {got}",
                        check.path, check.expected_status
                    )
                }
                None => format!("task exited with code {code}"),
            },
            None => format!(
                "task stopped before its checks ended ({})",
                ended.stopped_reason
            ),
        };
        Err(Error::OneOffFailed {
            property: "SmokeChecks",
            outcome: format!(
                "{how} (task {}; its output: log group {group}, log stream {stream}); \
                 {consequence}",
                ended.arn
            ),
        })
    }

    /// The check an exit code names (1 for the first), with its number.
    fn check(&self, code: i32) -> Option<(usize, &crate::spec::smoke::SmokeCheck)> {
        let n = usize::try_from(code).ok()?;
        let check = self.spec.smoke_checks.get(n.checked_sub(1)?)?;
        Some((n, check))
    }
}
