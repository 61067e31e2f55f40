//! Rule 12: service settings moto accepts on CreateService and UpdateService but never shows
//! again in DescribeServices (`enableExecuteCommand`, `healthCheckGracePeriodSeconds`,
//! `deploymentConfiguration`, `capacityProviderStrategy`): the proxy remembers what was asked
//! and shows it, as ECS does (ECS API reference, `Service`).
//!
//! Rule 12b: a target group's gRPC success codes (`Matcher.GrpcCode`), which moto 5.2.6's
//! ModifyTargetGroup drops (`moto/elbv2/responses.py` reads only `Matcher.HttpCode`): the
//! proxy remembers them and shows them in DescribeTargetGroups, as ELBv2 does (ELBv2 API
//! Reference, ModifyTargetGroup `Matcher`: "HttpCode … GrpcCode").

use serde_json::{Map, Value};

use super::wire;
use super::wire::text;
use super::{ecs, fresh, AwsRules};
use crate::call::{Call, Fields};

/// The key under which a target group's gRPC codes are kept.
const GRPC_CODE: &str = "GrpcCode";

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

/// DescribeServices as ECS answers it: DRAINING services shown (rule 4), the kept settings
/// (rule 12), new services left out (rule 8); true if the answer counts as a fault.
pub fn describe_services(rules: &AwsRules, reply: Vec<u8>) -> (Vec<u8>, bool) {
    let Some(mut doc) = wire::ok_json(&reply) else {
        return (reply, false);
    };
    ecs::show_draining(rules, &mut doc);
    show(rules, &mut doc);
    let delayed = fresh::leave_out_services(rules, &mut doc);
    (wire::with_body(&reply, &doc.to_string()), delayed)
}

/// Rule 12b: remembers the gRPC codes a ModifyTargetGroup asked for.
pub fn record_grpc_code(rules: &AwsRules, call: &Call) {
    let fields = Fields::of(call);
    let (Some(arn), Some(code)) = (fields.get("TargetGroupArn"), fields.get("Matcher.GrpcCode"))
    else {
        return;
    };
    rules.with(|s| {
        let kept = s.settings.entry(arn).or_default();
        kept.insert(GRPC_CODE.to_string(), Value::String(code));
    });
}

/// Rule 12b: a DescribeTargetGroups answer (XML) with each remembered group's `<Matcher>`
/// holding its gRPC codes.
pub fn show_grpc_codes(rules: &AwsRules, reply: Vec<u8>) -> Vec<u8> {
    let Some(mut xml) = wire::ok_body(&reply) else {
        return reply;
    };
    let kept: Vec<(String, String)> = rules.with(|s| {
        let code =
            |(arn, m): (&String, &Map<String, Value>)| Some((arn.clone(), text(m.get(GRPC_CODE)?)));
        s.settings.iter().filter_map(code).collect()
    });
    for (arn, code) in kept {
        let Some(at) = xml.find(&format!(
            "<TargetGroupArn>{}</TargetGroupArn>",
            wire::escape(&arn)
        )) else {
            continue;
        };
        let next = xml[at + 1..]
            .find("<TargetGroupArn>")
            .map_or(xml.len(), |i| at + 1 + i);
        let Some(open) = xml[at..next].find("<Matcher>").map(|i| at + i) else {
            continue;
        };
        let Some(close) = xml[open..].find("</Matcher>").map(|i| open + i + 10) else {
            continue;
        };
        let matcher = format!(
            "<Matcher><GrpcCode>{}</GrpcCode></Matcher>",
            wire::escape(&code)
        );
        xml.replace_range(open..close, &matcher);
    }
    wire::with_body(&reply, &xml)
}
