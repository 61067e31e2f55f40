//! `AutoScaling` and `ScheduledActions`: the service's desired count under Application Auto
//! Scaling (target tracking on CPU, memory or ALB requests per target, and scheduled
//! changes of the bounds), and the count a deployment starts with.
//!
//! Sources: Application Auto Scaling API Reference, `RegisterScalableTarget` (MinCapacity,
//! MaxCapacity), `TargetTrackingScalingPolicyConfiguration` (ScaleInCooldown,
//! ScaleOutCooldown in seconds; ECS's default cooldowns are 300 s), `PredefinedMetricSpecification`
//! (ECSServiceAverageCPUUtilization, ECSServiceAverageMemoryUtilization,
//! ALBRequestCountPerTarget), `PutScheduledAction` (ScheduledActionName: 1–256 characters,
//! none of `:`, `/`, `|`; Schedule: `at(…)`, `rate(…)` or `cron(…)`; Timezone); ECS
//! Developer Guide, "Service auto scaling" (the service quota of 5,000 tasks).

use super::object::{integer, object, text};

/// The most tasks a service may run (ECS service quota "Tasks per service").
pub const MAX_TASKS: i64 = 5000;

object! {
    /// `AutoScaling`: the bounds of the task count and what target tracking keeps.
    pub struct AutoScaling {
        min_capacity: Option<i64> = "MinCapacity", integer(0, MAX_TASKS, None),
            "the fewest tasks the scaler keeps (required)";
        max_capacity: Option<i64> = "MaxCapacity", integer(0, MAX_TASKS, None),
            "the most tasks the scaler starts (required, at least MinCapacity)";
        cpu_target: Option<i64> = "CpuTarget", integer(1, 100, None),
            "average CPU utilization to keep, percent";
        memory_target: Option<i64> = "MemoryTarget", integer(1, 100, None),
            "average memory utilization to keep, percent";
        requests_per_target: Option<i64> = "RequestsPerTarget", integer(1, 1_000_000, None),
            "ALB requests per task per minute to keep (the set's load balancer and target \
             group)";
        scale_in_cooldown: i64 = "ScaleInCooldown", integer(0, 3600, Some(300)),
            "seconds after a scale-in before the next one (ECS's default)";
        scale_out_cooldown: i64 = "ScaleOutCooldown", integer(0, 3600, Some(60)),
            "seconds after a scale-out before the next one (ECS's default is 300: prod-e \
             reacts to load sooner)";
    }
}

/// `AutoScaling` as a whole: both bounds, in order, and at least one target.
pub fn auto_scaling(o: &AutoScaling) -> Result<(), String> {
    let (Some(min), Some(max)) = (o.min_capacity, o.max_capacity) else {
        return Err("needs MinCapacity and MaxCapacity".to_string());
    };
    if min > max {
        return Err(format!("MinCapacity {min} is above MaxCapacity {max}"));
    }
    if o.targets().is_empty() {
        return Err("needs at least one of CpuTarget, MemoryTarget, RequestsPerTarget".into());
    }
    Ok(())
}

/// What a target tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `CpuTarget`: ECSServiceAverageCPUUtilization.
    Cpu,
    /// `MemoryTarget`: ECSServiceAverageMemoryUtilization.
    Memory,
    /// `RequestsPerTarget`: ALBRequestCountPerTarget.
    Requests,
}

impl Metric {
    /// The short name in the scaling policy's name (`<physical id>-cpu`).
    pub fn suffix(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::Memory => "memory",
            Metric::Requests => "requests",
        }
    }
}

impl AutoScaling {
    /// The targets it sets: (metric, target value).
    pub fn targets(&self) -> Vec<(Metric, i64)> {
        let all = [
            (Metric::Cpu, self.cpu_target),
            (Metric::Memory, self.memory_target),
            (Metric::Requests, self.requests_per_target),
        ];
        all.into_iter()
            .filter_map(|(m, target)| target.map(|v| (m, v)))
            .collect()
    }

    /// Its bounds: (MinCapacity, MaxCapacity).
    pub fn bounds(&self) -> (u32, u32) {
        let get = |n: Option<i64>| n.unwrap_or(0).clamp(0, MAX_TASKS) as u32;
        (get(self.min_capacity), get(self.max_capacity))
    }
}

/// The count a new service starts with: `running` (the count of the service a replacement
/// replaces) or `desired` (`DesiredCount`), kept within the bounds when scaling is on.
pub fn starting_count(scaling: Option<&AutoScaling>, desired: u32, running: Option<u32>) -> u32 {
    match scaling {
        Some(o) => {
            let (min, max) = o.bounds();
            running.unwrap_or(desired).clamp(min, max.max(min))
        }
        None => desired,
    }
}

object! {
    /// One item of `ScheduledActions` (the ScalableTargetAction's two bounds flattened).
    pub struct ScheduledAction {
        scheduled_action_name: String = "ScheduledActionName", text(action_name, None),
            "its name, unique in the list (required)";
        schedule: String = "Schedule", text(schedule, None),
            "`at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` or `cron(fields)` (required)";
        timezone: String = "Timezone", text(timezone, None),
            "IANA time zone of the schedule (UTC if not given)";
        min_capacity: Option<i32> = "MinCapacity", integer(0, MAX_TASKS, None),
            "the new MinCapacity";
        max_capacity: Option<i32> = "MaxCapacity", integer(0, MAX_TASKS, None),
            "the new MaxCapacity";
    }
}

/// prod-e's bound on `ScheduledActions` (Application Auto Scaling allows 200 per target).
pub const SCHEDULED_MAX: usize = 50;

/// The list as a whole: each named, scheduled and setting a bound; names unique.
pub fn scheduled(items: &[ScheduledAction]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        let problem = match (item.min_capacity, item.max_capacity) {
            _ if item.scheduled_action_name.is_empty() => "needs a ScheduledActionName",
            _ if item.schedule.is_empty() => "needs a Schedule",
            (None, None) => "needs MinCapacity or MaxCapacity",
            (Some(min), Some(max)) if min > max => "has MinCapacity above MaxCapacity",
            _ => continue,
        };
        return Err(format!("item {}: {problem}", i + 1));
    }
    let names: Vec<&String> = items.iter().map(|i| &i.scheduled_action_name).collect();
    if (1..names.len()).any(|k| names[..k].contains(&names[k])) {
        return Err("names a scheduled action twice".to_string());
    }
    Ok(())
}

/// The longest ScheduledActionName: AWS's 256 less the physical id prod-e puts before it.
const ACTION_NAME_MAX: usize = 200;

fn action_name(s: &str) -> Result<(), String> {
    let bad = s
        .chars()
        .any(|c| matches!(c, ':' | '/' | '|') || c.is_control());
    match s.len() <= ACTION_NAME_MAX && !bad && s.trim() == s {
        true => Ok(()),
        false => Err(format!(
            "{s:?}: at most {ACTION_NAME_MAX} characters, without `:`, `/`, `|`, control \
             characters or spaces at either end"
        )),
    }
}

fn schedule(s: &str) -> Result<(), String> {
    let framed = ["at(", "rate(", "cron("].iter().any(|p| s.starts_with(p)) && s.ends_with(')');
    match framed && s.len() <= 1600 {
        true => Ok(()),
        false => Err(format!("{s:?} is not `at(…)`, `rate(…)` or `cron(…)`")),
    }
}

fn timezone(s: &str) -> Result<(), String> {
    let ok = s.len() <= 50
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
    match ok {
        true => Ok(()),
        false => Err(format!("{s:?} is not an IANA time zone name")),
    }
}

/// The desired count an in-place Update sets (`None`: leaves the running count alone). With
/// scaling on (`scaled`), never: the count is the scaler's (and a scheduled action's), and a
/// registration with new bounds moves it into them itself (RegisterScalableTarget: "changes
/// the resource's current capacity to a value that is inside of this range"); when scaling is
/// turned off (`was_scaled`), DesiredCount takes over again; otherwise a changed DesiredCount
/// (`desired_changed`) is applied.
pub fn count_change(
    (was_scaled, scaled): (bool, bool),
    (desired, desired_changed): (u32, bool),
    current: u32,
) -> Option<u32> {
    match (was_scaled, scaled) {
        (_, true) => None,
        (true, false) => (desired != current).then_some(desired),
        (false, false) => desired_changed.then_some(desired),
    }
}
