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

/// What a set has of the settings an Update keeps where its properties do not give them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kept {
    /// Whether it has its baseline alarms.
    pub alarms: bool,
    /// Its service's deployment alarms, a baseline one as its `prod-e:<kind>` entry.
    pub deployment_alarms: Vec<String>,
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

/// The `DeploymentAlarms` entries of the alarms `names`: a name that is `name(kind)` of a
/// baseline kind as its `prod-e:<kind>` entry ([`resolved`] backwards).
pub fn entries(names: &[String], name: impl Fn(&str) -> String) -> Vec<String> {
    let entry = |n: &String| {
        let kind = KINDS.iter().find(|k| name(k) == *n);
        kind.map_or_else(|| n.clone(), |k| format!("{TOKEN_PREFIX}{k}"))
    };
    names.iter().map(entry).collect()
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

    use super::{entries, Kept, GATE};
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
        assert!(new.alarms);
        assert_eq!(new.deployment_alarms, GATE);
        let ungated = spec(json!({"DeploymentAlarms": []}));
        assert!(ungated.alarms && ungated.deployment_alarms.is_empty());
        let off = spec(json!({"Alarms": false}));
        assert!(!off.alarms && off.deployment_alarms.is_empty());
    }

    /// An Update keeps what the set has where its old and new properties both leave a
    /// setting out; a setting given on either side is the properties'.
    #[test]
    fn an_update_keeps_what_the_set_has_where_the_properties_leave_it_out() {
        let none = Kept::default();
        let (mut old, mut new) = (spec(json!({})), spec(json!({"Image": "nginx"})));
        new.keep(&none, Some(&old));
        old.keep(&none, None);
        assert_eq!((old.alarms, new.alarms), (false, false));
        assert!(old.deployment_alarms.is_empty() && new.deployment_alarms.is_empty());
        let mut on = spec(json!({"Alarms": true}));
        on.keep(&none, Some(&spec(json!({}))));
        assert!(on.alarms && on.deployment_alarms.is_empty());
        let mut removed = spec(json!({}));
        removed.keep(&none, Some(&spec(json!({"Alarms": false}))));
        assert!(removed.alarms, "a property removed takes its default");
        let mut named = spec(json!({"DeploymentAlarms": ["prod-e:target-5xx"]}));
        named.keep(&none, Some(&spec(json!({}))));
        assert!(named.alarms, "a baseline entry keeps the alarms");
        let gated = Kept {
            alarms: true,
            deployment_alarms: GATE.map(String::from).to_vec(),
        };
        let mut off = spec(json!({"Alarms": false}));
        off.keep(&gated, Some(&spec(json!({}))));
        assert!(
            off.deployment_alarms.is_empty(),
            "{:?}",
            off.deployment_alarms
        );
    }

    #[test]
    fn the_sets_own_alarm_names_read_back_as_their_entries() {
        let name = |k: &str| format!("prod-e-1-2-{k}");
        let names = [name("target-5xx"), "team-latency".to_string()];
        let read = entries(&names, name);
        assert_eq!(read, ["prod-e:target-5xx", "team-latency"]);
    }
}
