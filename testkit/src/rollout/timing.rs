//! The timed rollout model ([`super::Rollout::Timed`]): how long an ECS rolling deployment
//! behind an ALB takes on AWS, derived from the settings the provider configured. Pure
//! functions of [`Settings`] and [`Startup`], in real-AWS seconds; the proxy plays them scaled
//! by [`SCALE`].
//!
//! A new task: Fargate starts it ([`Startup::to_running`]: provisioning, ENI, image pull), ECS
//! registers it with the target group when it is RUNNING, the ALB checks it every
//! `HealthCheckIntervalSeconds` from then on (the first check one interval after registration:
//! an assumption, AWS does not say when the first check is sent), and the app answers from
//! [`Startup::warm_up`] after RUNNING. "After your target is registered, it must pass one
//! health check to be considered healthy" (ELB User Guide, *Health checks for Application
//! Load Balancer target groups*; ECS Developer Guide, *Optimize load balancer health check
//! parameters*: "the healthy threshold count only applies when a target recovers from an
//! unhealthy state"), so a new target is healthy at its first passing check, unless
//! `UnhealthyThresholdCount` checks failed before it: then it is unhealthy and needs
//! `HealthyThresholdCount` passing checks in a row to recover. The check's timeout only bounds
//! one check (a ready app answers at once): it changes no time here.
//!
//! ECS ignores the target's health for `healthCheckGracePeriodSeconds` "after a task has first
//! started" (ECS API Reference, `CreateService`), and a task starts when it goes from PENDING
//! to RUNNING (ECS API Reference, `Task.startedAt`): the image pull does not use up the grace
//! period. A task whose target is unhealthy once the grace period is over is stopped and
//! replaced; every stopped task counts towards the deployment circuit breaker, whose threshold
//! is 0.5 × desired count, at least 3 and at most 200 (ECS API Reference,
//! `ServiceDeploymentCircuitBreaker`).
//!
//! An old task leaving: the target is deregistered and drains for
//! `deregistration_delay.timeout_seconds`, then ECS sends SIGTERM and the task stops; the stop
//! is modelled as the container's `stopTimeout` (the upper bound: SIGKILL then). The
//! deployment runs in rounds: each starts as many new tasks as `maximumPercent` leaves room
//! for and stops as many old ones as `minimumHealthyPercent` allows, and lasts as long as the
//! slower of the two; with 100 / 200 that is one round of starts, then one of stops. A
//! deleted service is DRAINING for one stop (drain, then stop timeout).
//!
//! With deployment alarms on, ECS watches them for a bake time after a rolling deployment has
//! scaled out and in, before it is COMPLETED, which it "computes based on the alarm
//! configuration" (ECS Developer Guide, *How CloudWatch alarms detect Amazon ECS deployment
//! failures*; aws/copilot-cli#4294: the longest alarm's evaluation time): modelled as
//! [`ALARM_BAKE_SECONDS`], the window of prod-e's gate alarms.
//!
//! ECS's own blue/green, canary and linear deployments ([`Strategy`]; ECS Developer Guide,
//! *Amazon ECS blue/green deployments*): the whole new revision starts at once beside the old
//! one (one round of new tasks), production traffic moves to it (a canary's share for its
//! bake, linear steps with a bake between each, or all at once), both revisions run for
//! `bakeTimeInMinutes`, then the old tasks leave (deregistration delay and stop, the upper
//! bound). A switch between ROLLING and a native strategy deploys as a rolling deployment.

use std::time::Duration;

use native::native;
pub use native::{native_stage, traffic_share};

/// The time scale: one real-AWS second is played as `SCALE` seconds (10 ms), the scale of
/// every delay of the provider in tests and the benchmark (`PROD_E_DELAY_SCALE` = 0.01, see
/// [`crate::DELAY_SCALE`] and [`crate::runtime`]), so that its polling keeps pace.
pub const SCALE: f64 = crate::DELAY_SCALE;

/// Seconds from a Fargate task's launch to RUNNING (provisioning, ENI, image pull of a small
/// image): "It is normal for new AWS Fargate tasks to take 30-45 seconds or longer to start"
/// (AWS re:Post, *How to speed up provisioning of ECS Fargate task*,
/// <https://repost.aws/questions/QUjZAzJd27SZWxXM7MgyxOZw>); the upper figure.
pub const TASK_START_SECONDS: f64 = 45.0;

/// Seconds from RUNNING until the app answers its health check: an assumption (a small web
/// server; prod-e's default container listens within a second).
pub const WARM_UP_SECONDS: f64 = 5.0;

/// The bake ECS adds after a rolling deployment whose deployment alarms are on: the
/// evaluation window of prod-e's gate alarms (3 periods of 60 s), an assumption (ECS derives
/// it from the alarms and does not publish how).
pub const ALARM_BAKE_SECONDS: u32 = 180;

/// How ECS deploys a new revision (`deploymentConfiguration.strategy` and its settings).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Strategy {
    /// Replaces tasks in rounds.
    #[default]
    Rolling,
    /// All traffic moves at once.
    BlueGreen,
    /// A share first, for `bake_minutes`, then the rest.
    Canary { bake_minutes: u32 },
    /// `steps` shares, `bake_minutes` between each.
    Linear { steps: u32, bake_minutes: u32 },
}

/// How a task comes up, in real-AWS seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Startup {
    /// Launch → RUNNING (provisioning and image pull).
    pub to_running: f64,
    /// RUNNING → the app answers its health check.
    pub warm_up: f64,
}

impl Startup {
    /// [`TASK_START_SECONDS`] and [`WARM_UP_SECONDS`].
    pub const TYPICAL: Startup = Startup {
        to_running: TASK_START_SECONDS,
        warm_up: WARM_UP_SECONDS,
    };
}

impl Default for Startup {
    fn default() -> Self {
        Startup::TYPICAL
    }
}

/// What the model reads of a service's configuration (seconds, counts, percents).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub interval: u32,
    pub timeout: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub deregistration_delay: u32,
    pub grace_period: u32,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub stop_timeout: u32,
    pub desired: u32,
    pub circuit_breaker: bool,
    pub strategy: Strategy,
    /// `bakeTimeInMinutes` (native strategies).
    pub bake_minutes: u32,
    /// Seconds ECS bakes a rolling deployment whose alarms are on (0: none).
    pub alarm_bake: u32,
}

impl Settings {
    /// AWS's own defaults: an `ip` target group's health check (30 s, 5 s, 5, 2), a 300 s
    /// deregistration delay, no grace period, 100 / 200 %, a 30 s stop timeout, one task, no
    /// circuit breaker (ELBv2 `CreateTargetGroup`, `TargetGroupAttribute`; ECS
    /// `CreateService`, `ContainerDefinition.stopTimeout`).
    pub const AWS: Settings = Settings {
        interval: 30,
        timeout: 5,
        healthy_threshold: 5,
        unhealthy_threshold: 2,
        deregistration_delay: 300,
        grace_period: 0,
        minimum_healthy_percent: 100,
        maximum_percent: 200,
        stop_timeout: 30,
        desired: 1,
        circuit_breaker: false,
        strategy: Strategy::Rolling,
        bake_minutes: 0,
        alarm_bake: 0,
    };
}

impl Default for Settings {
    fn default() -> Self {
        Settings::AWS
    }
}

/// What becomes of one new task, in seconds from its launch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    /// Its target is healthy then.
    Healthy(f64),
    /// ECS stops it then, its target unhealthy past the grace period.
    Stopped(f64),
}

/// What a deployment does, in seconds from its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// COMPLETED then.
    Completes(f64),
    /// Its tasks are stopped one batch of `batch` every `cycle` seconds (each replaced, and
    /// stopped again); the circuit breaker fails it after `trips_after` cycles, if it is on.
    Flaps {
        cycle: f64,
        batch: u32,
        trips_after: Option<u32>,
    },
    /// The percentages let ECS neither start nor stop a task: in progress for ever.
    Stalls,
}

impl Outcome {
    /// Whether it is COMPLETED `elapsed` seconds after its start.
    pub fn completed(&self, elapsed: f64) -> bool {
        matches!(self, Outcome::Completes(t) if elapsed >= *t)
    }

    /// Whether the circuit breaker has failed it `elapsed` seconds after its start.
    pub fn failed(&self, elapsed: f64) -> bool {
        match self {
            Outcome::Flaps {
                cycle,
                trips_after: Some(n),
                ..
            } => elapsed >= cycle * f64::from(*n),
            _ => false,
        }
    }

    /// Tasks stopped for failed health checks by `elapsed` seconds after its start.
    pub fn stopped(&self, elapsed: f64) -> u32 {
        let Outcome::Flaps {
            cycle,
            batch,
            trips_after,
        } = self
        else {
            return 0;
        };
        let cycles = (elapsed / cycle).floor().max(0.0) as u32;
        cycles.min(trips_after.unwrap_or(u32::MAX)) * batch
    }

    /// Seconds until it is COMPLETED or FAILED (`None`: never).
    pub fn seconds(&self) -> Option<f64> {
        match self {
            Outcome::Completes(t) => Some(*t),
            Outcome::Flaps {
                cycle,
                trips_after: Some(n),
                ..
            } => Some(cycle * f64::from(*n)),
            _ => None,
        }
    }
}

/// One new task's fate under `s`, started as `startup` says.
pub fn new_task(s: &Settings, startup: Startup) -> Fate {
    let interval = f64::from(s.interval.max(1));
    // Checks at k × interval after RUNNING (k ≥ 1); the first at or after the warm-up passes.
    let first_pass = (startup.warm_up / interval).ceil().max(1.0);
    let failed_before = first_pass - 1.0;
    let unhealthy_threshold = f64::from(s.unhealthy_threshold);
    if failed_before < unhealthy_threshold {
        return Fate::Healthy(startup.to_running + first_pass * interval);
    }
    let unhealthy_at = unhealthy_threshold * interval;
    let recovers_at = (first_pass + f64::from(s.healthy_threshold) - 1.0) * interval;
    let grace = f64::from(s.grace_period);
    match recovers_at <= grace {
        true => Fate::Healthy(startup.to_running + recovers_at),
        false => Fate::Stopped(startup.to_running + unhealthy_at.max(grace)),
    }
}

/// Seconds an old task takes to leave: deregistration delay, then the stop timeout.
pub fn leaving(s: &Settings) -> f64 {
    f64::from(s.deregistration_delay) + f64::from(s.stop_timeout)
}

/// A new service's first deployment (nothing to replace; always rolling).
pub fn create(s: &Settings, startup: Startup) -> Outcome {
    alarm_baked(s, rolling(s, startup, 0))
}

/// A new deployment replacing the `desired` running tasks of the one before, as its strategy
/// deploys it.
pub fn update(s: &Settings, startup: Startup) -> Outcome {
    match s.strategy {
        Strategy::Rolling => alarm_baked(s, rolling(s, startup, s.desired)),
        _ => native(s, startup),
    }
}

/// `o`, COMPLETED only after the alarms' bake.
fn alarm_baked(s: &Settings, o: Outcome) -> Outcome {
    match o {
        Outcome::Completes(t) => Outcome::Completes(t + f64::from(s.alarm_bake)),
        other => other,
    }
}

/// The circuit breaker's threshold of failed tasks for `desired` tasks.
pub fn breaker_threshold(desired: u32) -> u32 {
    (f64::from(desired) * 0.5).ceil().clamp(3.0, 200.0) as u32
}

fn rolling(s: &Settings, startup: Startup, old: u32) -> Outcome {
    let n = s.desired;
    // ECS rounds the maximum down and the minimum up (u64: MaximumPercent may be i32::MAX).
    let share = |percent: u32, up: bool| {
        let tasks = u64::from(n) * u64::from(percent);
        let tasks = if up { tasks.div_ceil(100) } else { tasks / 100 };
        tasks.min(u64::from(u32::MAX)) as u32
    };
    let (most, least) = (
        share(s.maximum_percent, false),
        share(s.minimum_healthy_percent, true),
    );
    let (mut old, mut new, mut elapsed) = (old, 0u32, 0.0);
    while old > 0 || new < n {
        let stop = old.min((old + new).saturating_sub(least));
        let start = (n - new).min(most.saturating_sub(old + new));
        if stop == 0 && start == 0 {
            return Outcome::Stalls;
        }
        let mut round: f64 = 0.0;
        if start > 0 {
            match new_task(s, startup) {
                Fate::Healthy(after) => round = after,
                Fate::Stopped(after) => return flaps(s, after, start),
            }
        }
        if stop > 0 {
            round = round.max(leaving(s));
        }
        (old, new, elapsed) = (old - stop, new + start, elapsed + round);
    }
    Outcome::Completes(elapsed)
}

fn flaps(s: &Settings, cycle: f64, batch: u32) -> Outcome {
    let trips_after = s
        .circuit_breaker
        .then(|| breaker_threshold(s.desired).div_ceil(batch.max(1)));
    Outcome::Flaps {
        cycle,
        batch,
        trips_after,
    }
}

/// `seconds` of real AWS as the proxy plays them.
pub fn played(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds.max(0.0) * SCALE)
}

/// Real-AWS seconds of a time the proxy played.
pub fn real_seconds(played: Duration) -> f64 {
    played.as_secs_f64() / SCALE
}

mod native;
#[cfg(test)]
mod tests;
