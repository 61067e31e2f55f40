//! The baseline CloudWatch alarms of `Alarms: true`, as the Properties name them: their
//! kinds, and `DeploymentAlarms` entries that stand for one of them (`prod-e:<kind>`), which
//! the set's own alarm names replace when ECS is told (a set's alarm names derive from its
//! PhysicalResourceId, which the Properties cannot know).

/// The kinds of baseline alarm, each a suffix of its name (`<physical id>-<kind>`).
pub const KINDS: [&str; 4] = ["cpu-high", "memory-high", "target-5xx", "unhealthy-targets"];

/// What a `DeploymentAlarms` entry starts with to name a baseline alarm.
pub const TOKEN_PREFIX: &str = "prod-e:";

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
