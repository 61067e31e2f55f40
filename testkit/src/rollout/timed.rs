//! [`super::Rollout::Timed`] as the proxy plays it: the phase of a service's current
//! deployment now, from the [`timing`] model of what was [`configured`], and the service
//! events of one the circuit breaker failed.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::configured::{Began, Configured};
use super::present::digits;
use super::timing::{self, Outcome, Settings, Startup};
use super::Rollout;
use crate::aws_rules::wire::text;

/// The outcome of the deployment of `service` that began as `began`, under what is configured.
pub fn outcome(configured: &Configured, service: &str, began: Began, startup: Startup) -> Outcome {
    let settings = configured.settings(service);
    match began {
        Began::Created => timing::create(&settings, startup),
        Began::Updated => timing::update(&settings, startup),
        Began::Switched => {
            let rolling = timing::Settings {
                strategy: timing::Strategy::Rolling,
                ..settings
            };
            timing::update(&rolling, startup)
        }
    }
}

/// What the timed model shows of `service` now, as one of the plain rollouts: done, in
/// progress (stuck for now) or failed with ECS's events (`shown` is the service as described).
pub fn now(configured: &Configured, service: &str, startup: Startup, shown: &Value) -> Rollout {
    let Some(deployment) = configured.deployment(service) else {
        return Rollout::Done;
    };
    let outcome = outcome(configured, service, deployment.began, startup);
    let elapsed = timing::real_seconds(deployment.at.elapsed());
    if outcome.completed(elapsed) {
        Rollout::Done
    } else if outcome.failed(elapsed) {
        Rollout::Failed(events(configured, service, shown))
    } else {
        Rollout::Stuck
    }
}

/// The settings of `service`'s current deployment and the real-AWS seconds since it began,
/// if it is an UpdateService's that has not completed (a native strategy's stages and
/// shares are those of a deployment of a new revision).
fn updating(configured: &Configured, service: &str, startup: Startup) -> Option<(Settings, f64)> {
    let deployment = configured.deployment(service)?;
    if deployment.began != Began::Updated {
        return None;
    }
    let settings = configured.settings(service);
    let elapsed = timing::real_seconds(deployment.at.elapsed());
    let completed = timing::update(&settings, startup).completed(elapsed);
    (!completed).then_some((settings, elapsed))
}

/// The lifecycle stage of `service`'s current deployment now, if it is a native one in
/// progress ([`timing::native_stage`]).
pub fn stage(configured: &Configured, service: &str, startup: Startup) -> Option<&'static str> {
    let (settings, elapsed) = updating(configured, service, startup)?;
    timing::native_stage(&settings, startup, elapsed)
}

/// The percent of production traffic on the new revision of `service`'s current native
/// deployment, if one is in progress ([`timing::traffic_share`]; `first` the canary's or a
/// linear step's percent).
pub fn share(configured: &Configured, service: &str, startup: Startup, first: f64) -> Option<f64> {
    let (settings, elapsed) = updating(configured, service, startup)?;
    timing::traffic_share(&settings, startup, elapsed, first)
}

/// Tasks of the current deployment of `service` stopped for failed ELB health checks so far.
pub fn stopped(configured: &Configured, service: &str, startup: Startup) -> u32 {
    let Some(deployment) = configured.deployment(service) else {
        return 0;
    };
    let outcome = outcome(configured, service, deployment.began, startup);
    outcome.stopped(timing::real_seconds(deployment.at.elapsed()))
}

/// How long a deleted `service` stays DRAINING: one task leaving, played.
pub fn draining(configured: &Configured, service: &str) -> Duration {
    timing::played(timing::leaving(&configured.settings(service)))
}

/// The modelled real-AWS seconds of each deployment and deletion begun since `since`:
/// (service ARN, `CreateService` / `UpdateService` / `DeleteService`, seconds; `None`: never
/// completes), each with the startup its service's rollout has.
pub fn modeled(
    configured: &Configured,
    since: Instant,
    startup_of: impl Fn(&str) -> Startup,
) -> Vec<(String, &'static str, Option<f64>)> {
    let seconds = |arn: &str, what: &str| match what {
        "DeleteService" => Some(timing::leaving(&configured.settings(arn))),
        "CreateService" => outcome(configured, arn, Began::Created, startup_of(arn)).seconds(),
        _ => {
            let began = configured
                .deployment(arn)
                .map_or(Began::Updated, |d| d.began);
            outcome(configured, arn, began, startup_of(arn)).seconds()
        }
    };
    configured
        .since(since)
        .into_iter()
        .map(|(arn, what, _)| {
            let s = seconds(&arn, what);
            (arn, what, s)
        })
        .collect()
}

/// ECS's events for a deployment the circuit breaker failed after its tasks failed their ELB
/// health checks, newest first.
fn events(configured: &Configured, service: &str, shown: &Value) -> Vec<String> {
    let name = text(&shown["serviceName"]);
    let task = format!(
        "{:016x}{:016x}",
        digits(&(service, "timed")),
        digits(&service)
    );
    let group = configured.target_group(service);
    vec![
        format!("(service {name}) deployment failed: tasks failed to start."),
        format!("(service {name}) has stopped 1 running tasks: (task {task})."),
        format!(
            "(service {name}) (task {task}) failed ELB health checks in (target-group {group})"
        ),
    ]
}
