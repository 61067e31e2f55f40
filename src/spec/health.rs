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

use super::object::{integer, object, text, FieldKind};

object! {
    /// `HealthCheck`: the target group's health check, as ModifyTargetGroup takes it. The
    /// defaults are prod-e's, tuned for rollouts (issue #16; README "Rollout defaults"): AWS's
    /// for an `ip` target group are 30 s / 5 s / 5 / 2. ECS Developer Guide, "Optimize load
    /// balancer health check parameters": a new target needs one passing check ("the healthy
    /// threshold count only applies when a target recovers from an unhealthy state"), so the
    /// interval sets how soon a new task gets traffic, and suggests interval 5 s and healthy
    /// threshold 2 for services that start within 10 s.
    pub struct TargetHealthCheck {
        path: String = "Path", text(super::checks::health_check_path, Some("/")),
            "the path checked (the old property `HealthCheckPath` is accepted)";
        interval_seconds: i32 = "IntervalSeconds", integer(5, 300, Some(10)),
            "seconds between checks (default 10, AWS's 30: a new task passes its first check \
             within 10 s of answering, and checks stay light on the app)";
        timeout_seconds: i32 = "TimeoutSeconds", integer(2, 120, Some(5)),
            "seconds without an answer that fail a check, less than IntervalSeconds \
             (default 5, AWS's: an app that needs longer to answer its check is failing)";
        healthy_threshold_count: i32 = "HealthyThresholdCount", integer(2, 10, Some(2)),
            "checks passed in a row before an unhealthy target is healthy again (a new one \
             needs one) (default 2, AWS's 5: the ECS guide's value, recovery in 20 s, not \
             150 s)";
        unhealthy_threshold_count: i32 = "UnhealthyThresholdCount", integer(2, 10, Some(3)),
            "checks failed in a row before a target is unhealthy (default 3, AWS's 2: 30 s \
             of failures at the 10 s interval, not 20 s, before ECS replaces a task)";
        matcher: String = "Matcher", text(matcher, Some("200")),
            "success codes: \"200\", \"200,202\" or \"200-299\" (200–499)";
        grpc_code: String = "GrpcCode", text(grpc_code, Some("12")),
            "with ProtocolVersion GRPC, in place of Matcher: gRPC status codes of a healthy \
             target, \"12\", \"0,12\" or \"0-99\" (0–99; default 12, AWS's: a server that \
             answers the check's path UNIMPLEMENTED is up)";
    }
}

object! {
    /// `ContainerHealthCheck`: the container's own health check (ECS's `HealthCheck`, with
    /// ECS's defaults where AWS has one).
    pub struct ContainerHealthCheck {
        command: Vec<String> = "Command", FieldKind::Strings { check: command },
            "[\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"] or [\"CMD\", …]";
        interval: i32 = "Interval", integer(5, 300, Some(30)), "seconds between checks";
        timeout: i32 = "Timeout", integer(2, 60, Some(5)), "seconds a check may take";
        retries: i32 = "Retries", integer(1, 10, Some(3)),
            "failures in a row before the container is unhealthy";
        start_period: Option<i32> = "StartPeriod", integer(0, 300, None),
            "seconds after start when failures do not count (off by default)";
    }
}

impl TargetHealthCheck {
    /// This check as ELBv2 takes it for target group `protocol_version`: a GRPC group's
    /// matcher is its `GrpcCode`, any other's its `HttpCode` (ELBv2 API Reference, `Matcher`);
    /// the other is left empty.
    pub fn for_version(&self, protocol_version: &str) -> TargetHealthCheck {
        let mut check = self.clone();
        match protocol_version == GRPC {
            true => check.matcher.clear(),
            false => check.grpc_code.clear(),
        }
        check
    }
}

impl std::fmt::Display for TargetHealthCheck {
    /// `path /health every 10 s, timeout 5 s, healthy 2, unhealthy 2, codes 200-299` (or
    /// `gRPC codes 12`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes = match self.matcher.is_empty() {
            true => format!("gRPC codes {}", self.grpc_code),
            false => format!("codes {}", self.matcher),
        };
        write!(
            f,
            "path {} every {} s, timeout {} s, healthy {}, unhealthy {}, {codes}",
            self.path,
            self.interval_seconds,
            self.timeout_seconds,
            self.healthy_threshold_count,
            self.unhealthy_threshold_count,
        )
    }
}

/// `HealthCheck` as a whole: the timeout must be shorter than the interval.
pub fn target(o: &TargetHealthCheck) -> Result<(), String> {
    let (timeout, interval) = (o.timeout_seconds, o.interval_seconds);
    match timeout < interval {
        true => Ok(()),
        false => Err(format!(
            "TimeoutSeconds ({timeout}) must be less than IntervalSeconds ({interval})"
        )),
    }
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

/// A gRPC matcher: status codes 0–99, as a list or one range (ELBv2 API Reference,
/// `Matcher.GrpcCode`: "values between 0 and 99 … a range (for example, "0-5")").
fn grpc_code(s: &str) -> Result<(), String> {
    let code = |c: &str| c.parse::<u8>().is_ok_and(|n| n <= 99);
    let ok = match s.split_once('-') {
        Some((low, high)) => {
            code(low) && code(high) && low.parse::<u8>().ok() < high.parse::<u8>().ok()
        }
        None => !s.is_empty() && s.split(',').all(code),
    };
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be gRPC codes 0–99: \"12\", \"0,12\" or \"0-99\""
        )),
    }
}

/// The target group protocol version whose health check matches gRPC status codes.
pub const GRPC: &str = "GRPC";

/// A container health check command: `CMD` or `CMD-SHELL`, then what to run.
fn command(c: &[String]) -> Result<(), String> {
    match c.first().map(String::as_str) {
        Some("CMD" | "CMD-SHELL") if c.len() >= 2 => Ok(()),
        _ => Err("must start with \"CMD\" or \"CMD-SHELL\", then what to run".to_string()),
    }
}
