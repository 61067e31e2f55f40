//! `DeploymentStrategy` and its settings: how ECS deploys a new revision (its rolling
//! deployment, or its own blue/green, canary and linear deployments on an alternate target
//! group), the canary's and the linear steps' shares and bake times, the minutes a strategy's
//! bakes take, and the check that they fit in `ServiceTimeout`.
//!
//! Sources: ECS API Reference, `DeploymentConfiguration` (`strategy` ROLLING | BLUE_GREEN |
//! LINEAR | CANARY; `bakeTimeInMinutes` 0–1440, "the time period when both blue and green
//! service revisions are running simultaneously after the production traffic has shifted"),
//! `CanaryConfiguration` (`canaryPercent` 0.1–100, `canaryBakeTimeInMinutes` 0–1440),
//! `LinearConfiguration` (`stepPercent` 3–100, `stepBakeTimeInMinutes` 0–1440); CloudFormation
//! User Guide, custom resources (`ServiceTimeout`, 1–3600 seconds).

use std::time::Duration;

use serde_json::Value;

use super::object::{decimal, integer, object, FieldValue, Object};

/// ECS's rolling deployment: the default, and what every new set is born with.
pub const ROLLING: &str = "ROLLING";

/// ECS's deployment strategies, [`ROLLING`] first.
pub const STRATEGIES: [&str; 4] = [ROLLING, "BLUE_GREEN", "CANARY", "LINEAR"];

/// CloudFormation's default (and largest) `ServiceTimeout` for a custom resource.
pub const DEFAULT_SERVICE_TIMEOUT: Duration = Duration::from_secs(3600);

object! {
    /// `CanaryConfiguration`: the share the new revision takes first, and how long.
    pub struct CanaryConfiguration {
        canary_percent: Percent = "CanaryPercent", decimal(0.1, 100.0, Some(10.0)),
            "percent of production traffic the new revision takes first (AWS's default 5)";
        canary_bake_time_in_minutes: i64 = "CanaryBakeTimeInMinutes",
            integer(0, 1440, Some(3)),
            "minutes at that share before the rest moves (AWS's default 10; 3 lets a \
             3-minute alarm fire first)";
    }
}

object! {
    /// `LinearConfiguration`: the share each step moves, and the wait between steps.
    pub struct LinearConfiguration {
        step_percent: Percent = "StepPercent", decimal(3.0, 100.0, Some(25.0)),
            "percent of production traffic each step moves (AWS's default 10)";
        step_bake_time_in_minutes: i64 = "StepBakeTimeInMinutes", integer(0, 1440, Some(3)),
            "minutes between steps (AWS's default 6)";
    }
}

/// A percentage read from a `decimal` field (never NaN: the reader refuses what is not a
/// finite number in range).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percent(pub f64);

impl Eq for Percent {}

impl FieldValue for Percent {
    fn get(o: &Object, key: &str) -> Self {
        Percent(o.0.get(key).and_then(Value::as_f64).unwrap_or_default())
    }
    fn json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

/// Whether `strategy` is one of ECS's own blue/green family (an alternate target group, ECS
/// moving the production rule's weights), rather than its rolling deployment.
pub fn is_native(strategy: &str) -> bool {
    strategy != ROLLING
}

/// A strategy's name: one of [`STRATEGIES`].
pub fn strategy(s: &str) -> Result<(), String> {
    super::checks::one_of(s, &STRATEGIES)
}

/// The minutes a deployment of `strategy` waits by its settings alone, traffic shifts and task
/// starts not counted: the canary's bake, or the waits between linear steps (one fewer than
/// the steps: `ceil(100 / StepPercent)`), then `bake` once all traffic has moved. ROLLING: 0.
pub fn bake_minutes(
    strategy: &str,
    bake: u32,
    canary: &CanaryConfiguration,
    linear: &LinearConfiguration,
) -> u64 {
    let shifting = match strategy {
        "CANARY" => canary.canary_bake_time_in_minutes.max(0) as u64,
        "LINEAR" => {
            let steps = (100.0 / linear.step_percent.0.max(1.0)).ceil() as u64;
            steps.saturating_sub(1) * linear.step_bake_time_in_minutes.max(0) as u64
        }
        _ => 0,
    };
    match is_native(strategy) {
        true => shifting + u64::from(bake),
        false => 0,
    }
}

/// The longest a replacement bakes after its traffic moved, minutes: the bake must end inside
/// the invocation that moved the traffic (Lambda's 15 minutes, less the waits before it hands
/// over), which alone knows the forward to put back.
pub const MAX_REPLACEMENT_BAKE_MINUTES: u32 = 10;

/// The minutes a replacement bakes: `BakeTimeInMinutes`, at most
/// [`MAX_REPLACEMENT_BAKE_MINUTES`]; none without deployment alarms to watch.
pub fn replacement_bake_minutes(bake: u32, alarms: bool) -> u32 {
    match alarms {
        true => bake.min(MAX_REPLACEMENT_BAKE_MINUTES),
        false => 0,
    }
}

/// Refuses a strategy whose bakes alone take `ServiceTimeout` or longer: CloudFormation would
/// give up on the operation before ECS could finish it. The message names the sum.
pub fn fits(minutes: u64, service_timeout: Duration) -> Result<(), String> {
    let limit = service_timeout.as_secs();
    match minutes * 60 < limit {
        true => Ok(()),
        false => Err(format!(
            "its bake times add up to {minutes} minutes, which cannot finish inside \
             ServiceTimeout ({limit} s); shorten BakeTimeInMinutes or the canary's or steps' \
             bake"
        )),
    }
}

/// `ServiceTimeout` from the properties (seconds, 1–3600, string or number), else the default.
pub fn service_timeout(properties: &Value) -> Duration {
    let seconds = match properties.get("ServiceTimeout") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    seconds
        .filter(|s| (1..=DEFAULT_SERVICE_TIMEOUT.as_secs()).contains(s))
        .map_or(DEFAULT_SERVICE_TIMEOUT, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(percent: f64, step_bake: i64) -> (CanaryConfiguration, LinearConfiguration) {
        let canary = CanaryConfiguration {
            canary_percent: Percent(5.0),
            canary_bake_time_in_minutes: 10,
        };
        let linear = LinearConfiguration {
            step_percent: Percent(percent),
            step_bake_time_in_minutes: step_bake,
        };
        (canary, linear)
    }

    #[test]
    fn a_strategys_bakes_add_up_as_ecs_runs_them() {
        let (canary, linear) = settings(10.0, 6);
        assert_eq!(bake_minutes("ROLLING", 15, &canary, &linear), 0);
        assert_eq!(bake_minutes("BLUE_GREEN", 15, &canary, &linear), 15);
        assert_eq!(bake_minutes("CANARY", 15, &canary, &linear), 25);
        // AWS's linear defaults: 10 steps of 10 %, 9 waits of 6 minutes between them.
        assert_eq!(bake_minutes("LINEAR", 15, &canary, &linear), 9 * 6 + 15);
        let (_, thirds) = settings(33.0, 5);
        assert_eq!(bake_minutes("LINEAR", 0, &canary, &thirds), 3 * 5);
    }

    #[test]
    fn a_strategy_that_cannot_finish_inside_service_timeout_is_refused_naming_the_sum() {
        assert!(fits(59, Duration::from_secs(3600)).is_ok());
        let err = fits(69, Duration::from_secs(3600)).expect_err("too long");
        assert!(
            err.contains("69 minutes") && err.contains("3600 s"),
            "{err}"
        );
        assert!(fits(2, Duration::from_secs(120)).is_err());
    }

    #[test]
    fn service_timeout_is_read_leniently() {
        assert_eq!(
            service_timeout(&serde_json::json!({"ServiceTimeout": "120"})),
            Duration::from_secs(120)
        );
        assert_eq!(
            service_timeout(&serde_json::json!({"ServiceTimeout": 5})),
            Duration::from_secs(5)
        );
        for bad in [
            serde_json::json!({}),
            serde_json::json!({"ServiceTimeout": "0"}),
            serde_json::json!({"ServiceTimeout": 7200}),
            serde_json::json!({"ServiceTimeout": "x"}),
        ] {
            assert_eq!(service_timeout(&bad), DEFAULT_SERVICE_TIMEOUT, "{bad}");
        }
    }

    #[test]
    fn requests_per_target_is_refused_with_a_native_strategy() {
        let properties = |strategy: &str| {
            serde_json::json!({
                "VpcId": "vpc-0abc",
                "SubnetIds": ["subnet-a1"],
                "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
                "LoadBalancerSecurityGroupId": "sg-0alb",
                "DeploymentStrategy": strategy,
                "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 2, "RequestsPerTarget": 100},
            })
        };
        assert!(crate::spec::Spec::parse(&properties("ROLLING")).is_ok());
        let refused = crate::spec::Spec::parse(&properties("CANARY")).expect_err("refused");
        assert!(
            refused.to_string().contains("RequestsPerTarget"),
            "{refused}"
        );
    }
}
