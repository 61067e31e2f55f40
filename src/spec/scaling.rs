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

use super::object::{Field, FieldKind, Object};

/// The most tasks a service may run (ECS service quota "Tasks per service").
pub const MAX_TASKS: i64 = 5000;

/// A whole-number field in `min..=max`, `default` when left out (its doc set by the caller).
const fn integer(name: &'static str, (min, max): (i64, i64), default: Option<i64>) -> Field {
    Field {
        name,
        kind: FieldKind::Integer { min, max, default },
        doc: "",
    }
}

/// The fields of `AutoScaling`.
pub const FIELDS: [Field; 7] = [
    Field {
        doc: "the fewest tasks the scaler keeps (required)",
        ..integer("MinCapacity", (0, MAX_TASKS), None)
    },
    Field {
        doc: "the most tasks the scaler starts (required, at least MinCapacity)",
        ..integer("MaxCapacity", (0, MAX_TASKS), None)
    },
    Field {
        doc: "average CPU utilization to keep, percent",
        ..integer("CpuTarget", (1, 100), None)
    },
    Field {
        doc: "average memory utilization to keep, percent",
        ..integer("MemoryTarget", (1, 100), None)
    },
    Field {
        doc: "ALB requests per task per minute to keep (the set's load balancer and target \
              group)",
        ..integer("RequestsPerTarget", (1, 1_000_000), None)
    },
    Field {
        doc: "seconds after a scale-in before the next one (ECS's default)",
        ..integer("ScaleInCooldown", (0, 3600), Some(300))
    },
    Field {
        doc: "seconds after a scale-out before the next one (ECS's default is 300: prod-e \
              reacts to load sooner)",
        ..integer("ScaleOutCooldown", (0, 3600), Some(60))
    },
];

/// `AutoScaling` as a whole: both bounds, in order, and at least one target.
pub fn auto_scaling(o: &Object) -> Result<(), String> {
    let (min, max) = (
        o.optional_integer("MinCapacity"),
        o.optional_integer("MaxCapacity"),
    );
    let (Some(min), Some(max)) = (min, max) else {
        return Err("needs MinCapacity and MaxCapacity".to_string());
    };
    if min > max {
        return Err(format!("MinCapacity {min} is above MaxCapacity {max}"));
    }
    if targets(o).is_empty() {
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
    /// Every metric, with its field.
    pub const ALL: [(Metric, &'static str); 3] = [
        (Metric::Cpu, "CpuTarget"),
        (Metric::Memory, "MemoryTarget"),
        (Metric::Requests, "RequestsPerTarget"),
    ];

    /// The short name in the scaling policy's name (`<physical id>-cpu`).
    pub fn suffix(self) -> &'static str {
        match self {
            Metric::Cpu => "cpu",
            Metric::Memory => "memory",
            Metric::Requests => "requests",
        }
    }
}

/// The targets `AutoScaling` sets: (metric, target value).
pub fn targets(o: &Object) -> Vec<(Metric, i64)> {
    Metric::ALL
        .iter()
        .filter_map(|(m, field)| o.optional_integer(field).map(|v| (*m, v)))
        .collect()
}

/// The bounds of `AutoScaling`: (MinCapacity, MaxCapacity).
pub fn bounds(o: &Object) -> (u32, u32) {
    let get = |f| o.integer(f).clamp(0, MAX_TASKS) as u32;
    (get("MinCapacity"), get("MaxCapacity"))
}

/// The count a new service starts with: `running` (the count of the service a replacement
/// replaces) or `desired` (`DesiredCount`), kept within the bounds when scaling is on.
pub fn starting_count(scaling: Option<&Object>, desired: u32, running: Option<u32>) -> u32 {
    match scaling {
        Some(o) => {
            let (min, max) = bounds(o);
            running.unwrap_or(desired).clamp(min, max.max(min))
        }
        None => desired,
    }
}

/// The fields of one scheduled action.
pub const SCHEDULED_FIELDS: [Field; 5] = [
    Field {
        name: "ScheduledActionName",
        kind: FieldKind::Text {
            check: action_name,
            default: None,
        },
        doc: "its name, unique in the list (required)",
    },
    Field {
        name: "Schedule",
        kind: FieldKind::Text {
            check: schedule,
            default: None,
        },
        doc: "`at(yyyy-mm-ddThh:mm:ss)`, `rate(value unit)` or `cron(fields)` (required)",
    },
    Field {
        name: "Timezone",
        kind: FieldKind::Text {
            check: timezone,
            default: None,
        },
        doc: "IANA time zone of the schedule (UTC if not given)",
    },
    Field {
        doc: "the new MinCapacity",
        ..integer("MinCapacity", (0, MAX_TASKS), None)
    },
    Field {
        doc: "the new MaxCapacity",
        ..integer("MaxCapacity", (0, MAX_TASKS), None)
    },
];

/// prod-e's bound on `ScheduledActions` (Application Auto Scaling allows 200 per target).
pub const SCHEDULED_MAX: usize = 50;

/// The list as a whole: each named, scheduled and setting a bound; names unique.
pub fn scheduled(items: &[Object]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        let (min, max) = (
            item.optional_integer("MinCapacity"),
            item.optional_integer("MaxCapacity"),
        );
        let problem = match (min, max) {
            _ if item.text("ScheduledActionName").is_empty() => "needs a ScheduledActionName",
            _ if item.text("Schedule").is_empty() => "needs a Schedule",
            (None, None) => "needs MinCapacity or MaxCapacity",
            (Some(min), Some(max)) if min > max => "has MinCapacity above MaxCapacity",
            _ => continue,
        };
        return Err(format!("item {}: {problem}", i + 1));
    }
    let names: Vec<String> = items
        .iter()
        .map(|i| i.text("ScheduledActionName"))
        .collect();
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
