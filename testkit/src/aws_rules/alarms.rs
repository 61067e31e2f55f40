//! Rule 15: CloudWatch DeleteAlarms naming an alarm that does not exist deletes nothing and
//! answers `ResourceNotFound` (moto deletes the others and answers 200). Source: CloudWatch
//! API Reference, DeleteAlarms: "If you specify any alarms that do not exist, you get an
//! error ResourceNotFound and no alarms are deleted"
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html>).

use serde_json::{json, Value};

use super::wire::text;
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};

/// DeleteAlarms: refused, deleting nothing, if any alarm it names is missing.
pub async fn delete(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::MissingAlarms) {
        return None;
    }
    let names: Vec<String> = body["AlarmNames"].as_array()?.iter().map(text).collect();
    let found = moto
        .cloudwatch("DescribeAlarms", json!({"AlarmNames": names}))
        .await?;
    let existing: Vec<String> = found["MetricAlarms"]
        .as_array()?
        .iter()
        .map(|a| text(&a["AlarmName"]))
        .collect();
    let missing: Vec<&String> = names.iter().filter(|n| !existing.contains(n)).collect();
    if missing.is_empty() {
        return None;
    }
    let message = format!("{missing:?} not found");
    Some(Verdict::Refuse(Refusal {
        status: 404,
        ..Refusal::new("ResourceNotFound", message)
    }))
}
