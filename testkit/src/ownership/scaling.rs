//! The probe's part for Application Auto Scaling and CloudWatch: the ownership tag of the
//! scalable target a changing call acts on (its tags are the AWS rules', moto keeps none,
//! [`crate::aws_rules::scaling`]) or of the alarm (read from moto in JSON 1.0: prod-e's
//! CloudWatch client speaks CBOR, which moto cannot read), and of the ECS service a
//! RegisterScalableTarget scales.

use prod_e::aws::Clients;
use prod_e::naming::OWNER_TAG;
use serde_json::{json, Value};

use crate::aws_rules::scaling::{target_arn, Key};
use crate::aws_rules::wire::text;
use crate::aws_rules::{AwsRules, Upstream};
use crate::call::Call;
use crate::{ACCOUNT, REGION};

/// The Application Auto Scaling calls that change an existing target named by its key.
const CHANGES: [&str; 6] = [
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
    "PutScheduledAction",
    "DeleteScheduledAction",
];

/// The ownership tag of the scalable target or alarm a changing call acts on, if it exists
/// now; `None` for calls that create or only read.
pub async fn owner(moto: &Upstream, rules: &AwsRules, call: &Call) -> Option<String> {
    let body: Value = serde_json::from_str(&call.body).ok()?;
    let alarm = |name: &str| format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}");
    match (call.service.as_str(), call.action.as_str()) {
        ("application-autoscaling", "TagResource" | "UntagResource") => {
            rules.scalable_target_owner(&text(&body["ResourceARN"]))
        }
        ("application-autoscaling", action) if CHANGES.contains(&action) => {
            let arn = target_arn(moto, &Key::of(&body)).await?;
            rules.scalable_target_owner(&arn)
        }
        ("monitoring", "TagResource" | "UntagResource") => {
            alarm_owner(moto, &text(&body["ResourceARN"])).await
        }
        ("monitoring", "PutMetricAlarm") => {
            alarm_owner(moto, &alarm(&text(&body["AlarmName"]))).await
        }
        ("monitoring", "DeleteAlarms") => {
            alarm_owner(moto, &alarm(body["AlarmNames"][0].as_str()?)).await
        }
        _ => None,
    }
}

/// The ownership tag of the alarm `arn`, if it exists (moto keeps a deleted alarm's tags:
/// whether it exists is DescribeAlarms' to say).
async fn alarm_owner(moto: &Upstream, arn: &str) -> Option<String> {
    let name = arn.split_once(":alarm:")?.1;
    let described = json!({"AlarmNames": [name]});
    let found = moto.cloudwatch("DescribeAlarms", described).await?;
    let alarms = found["MetricAlarms"].as_array()?;
    if !alarms.iter().any(|a| text(&a["AlarmName"]) == name) {
        return None;
    }
    let listed = moto
        .cloudwatch("ListTagsForResource", json!({"ResourceARN": arn}))
        .await?;
    let tags = listed["Tags"].as_array()?;
    let tag = tags.iter().find(|t| t["Key"] == OWNER_TAG)?;
    Some(text(&tag["Value"]))
}

/// For a RegisterScalableTarget: the ownership tag of the ECS service it scales
/// (`service/<cluster>/<service>`), which Application Auto Scaling checks the caller's
/// ecs:UpdateService on.
pub async fn service_owner(c: &Clients, call: &Call) -> Option<String> {
    let registers =
        call.service == "application-autoscaling" && call.action == "RegisterScalableTarget";
    if !registers {
        return None;
    }
    let body: Value = serde_json::from_str(&call.body).ok()?;
    let resource_id = text(&body["ResourceId"]);
    let service = resource_id.strip_prefix("service/")?;
    super::ecs_owner(
        c,
        format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{service}"),
    )
    .await
}
