//! The baseline CloudWatch alarms of `Alarms: true`, as the Properties name them: their
//! kinds, and `DeploymentAlarms` entries that stand for one of them (`prod-e:<kind>`), which
//! the set's own alarm names replace when ECS is told (a set's alarm names derive from its
//! PhysicalResourceId, which the Properties cannot know).

/// The kinds of baseline alarm, each a suffix of its name (`<physical id>-<kind>`).
pub const KINDS: [&str; 4] = ["cpu-high", "memory-high", "target-5xx", "unhealthy-targets"];

/// What a `DeploymentAlarms` entry starts with to name a baseline alarm.
pub const TOKEN_PREFIX: &str = "prod-e:";

/// `DeploymentAlarms` of a new set with `Alarms` on when the Properties do not give it (the
/// alarm gate): ECS rolls back a deployment whose targets answer 5xx or turn unhealthy.
pub const GATE: [&str; 2] = ["prod-e:target-5xx", "prod-e:unhealthy-targets"];

/// The most actions an alarm state takes (CloudWatch API Reference, PutMetricAlarm,
/// `AlarmActions` and `OKActions`: "Maximum number of 5 items").
pub const ACTIONS_MAX: usize = 5;

/// An SNS topic's ARN, `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, no wildcard (CloudWatch takes
/// it as an alarm action: CloudWatch API Reference, PutMetricAlarm `AlarmActions`; a topic
/// name is up to 256 letters, digits, `-` and `_`, with `.fifo` for a FIFO topic).
pub fn topic_arn(s: &str) -> Result<(), String> {
    let name = |n: &str| {
        let base = n.strip_suffix(".fifo").unwrap_or(n);
        !base.is_empty()
            && n.len() <= 256
            && base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let shaped =
        super::checks::arn_of(s, "sns").is_some_and(|rest| rest.len() == 1 && name(rest[0]));
    match shaped {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be an SNS topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
        )),
    }
}

/// The topics of `actions` that the alarms cannot notify: CloudWatch alarms notify SNS topics
/// of their own partition and region only (PutMetricAlarm: `ValidationError` "Invalid region
/// … specified"; public reports: cds-snc/notification-terraform#128), and a set's alarms are
/// in its listener's (`listener_arn`'s) region.
pub fn foreign_topics(actions: &[String], listener_arn: &str) -> Vec<String> {
    let (partition, region) = place(listener_arn);
    let elsewhere = actions.iter().filter(|a| place(a) != (partition, region));
    let message = |a: &String| {
        format!(
            "{a} is in another region or partition than the alarms, which are in the \
             listener's ({}): CloudWatch alarms notify topics of their own region only",
            region.unwrap_or_default()
        )
    };
    elsewhere.map(message).collect()
}

/// An ARN's (partition, region).
fn place(arn: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = arn.split(':');
    (parts.nth(1), parts.nth(1))
}

/// The baseline kind a `DeploymentAlarms` entry names, if it names one.
pub fn kind_of(entry: &str) -> Option<&str> {
    entry.strip_prefix(TOKEN_PREFIX)
}

/// `DeploymentAlarms` with each baseline entry replaced by `name(kind)`.
pub fn resolved(entries: &[String], name: impl Fn(&str) -> String) -> Vec<String> {
    entries
        .iter()
        .map(|e| kind_of(e).map_or_else(|| e.clone(), &name))
        .collect()
}

/// What is wrong with the baseline entries of `DeploymentAlarms`: an unknown kind, or any
/// such entry without `Alarms: true`.
pub fn problems(entries: &[String], alarms_on: bool) -> Vec<String> {
    let mut out = Vec::new();
    for kind in entries.iter().filter_map(|e| kind_of(e)) {
        if !KINDS.contains(&kind) {
            out.push(format!(
                "{TOKEN_PREFIX}{kind} is not a baseline alarm (known: {})",
                KINDS.map(|k| format!("{TOKEN_PREFIX}{k}")).join(", ")
            ));
        } else if !alarms_on {
            out.push(format!("{TOKEN_PREFIX}{kind} needs Alarms: true"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::GATE;
    use crate::spec::Spec;

    fn spec(extra: Value) -> Spec {
        let mut props = json!({
            "VpcId": "vpc-0abc",
            "SubnetIds": ["subnet-a1"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
            "LoadBalancerSecurityGroupId": "sg-0alb",
        });
        if let (Some(p), Value::Object(e)) = (props.as_object_mut(), extra) {
            p.extend(e);
        }
        Spec::parse(&props).expect("valid")
    }

    #[test]
    fn a_new_set_has_the_alarm_gate_unless_its_properties_turn_it_off() {
        let new = spec(json!({}));
        assert!(new.alarms && new.gate);
        assert_eq!(new.deployment_alarms, GATE);
        let ungated = spec(json!({"DeploymentAlarms": []}));
        assert!(ungated.alarms && ungated.deployment_alarms.is_empty());
        let off = spec(json!({"Alarms": false}));
        assert!(!off.alarms && off.deployment_alarms.is_empty());
    }

    /// A set made before the gate keeps its defaults, off, where its properties leave the
    /// settings out; what they give is theirs.
    #[test]
    fn a_set_made_before_the_gate_keeps_its_defaults() {
        let mut old = spec(json!({}));
        old.without_gate();
        assert!(!old.alarms && old.deployment_alarms.is_empty() && !old.gate);
        let mut on = spec(json!({"Alarms": true}));
        on.without_gate();
        assert!(on.alarms && on.deployment_alarms.is_empty());
        let mut named = spec(json!({"DeploymentAlarms": ["prod-e:target-5xx"]}));
        named.without_gate();
        assert!(named.alarms, "a baseline entry keeps the alarms");
        assert_eq!(named.deployment_alarms, ["prod-e:target-5xx"]);
    }
}
