//! Rule 15: CloudWatch DeleteAlarms naming an alarm that does not exist deletes nothing and
//! answers `ResourceNotFound` (moto deletes the others and answers 200). Source: CloudWatch
//! API Reference, DeleteAlarms: "If you specify any alarms that do not exist, you get an
//! error ResourceNotFound and no alarms are deleted"
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html>).
//!
//! Rule 15b: PutMetricAlarm with an SNS action in another region or partition than the alarm's
//! is refused, `ValidationError` "Invalid region ca-central-1 specified. Only us-west-2 is
//! supported." (moto stores it): CloudWatch alarms notify topics of their own region only
//! (public reports: cds-snc/notification-terraform#128, cds-snc/covid-alert-portal#333;
//! aws-samples/amazon-cloudwatch-auto-alarms#61 for the partition).

use serde_json::{json, Value};

use super::wire::text;
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};

/// The rules of CloudWatch `action` with `body`.
pub async fn before(
    rules: &AwsRules,
    moto: &Upstream,
    action: &str,
    body: &Value,
) -> Option<Verdict> {
    match action {
        "DeleteAlarms" => delete(rules, moto, body).await,
        "PutMetricAlarm" => elsewhere(rules, body),
        _ => None,
    }
}

/// PutMetricAlarm naming an action outside the test world's partition and region.
fn elsewhere(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::MissingAlarms) {
        return None;
    }
    let actions = ["AlarmActions", "OKActions", "InsufficientDataActions"];
    let all = actions.iter().filter_map(|k| body[*k].as_array()).flatten();
    let message = all.map(text).find_map(|arn| {
        let parts: Vec<&str> = arn.split(':').collect();
        let (partition, region) = (parts.get(1).copied(), parts.get(3).copied());
        match (partition.unwrap_or_default(), region.unwrap_or_default()) {
            ("aws", crate::REGION) => None,
            ("aws", region) => Some(format!(
                "Invalid region {region} specified. Only {} is supported.",
                crate::REGION
            )),
            (partition, _) => Some(format!(
                "Invalid partition {partition} specified. Only aws is supported."
            )),
        }
    })?;
    Some(Verdict::Refuse(Refusal::new("ValidationError", message)))
}

/// DeleteAlarms: refused, deleting nothing, if any alarm it names is missing.
async fn delete(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
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
