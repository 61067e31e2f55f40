//! `CapacityProviderStrategy`: Fargate and Fargate Spot, with CloudFormation's keys
//! (`CapacityProvider`, `Weight`, `Base`).
//!
//! Sources: ECS `CapacityProviderStrategyItem` (weight 0–1000, base 0–100000; "Only one
//! capacity provider in a capacity provider strategy can have a base defined"; FARGATE_SPOT
//! supports ARM64 on platform 1.4.0 or later), CreateService ("If a capacityProviderStrategy
//! is specified, the launchType parameter must be omitted"), ECS Developer Guide, "Fargate
//! capacity providers" (FARGATE and FARGATE_SPOT are associated with a cluster by
//! PutClusterCapacityProviders).

use super::object::{integer, object, text};

/// The Fargate capacity providers.
pub const PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

object! {
    /// One item of `CapacityProviderStrategy`.
    pub struct CapacityProviderStrategyItem {
        capacity_provider: String = "CapacityProvider", text(provider, None),
            "FARGATE or FARGATE_SPOT";
        weight: i32 = "Weight", integer(0, 1000, Some(0)),
            "its share of the tasks beyond the bases";
        base: i32 = "Base", integer(0, 100_000, Some(0)),
            "tasks it runs first (one item at most may have a base)";
    }
}

/// The strategy as a whole: each provider once, named; one base at most; a weight above 0.
pub fn strategy(items: &[CapacityProviderStrategyItem]) -> Result<(), String> {
    if items.iter().any(|i| i.capacity_provider.is_empty()) {
        return Err("every item needs its CapacityProvider".to_string());
    }
    let providers: Vec<&String> = items.iter().map(|i| &i.capacity_provider).collect();
    if (1..providers.len()).any(|k| providers[..k].contains(&providers[k])) {
        return Err("names a capacity provider twice".to_string());
    }
    if items.iter().filter(|i| i.base > 0).count() > 1 {
        return Err("only one capacity provider may have a Base".to_string());
    }
    if !items.is_empty() && items.iter().all(|i| i.weight == 0) {
        return Err("at least one capacity provider needs a Weight above 0".to_string());
    }
    Ok(())
}

/// `FARGATE base 1 weight 1, FARGATE_SPOT weight 3`, or `FARGATE launch type` for none.
pub fn describe(items: &[CapacityProviderStrategyItem]) -> String {
    if items.is_empty() {
        return "FARGATE launch type".to_string();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|i| {
            let base = match i.base {
                0 => String::new(),
                b => format!(" base {b}"),
            };
            format!("{}{base} weight {}", i.capacity_provider, i.weight)
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
