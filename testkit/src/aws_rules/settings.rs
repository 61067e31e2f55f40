//! Rule 12: service settings moto accepts on CreateService and UpdateService but never shows
//! again in DescribeServices (`enableExecuteCommand`, `healthCheckGracePeriodSeconds`,
//! `deploymentConfiguration`, `capacityProviderStrategy`): the proxy remembers what was asked
//! and shows it, as ECS does (ECS API reference, `Service`).

use serde_json::{Map, Value};

use super::wire;
use super::wire::text;
use super::AwsRules;
use crate::call::Call;

/// The settings kept.
const KEPT: [&str; 5] = [
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "capacityProviderStrategy",
    "loadBalancers",
];

/// Remembers the kept settings a CreateService or UpdateService asked for.
pub fn record(rules: &AwsRules, call: &Call, reply: &[u8]) {
    let (Ok(asked), Some(answer)) = (
        serde_json::from_str::<Value>(&call.body),
        wire::ok_json(reply),
    ) else {
        return;
    };
    let arn = text(&answer["service"]["serviceArn"]);
    if arn.is_empty() {
        return;
    }
    rules.with(|s| {
        let kept = s.settings.entry(arn).or_default();
        for key in KEPT {
            if let Some(v) = asked.get(key) {
                kept.insert(key.to_string(), v.clone());
            }
        }
    });
}

/// Shows the remembered settings in a DescribeServices answer.
pub fn show(rules: &AwsRules, doc: &mut Value) {
    let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
        return;
    };
    rules.with(|s| {
        for service in services.iter_mut() {
            let kept: Option<&Map<String, Value>> = s.settings.get(&text(&service["serviceArn"]));
            for (key, value) in kept.into_iter().flatten() {
                service[key] = value.clone();
            }
        }
    });
}
