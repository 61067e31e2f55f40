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
