//! ECS rollouts as AWS runs them, played in front of moto (whose deployments stay
//! IN_PROGRESS on the first revision for ever): the proxy rewrites every DescribeServices
//! answer. A service's rollout is fixed when the proxy first sees it: by default it has
//! completed (one PRIMARY deployment, COMPLETED, every desired task running); a test can make
//! the rollouts of services seen from then on slow, stuck, or failed by the circuit breaker.
//!
//! Rollouts also follow the task definition (rule 9 of [`super::aws_rules`]; which tasks crash
//! and which revisions a service was asked to run: [`super::aws_rules::revisions`]). The
//! PRIMARY deployment runs the latest revision; if that crashes, a create fails, and an update
//! is rolled back by the circuit breaker to the last revision that did not crash.
//! Sources: <https://docs.aws.amazon.com/goto/WebAPI/ecs-2014-11-13/DeploymentCircuitBreaker>,
//! <https://docs.amazonaws.cn/en_us/AmazonECS/latest/developerguide/deployment-failure-detection.html>.
//!
//! [`Rollout::Timed`] derives each rollout's time from what the provider configured (health
//! check, deregistration delay, grace period, deployment percentages, stop timeout), as the
//! [`timing`] model says, played at [`timing::SCALE`]; a deleted service then drains for as
//! long as one of its tasks takes to leave.

mod configured;
mod deployments;
mod present;
mod timed;
pub mod timing;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::aws_rules::revisions::{Course, Revisions};
use super::aws_rules::wire;
use super::aws_rules::wire::text;
use crate::http::percent_decode;
use configured::Configured;
pub use deployments::{Invocation, Pause};
use present::{failed, on_revisions, present, rolls_back, still_failed};
pub use timing::Startup;

/// How the rollout of a service goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Rollout {
    /// Completed by the time anyone looks.
    #[default]
    Done,
    /// In progress (a second deployment draining, tasks pending) for this long after the
    /// service is first seen, then completed.
    Slow(Duration),
    /// In progress for ever.
    Stuck,
    /// Stopped by the circuit breaker (rolloutState FAILED) with these service events.
    Failed(Vec<String>),
    /// Failed because this deployment alarm went into ALARM (rolloutState FAILED), as
    /// ListServiceDeployments and DescribeServiceDeployments then tell (moto has neither);
    /// only for a service whose deployment configuration watches it with rollback (others
    /// complete).
    Alarm(String),
    /// Rolled back because lifecycle hook `function` failed at `stage` (rolloutState
    /// FAILED), as the service deployments then tell ([`deployments`]).
    Hook { function: String, stage: String },
    /// Tasks ECS cannot place or start (no Spot capacity, the account's Fargate quota, no free
    /// address in the subnets): in progress with no task running and one service event, created
    /// when the service is first seen, saying `message` (ECS shows an event again only once its
    /// cause changes); after `recovers_after`, if any, the tasks start and the rollout completes.
    Unplaceable {
        message: String,
        recovers_after: Option<Duration>,
    },
    /// In progress for as long as the [`timing`] model says, from the settings the provider
    /// configured and tasks that come up as `Startup` says; completed, or failed by the
    /// circuit breaker when the model's tasks keep failing their health checks.
    Timed(Startup),
}

#[derive(Debug, Default)]
pub struct Rollouts {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// For services first seen from now on.
    next: Rollout,
    /// Service ARN → (its rollout, when it was first seen).
    seen: HashMap<String, (Rollout, Instant)>,
    /// The task definitions each service was asked to run, and which crash.
    revisions: Revisions,
    /// What the provider configured, for [`Rollout::Timed`].
    configured: Configured,
    /// Lifecycle hooks: invoked, and which fail ([`deployments`]).
    hooks: deployments::Hooks,
}

impl Rollouts {
    /// Services first seen from now on roll out like this.
    pub fn set_for_new(&self, rollout: Rollout) {
        self.state.lock().expect("rollouts").next = rollout;
    }

    /// The service `arn`, once it exists, rolls out like this (whatever [`Rollouts::set_for_new`]
    /// says).
    pub fn set_for(&self, arn: &str, rollout: Rollout) {
        let mut state = self.state.lock().expect("rollouts");
        state
            .seen
            .insert(arn.to_string(), (rollout, Instant::now()));
    }

    /// Every service, seen or not, rolls out like this from now on (a new deployment of each).
    pub fn set_for_all(&self, rollout: Rollout) {
        let mut state = self.state.lock().expect("rollouts");
        for seen in state.seen.values_mut() {
            *seen = (rollout.clone(), Instant::now());
        }
        state.next = rollout;
    }

    /// Tasks of task definitions whose essential container runs `image` ("repo:tag") crash.
    pub fn crash_image(&self, image: &str) {
        let mut state = self.state.lock().expect("rollouts");
        state.revisions.crash_image(image);
    }

    /// Whether a task of `task_definition` crashes whatever its command ([`Rollouts::crash_image`]).
    pub fn image_crashes(&self, task_definition: &str) -> bool {
        let state = self.state.lock().expect("rollouts");
        state.revisions.image_crashes(task_definition)
    }

    /// Whether the service with this ARN, as presented, has a deployment in progress: one that
    /// neither completed nor failed (a service not seen yet has none).
    pub fn in_progress(&self, arn: &str) -> bool {
        let state = self.state.lock().expect("rollouts");
        state.seen.get(arn).is_some_and(|(r, since)| match r {
            Rollout::Failed(_) | Rollout::Alarm(_) | Rollout::Hook { .. } => false,
            Rollout::Timed(startup) => matches!(
                timed::now(&state.configured, arn, *startup, &Value::Null),
                Rollout::Stuck
            ),
            r => !completed(r, *since),
        })
    }

    /// The percent of production traffic a timed native deployment of service `arn` in
    /// progress has moved to its new revision (`first`: the canary's or a linear step's
    /// percent); `None` for any other rollout.
    pub fn native_share(&self, arn: &str, first: f64) -> Option<f64> {
        let state = self.state.lock().expect("rollouts");
        match state.seen.get(arn) {
            Some((Rollout::Timed(startup), _)) => {
                timed::share(&state.configured, arn, *startup, first)
            }
            _ => None,
        }
    }

    /// Whether the service with this ARN is, as presented, steady.
    pub fn is_steady(&self, arn: &str) -> bool {
        let state = self.state.lock().expect("rollouts");
        state.seen.get(arn).is_some_and(|(r, since)| match r {
            Rollout::Timed(startup) => {
                timed::now(&state.configured, arn, *startup, &Value::Null) == Rollout::Done
            }
            r => completed(r, *since),
        })
    }

    /// Tasks the [`Rollout::Timed`] model has stopped so far for failing their ELB health
    /// checks, over the current deployments of every service (0: none was replaced).
    pub fn unhealthy_stops(&self) -> u32 {
        let state = self.state.lock().expect("rollouts");
        let timed = state.seen.iter().filter_map(|(arn, (r, _))| match r {
            Rollout::Timed(startup) => Some((arn, *startup)),
            _ => None,
        });
        timed
            .map(|(arn, startup)| timed::stopped(&state.configured, arn, startup))
            .sum()
    }

    /// For a DeleteService moto answered (`reply`): the service's ARN and how long it stays
    /// DRAINING, if its rollout is [`Rollout::Timed`] (deregistration delay and stop timeout,
    /// played); `None` otherwise (the rules' fixed time applies).
    pub fn draining_time(&self, action: &str, reply: &[u8]) -> Option<(String, Duration)> {
        if action != "DeleteService" {
            return None;
        }
        let arn = text(&wire::ok_json(reply)?["service"]["serviceArn"]);
        let state = self.state.lock().expect("rollouts");
        let rollout = state.seen.get(&arn).map_or(&state.next, |(r, _)| r);
        matches!(rollout, Rollout::Timed(_))
            .then(|| (arn.clone(), timed::draining(&state.configured, &arn)))
    }

    /// The modelled real-AWS seconds of every deployment and deletion begun at or after
    /// `since` under [`Rollout::Timed`]: (service ARN, `CreateService`, `UpdateService` or
    /// `DeleteService`, seconds; `None`: it never completes).
    pub fn modeled(&self, since: Instant) -> Vec<(String, &'static str, Option<f64>)> {
        let state = self.state.lock().expect("rollouts");
        let startup_of = |arn: &str| match state.seen.get(arn).map_or(&state.next, |(r, _)| r) {
            Rollout::Timed(startup) => *startup,
            _ => Startup::TYPICAL,
        };
        timed::modeled(&state.configured, since, startup_of)
    }

    /// Reads an ECS call moto answered (`request` its body); rewrites DescribeServices.
    pub fn after(&self, action: &str, request: &str, reply: Vec<u8>) -> Vec<u8> {
        if action == "DescribeServices" {
            return self.rewrite(reply);
        }
        let Some(body) = wire::ok_body(&reply) else {
            return reply;
        };
        let mut state = self.state.lock().expect("rollouts");
        match (serde_json::from_str(request), serde_json::from_str(&body)) {
            (Ok(asked), Ok(answer)) => {
                state.revisions.observe(action, &asked, &answer);
                state.configured.ecs(action, &asked, &answer);
            }
            _ => {
                let form = request
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (percent_decode(k), percent_decode(v)))
                    .collect();
                state.configured.elb(action, &form, &body);
            }
        }
        drop(state);
        reply
    }

    /// Shows one service (as moto gave it) as ECS would now.
    pub fn present(&self, service: &mut Value) {
        self.state.lock().expect("rollouts").show(service);
    }

    /// Rewrites a DescribeServices answer (a whole HTTP response) as ECS would have it.
    fn rewrite(&self, reply: Vec<u8>) -> Vec<u8> {
        let Some(mut doc) = wire::ok_json(&reply) else {
            return reply;
        };
        let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
            return reply;
        };
        let mut state = self.state.lock().expect("rollouts");
        for s in services.iter_mut() {
            state.show(s);
        }
        drop(state);
        wire::with_body(&reply, &doc.to_string())
    }
}

impl State {
    /// Sets deployments, counts and events of one service to what ECS shows now.
    fn show(&mut self, s: &mut Value) {
        if s["status"] != "ACTIVE" {
            return;
        }
        let arn = text(&s["serviceArn"]);
        let next = self.next.clone();
        let (mut rollout, since) = self
            .seen
            .entry(arn.clone())
            .or_insert_with(|| (next, Instant::now()))
            .clone();
        // An alarm fails only a deployment that watches it with rollback on (ECS Developer
        // Guide, "How CloudWatch alarms detect Amazon ECS deployment failures").
        if let Rollout::Alarm(name) = &rollout {
            if !watches(s, name) {
                rollout = Rollout::Done;
                self.seen.insert(arn.clone(), (Rollout::Done, since));
            }
        }
        match self.revisions.course(&arn) {
            Course::Runs {
                latest,
                previous,
                failed,
            } => {
                let rollout = match rollout {
                    Rollout::Timed(startup) => timed::now(&self.configured, &arn, startup, s),
                    other => other,
                };
                present(s, &rollout, since);
                on_revisions(s, &arn, latest, previous);
                if let Some(failed) = failed {
                    still_failed(s, &arn, failed);
                }
            }
            Course::Failed(revision) => failed(s, &arn, revision),
            Course::RollsBack { to, from, done } => rolls_back(s, &arn, to, from, done),
        }
    }
}

/// Whether service `s`'s deployment configuration (rule 12 shows it as asked) watches alarm
/// `name`, rolling back when it goes into ALARM.
fn watches(s: &Value, name: &str) -> bool {
    let alarms = &s["deploymentConfiguration"]["alarms"];
    let named = alarms["alarmNames"].as_array();
    alarms["enable"] == true
        && alarms["rollback"] == true
        && named.is_some_and(|n| n.contains(&json!(name)))
}

fn completed(rollout: &Rollout, since: Instant) -> bool {
    match rollout {
        Rollout::Done => true,
        Rollout::Slow(d) => since.elapsed() >= *d,
        Rollout::Unplaceable { recovers_after, .. } => {
            recovers_after.is_some_and(|d| since.elapsed() >= d)
        }
        // Timed rollouts are shown as one of the others ([`timed::now`]).
        Rollout::Stuck
        | Rollout::Failed(_)
        | Rollout::Alarm(_)
        | Rollout::Hook { .. }
        | Rollout::Timed(_) => false,
    }
}

#[cfg(test)]
mod tests;
