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
//! `/smoke`), so a continued invocation waits for the task an earlier one started; one that
//! outlasts [`overdue_after`] is stopped and fails the checks; a Delete stops it with the set's
//! other one-off tasks ([`super::migration::stop_running`]).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::migration::{earlier, Place};
use super::Owner;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::progress::step;
use crate::resources::service::{self, Paused};
use crate::resources::task::{self, Run, Task};
use crate::resources::{load_balancer, log_group};
use crate::smoke_check;
use crate::spec::smoke::test_request;
use crate::spec::Spec;
use crate::wait;

/// prod-e's allowance for a Fargate task to be placed, pull its image and start, beside the
/// checks' own time limits (a large image takes minutes to pull).
pub const START_ALLOWANCE: Duration = Duration::from_secs(300);

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
    seen: Mutex<Seen>,
}

/// What this invocation has seen of the checks.
#[derive(Debug, Default)]
struct Seen {
    /// The task, once started or found (ListTasks may not list a new one yet).
    task: Option<String>,
    /// The pauses it ended (a read may still show one as waiting).
    ended: Vec<String>,
}

/// The checks' task as one read finds it.
enum Polled {
    Running,
    Stopped(Task),
    /// Still running past [`overdue_after`]: stopped now.
    Overdue(Task),
}

impl<'a> Smoke<'a> {
    /// The checks `spec` asks for, run in `place` on `revision`.
    pub fn new(
        c: &'a Clients,
        (owner, spec): (&'a Owner, &'a Spec),
        place: Place<'a>,
        revision: &'a str,
    ) -> Self {
        let checking = !spec.smoke_checks.is_empty();
        let seen = Mutex::new(Seen::default());
        Smoke {
            c,
            owner,
            spec,
            place,
            revision,
            checking,
            seen,
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
            wait::wait(waiting, || async {
                Ok(match self.poll().await? {
                    Polled::Running => None,
                    done => Some(done),
                })
            })
            .await
        });
        let ended = Box::pin(ended).await?;
        self.judge(&ended, "production traffic was not moved to the new set")
            .await
    }

    /// One read of a wait whose deployment waits at a `PAUSE` hook: without checks to run (a
    /// hook this operation removes, CloudFormation's rollback) the deployment goes on; else
    /// the checks' task runs, and once it stops the deployment goes on if they passed, or is
    /// rolled back and the failure returned.
    pub async fn at_pause(&self, paused: Paused) -> Result<()> {
        if self.lock().ended.contains(&paused.hook_id) {
            return Ok(());
        }
        let verdict = match self.checking {
            false => Ok(()),
            true => match self.poll().await? {
                Polled::Running => return Ok(()),
                done => {
                    let consequence = "the deployment was rolled back to the previous revision";
                    self.judge(&done, consequence).await
                }
            },
        };
        self.resume(&paused, verdict.is_err()).await?;
        self.lock().ended.push(paused.hook_id);
        verdict
    }

    /// ContinueServiceDeployment on `paused`. ECS refuses it for a hook no longer awaiting
    /// action (ECS Developer Guide, "Continuing service deployments"): an earlier answer (an
    /// earlier invocation's, or a lost reply to this one) has ended the pause, which is what
    /// was asked; the refusal stands only while the hook still waits.
    async fn resume(&self, paused: &Paused, rollback: bool) -> Result<()> {
        let Err(err) = service::resume(&self.c.ecs, paused, rollback).await else {
            return Ok(());
        };
        let (ecs, cluster) = (&self.c.ecs, self.place.cluster);
        match service::paused(ecs, cluster, &paused.service).await? {
            Some(still) if still == *paused => Err(err),
            _ => Ok(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The checks' task as it is now, started if this request has none yet; stopped if it
    /// runs past [`overdue_after`].
    async fn poll(&self) -> Result<Polled> {
        let (ecs, cluster) = (&self.c.ecs, self.place.cluster);
        let started_by = format!("{}/smoke", self.owner.started_by());
        let known = self.lock().task.clone();
        let arn = match known {
            Some(arn) => arn,
            None => match earlier(self.c, cluster, &self.spec.task_family, &started_by).await? {
                Some(arn) => arn,
                None => self.start(&started_by).await?,
            },
        };
        self.lock().task = Some(arn.clone());
        let found = task::describe(ecs, cluster, &[arn], &self.spec.container_name).await?;
        let Some(found) = found.into_iter().next() else {
            return Ok(Polled::Running);
        };
        let age = found
            .created_at
            .and_then(|at| SystemTime::now().duration_since(at).ok());
        match found.stopped() {
            true => Ok(Polled::Stopped(found)),
            false if age.is_some_and(|a| a >= overdue_after(self.spec)) => {
                let reason = "prod-e: SmokeChecks ran past their time";
                task::stop(ecs, cluster, &found.arn, reason).await?;
                Ok(Polled::Overdue(found))
            }
            false => Ok(Polled::Running),
        }
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

    /// Ok when every check passed; else [`Error::OneOffFailed`] naming how they failed, the
    /// task and where its output is, and `consequence`; [`Error::BeingRemoved`] when a removal
    /// of the set stopped the task (that removal, not this operation, removes what it made).
    async fn judge(&self, ended: &Polled, consequence: &str) -> Result<()> {
        let (Polled::Stopped(task) | Polled::Overdue(task)) = ended else {
            return Ok(());
        };
        if task.stopped_by_removal() {
            return Err(Error::BeingRemoved {
                what: format!(
                    "SmokeChecks' task ({}) was stopped by the set's removal",
                    task.arn
                ),
            });
        }
        let stream = task.log_stream(&self.spec.container_name);
        let how = match ended {
            Polled::Overdue(_) => format!(
                "task ran past {} s without ending its checks (stopped)",
                overdue_after(self.spec).as_secs()
            ),
            _ => match self.failure(task, &stream).await {
                Some(how) => how,
                None => return Ok(()),
            },
        };
        let group = self.place.log_group;
        Err(Error::OneOffFailed {
            property: "SmokeChecks",
            outcome: format!(
                "{how} (task {}; its output: log group {group}, log stream {stream}); \
                 {consequence}",
                task.arn
            ),
        })
    }

    /// How the stopped `task` failed (`None`: every check passed): the first failed check and
    /// what it got (read from its awslogs `stream`, best effort), or why none ran.
    async fn failure(&self, task: &Task, stream: &str) -> Option<String> {
        let code = match task.exit_code {
            Some(smoke_check::PASSED) => return None,
            Some(code) => code,
            None => {
                return Some(format!(
                    "task stopped before its checks ended ({})",
                    task.stopped_reason
                ))
            }
        };
        if code == smoke_check::NO_CLIENT {
            return Some("could not run: the image has neither curl nor wget".to_string());
        }
        let Some((n, check)) = smoke_check::failed_check(code)
            .and_then(|n| Some((n, self.spec.smoke_checks.get(n - 1)?)))
        else {
            return Some(format!(
                "task exited with code {code} before its checks ended (an image ENTRYPOINT must \
                 run the command it is given, as `exec \"$@\"` does)"
            ));
        };
        let lines = log_group::stream_lines(&self.c.logs, self.place.log_group, stream).await;
        let lines = lines.unwrap_or_else(|err| {
            tracing::warn!(%err, "reading the SmokeChecks task's output");
            Vec::new()
        });
        let got = smoke_check::answer(&lines, n);
        let got = got.map_or("failed".to_string(), |g| format!("answered {g}"));
        Some(format!(
            "check {n} (GET {} through the test listener rule, expected {}) {got}",
            check.path, check.expected_status
        ))
    }
}

/// How long the checks' task may run: [`START_ALLOWANCE`], each check's `TimeoutSeconds`, and
/// a minute more.
pub fn overdue_after(spec: &Spec) -> Duration {
    let checks: u64 = spec
        .smoke_checks
        .iter()
        .map(|c| c.timeout_seconds.max(0) as u64)
        .sum();
    START_ALLOWANCE + Duration::from_secs(checks + 60)
}
