//! The health checks: the target group's (`HealthCheck`, CloudFormation's target group keys
//! without the `HealthCheck` prefix) and the container's (`ContainerHealthCheck`, ECS's
//! keys), with AWS's ranges.
//!
//! Sources: ALB User Guide, "Health checks for your target groups" (interval 5–300 s, timeout
//! 2–120 s, thresholds 2–10; defaults for `ip` targets 30 / 5 / 5 / 2, matcher 200); ELBv2
//! `Matcher` ("values between 200 and 499 … "200,202" … "200-299""); ModifyTargetGroup
//! ("Health check interval must be greater than the timeout", tflint-ruleset-aws#404); ECS
//! `HealthCheck` (command starts with `CMD` or `CMD-SHELL`; interval 5–300, timeout 2–60,
//! retries 1–10, startPeriod 0–300).

use super::object::{Field, FieldKind, Object};

/// The fields of `HealthCheck`. The defaults are prod-e's, tuned for rollouts (issue #16;
/// README "Rollout defaults"): AWS's for an `ip` target group are 30 s / 5 s / 5 / 2. ECS
/// Developer Guide, "Optimize load balancer health check parameters": a new target needs one
/// passing check ("the healthy threshold count only applies when a target recovers from an
/// unhealthy state"), so the interval sets how soon a new task gets traffic, and suggests
/// interval 5 s and healthy threshold 2 for services that start within 10 s.
pub const TARGET_FIELDS: [Field; 6] = [
    Field {
        name: "Path",
        kind: FieldKind::Text {
            check: super::checks::health_check_path,
            default: Some("/"),
        },
        doc: "the path checked (the old property `HealthCheckPath` is accepted)",
    },
    Field {
        name: "IntervalSeconds",
        kind: FieldKind::Integer {
            min: 5,
            max: 300,
            default: Some(10),
        },
        doc: "seconds between checks (default 10, AWS's 30: a new task passes its first check \
              within 10 s of answering, and checks stay light on the app)",
    },
    Field {
        name: "TimeoutSeconds",
        kind: FieldKind::Integer {
            min: 2,
            max: 120,
            default: Some(5),
        },
        doc: "seconds without an answer that fail a check, less than IntervalSeconds \
              (default 5, AWS's: an app that needs longer to answer its check is failing)",
    },
    Field {
        name: "HealthyThresholdCount",
        kind: FieldKind::Integer {
            min: 2,
            max: 10,
            default: Some(2),
        },
        doc: "checks passed in a row before an unhealthy target is healthy again (a new one \
              needs one) (default 2, AWS's 5: the ECS guide's value, recovery in 20 s, not \
              150 s)",
    },
    Field {
        name: "UnhealthyThresholdCount",
        kind: FieldKind::Integer {
            min: 2,
            max: 10,
            default: Some(3),
        },
        doc: "checks failed in a row before a target is unhealthy (default 3, AWS's 2: 30 s \
              of failures at the 10 s interval, not 20 s, before ECS replaces a task)",
    },
    Field {
        name: "Matcher",
        kind: FieldKind::Text {
            check: matcher,
            default: Some("200"),
        },
        doc: "success codes: \"200\", \"200,202\" or \"200-299\" (200–499)",
    },
];

/// The fields of `ContainerHealthCheck` (ECS's defaults where AWS has one).
pub const CONTAINER_FIELDS: [Field; 5] = [
    Field {
        name: "Command",
        kind: FieldKind::Strings { check: command },
        doc: "[\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"] or [\"CMD\", …]",
    },
    Field {
        name: "Interval",
        kind: FieldKind::Integer {
            min: 5,
            max: 300,
            default: Some(30),
        },
        doc: "seconds between checks",
    },
    Field {
        name: "Timeout",
        kind: FieldKind::Integer {
            min: 2,
            max: 60,
            default: Some(5),
        },
        doc: "seconds a check may take",
    },
    Field {
        name: "Retries",
        kind: FieldKind::Integer {
            min: 1,
            max: 10,
            default: Some(3),
        },
        doc: "failures in a row before the container is unhealthy",
    },
    Field {
        name: "StartPeriod",
        kind: FieldKind::Integer {
            min: 0,
            max: 300,
            default: None,
        },
        doc: "seconds after start when failures do not count (off by default)",
    },
];

/// The target group's health check, as ModifyTargetGroup takes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetHealthCheck {
    /// The path checked.
    pub path: String,
    /// Seconds between checks.
    pub interval_seconds: i32,
    /// Seconds without an answer that fail a check.
    pub timeout_seconds: i32,
    /// Checks passed in a row before a target gets traffic.
    pub healthy_threshold_count: i32,
    /// Checks failed in a row before a target is unhealthy.
    pub unhealthy_threshold_count: i32,
    /// Success codes.
    pub matcher: String,
}

impl TargetHealthCheck {
    /// The health check a read `HealthCheck` object describes.
    pub fn of(o: &Object) -> Self {
        let int = |f: &str| o.integer(f) as i32;
        TargetHealthCheck {
            path: o.text("Path"),
            interval_seconds: int("IntervalSeconds"),
            timeout_seconds: int("TimeoutSeconds"),
            healthy_threshold_count: int("HealthyThresholdCount"),
            unhealthy_threshold_count: int("UnhealthyThresholdCount"),
            matcher: o.text("Matcher"),
        }
    }
}

impl std::fmt::Display for TargetHealthCheck {
    /// `path /health every 10 s, timeout 5 s, healthy 2, unhealthy 2, codes 200-299`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "path {} every {} s, timeout {} s, healthy {}, unhealthy {}, codes {}",
            self.path,
            self.interval_seconds,
            self.timeout_seconds,
            self.healthy_threshold_count,
            self.unhealthy_threshold_count,
            self.matcher
        )
    }
}

/// `HealthCheck` as a whole: the timeout must be shorter than the interval.
pub fn target(o: &Object) -> Result<(), String> {
    let (timeout, interval) = (o.integer("TimeoutSeconds"), o.integer("IntervalSeconds"));
    match timeout < interval {
        true => Ok(()),
        false => Err(format!(
            "TimeoutSeconds ({timeout}) must be less than IntervalSeconds ({interval})"
        )),
    }
}

/// `ContainerHealthCheck` as a whole: nothing beyond its fields.
pub fn container(_o: &Object) -> Result<(), String> {
    Ok(())
}

/// An ALB success-code matcher: codes 200–499, as a list or one range.
fn matcher(s: &str) -> Result<(), String> {
    let code = |c: &str| c.parse::<u16>().is_ok_and(|n| (200..=499).contains(&n));
    let ok = match s.split_once('-') {
        Some((low, high)) => code(low) && code(high) && low < high,
        None => !s.is_empty() && s.split(',').all(code),
    };
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be codes 200–499: \"200\", \"200,202\" or \"200-299\""
        )),
    }
}

/// A container health check command: `CMD` or `CMD-SHELL`, then what to run.
fn command(c: &[String]) -> Result<(), String> {
    match c.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL") if c.len() >= 2 => Ok(()),
        _ => Err("must start with \"CMD\" or \"CMD-SHELL\", then what to run".to_string()),
    }
}
