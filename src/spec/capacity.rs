//! `CapacityProviderStrategy`: Fargate and Fargate Spot, with CloudFormation's keys
//! (`CapacityProvider`, `Weight`, `Base`).
//!
//! Sources: ECS `CapacityProviderStrategyItem` (weight 0–1000, base 0–100000; "Only one
//! capacity provider in a capacity provider strategy can have a base defined"; FARGATE_SPOT
//! supports ARM64 on platform 1.4.0 or later), CreateService ("If a capacityProviderStrategy
//! is specified, the launchType parameter must be omitted"), ECS Developer Guide, "Fargate
//! capacity providers" (FARGATE and FARGATE_SPOT are associated with a cluster by
//! PutClusterCapacityProviders).

use super::object::{Field, FieldKind, Object};

/// The Fargate capacity providers.
pub const PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

/// The fields of one strategy item.
pub const FIELDS: [Field; 3] = [
    Field {
        name: "CapacityProvider",
        kind: FieldKind::Text {
            check: provider,
            default: None,
        },
        doc: "FARGATE or FARGATE_SPOT",
    },
    Field {
        name: "Weight",
        kind: FieldKind::Integer {
            min: 0,
            max: 1000,
            default: Some(0),
        },
        doc: "its share of the tasks beyond the bases",
    },
    Field {
        name: "Base",
        kind: FieldKind::Integer {
            min: 0,
            max: 100_000,
            default: Some(0),
        },
        doc: "tasks it runs first (one item at most may have a base)",
    },
];

/// The strategy as a whole: each provider once, named; one base at most; a weight above 0.
pub fn strategy(items: &[Object]) -> Result<(), String> {
    if items.iter().any(|i| i.text("CapacityProvider").is_empty()) {
        return Err("every item needs its CapacityProvider".to_string());
    }
    let providers: Vec<String> = items.iter().map(|i| i.text("CapacityProvider")).collect();
    if (1..providers.len()).any(|k| providers[..k].contains(&providers[k])) {
        return Err("names a capacity provider twice".to_string());
    }
    if items.iter().filter(|i| i.integer("Base") > 0).count() > 1 {
        return Err("only one capacity provider may have a Base".to_string());
    }
    if !items.is_empty() && items.iter().all(|i| i.integer("Weight") == 0) {
        return Err("at least one capacity provider needs a Weight above 0".to_string());
    }
    Ok(())
}

/// `FARGATE base 1 weight 1, FARGATE_SPOT weight 3`, or `FARGATE launch type` for none.
pub fn describe(items: &[Object]) -> String {
    if items.is_empty() {
        return "FARGATE launch type".to_string();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|i| {
            let base = match i.integer("Base") {
                0 => String::new(),
                b => format!(" base {b}"),
            };
            format!(
                "{}{base} weight {}",
                i.text("CapacityProvider"),
                i.integer("Weight")
            )
        })
        .collect();
    parts.join(", ")
}

fn provider(s: &str) -> Result<(), String> {
    match PROVIDERS.contains(&s) {
        true => Ok(()),
        false => Err(format!("{s:?} must be FARGATE or FARGATE_SPOT")),
    }
}
