//! IAM's view of the Application Auto Scaling and CloudWatch calls: the (action, resource,
//! context) triples each needs, implied ones included. Application Auto Scaling checks, with
//! the caller's permissions, what it will do on the caller's behalf: on the ECS service it
//! scales (ecs:DescribeServices, ecs:UpdateService, with the service's own tags) and on the
//! alarms target tracking makes (`TargetTracking-<ResourceId>-AlarmHigh-<id>`, untagged); it
//! creates its service-linked role on the first registration; and a create with tags needs
//! TagResource too (RegisterScalableTarget with `Tags`, PutMetricAlarm with `Tags`).
//!
//! Sources: Service Authorization Reference, "Actions, resources, and condition keys for AWS
//! Application Auto Scaling" and "… for Amazon CloudWatch" (resource types, condition keys,
//! dependent actions); Application Auto Scaling User Guide, "Permissions validation for API
//! calls on target resources" and "Service-linked roles"
//! (`AWSServiceRoleForApplicationAutoScaling_ECSService`, made by RegisterScalableTarget:
//! "users must have permissions for the iam:CreateServiceLinkedRole action"); Amazon ECS
//! Developer Guide, "IAM permissions required for Amazon ECS service auto scaling".

use std::collections::BTreeMap;

use super::{request_owner, Context, Fields};
use crate::call::Call;
use crate::{ACCOUNT, REGION};

/// The service Application Auto Scaling's ECS service-linked role is for.
const LINKED_SERVICE: &str = "ecs.application-autoscaling.amazonaws.com";
/// Its role, under `role/`.
const LINKED_ROLE: &str = "aws-service-role/ecs.application-autoscaling.amazonaws.com/\
                           AWSServiceRoleForApplicationAutoScaling_ECSService";

/// (action, resource ARN, context).
type Triple = (String, String, Context);

/// The triples of an Application Auto Scaling or CloudWatch call; `None` for other services.
pub(super) fn evaluated(call: &Call) -> Option<Vec<Triple>> {
    match call.service.as_str() {
        "application-autoscaling" => Some(scaling(call)),
        "monitoring" => Some(alarms(call)),
        _ => None,
    }
}

/// One pair with what IAM knows of it: the ownership tag in the request, `owner` as the one
/// the resource carries, and the other condition keys in `values`.
fn triple(
    call: &Call,
    action: &str,
    resource: &str,
    owner: Option<String>,
    values: &[(&str, String)],
) -> Triple {
    let context = Context {
        request_owner: request_owner(call),
        resource_owner: owner,
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        ..Context::default()
    };
    (action.to_string(), resource.to_string(), context)
}

/// Application Auto Scaling: the scalable target a call names by key has an opaque id in its
/// ARN; `scalable-target/(<ResourceId>)` stands for it (a `scalable-target/*` pattern
/// matches both). Tagging calls name the real ARN; Describe* have no resource.
fn scaling(call: &Call) -> Vec<Triple> {
    let fields = Fields::of(call);
    let action = format!("application-autoscaling:{}", call.action);
    let resource_id = fields.get("ResourceId").unwrap_or_default();
    let target = format!(
        "arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/({resource_id})"
    );
    let keys = [
        (
            "application-autoscaling:service-namespace",
            "ServiceNamespace",
        ),
        (
            "application-autoscaling:scalable-dimension",
            "ScalableDimension",
        ),
    ];
    let values: Vec<(&str, String)> = keys
        .iter()
        .filter_map(|(key, field)| Some((*key, fields.get(field)?)))
        .collect();
    let owner = call.probed.owner.clone();
    let main = |resource: &str| triple(call, &action, resource, owner.clone(), &values);
    match call.action.as_str() {
        a if a.starts_with("Describe") => vec![triple(call, &action, "*", None, &[])],
        "ListTagsForResource" | "TagResource" | "UntagResource" => {
            vec![main(&fields.get("ResourceARN").unwrap_or_default())]
        }
        "RegisterScalableTarget" => {
            let mut out = registered(call, &fields, &target);
            out.push(main(&target));
            out
        }
        "PutScalingPolicy" => tracked(call, &resource_id, main(&target), true),
        "DeleteScalingPolicy" => tracked(call, &resource_id, main(&target), false),
        _ => vec![main(&target)],
    }
}

/// What a RegisterScalableTarget implies: tagging the target it creates (when it gives
/// `Tags`), what Application Auto Scaling checks on the ECS service it scales, and its
/// service-linked role.
fn registered(call: &Call, fields: &Fields, target: &str) -> Vec<Triple> {
    let resource_id = fields.get("ResourceId").unwrap_or_default();
    let service = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:{resource_id}");
    let owner = || call.probed.service_owner.clone();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/{LINKED_ROLE}");
    let mut out = Vec::new();
    if fields.body["Tags"]
        .as_object()
        .is_some_and(|t| !t.is_empty())
    {
        let tag = "application-autoscaling:TagResource";
        out.push(triple(call, tag, target, call.probed.owner.clone(), &[]));
    }
    out.push(triple(call, "ecs:DescribeServices", &service, owner(), &[]));
    out.push(triple(call, "ecs:UpdateService", &service, owner(), &[]));
    let linked = [("iam:AWSServiceName", LINKED_SERVICE.to_string())];
    out.push(triple(
        call,
        "iam:CreateServiceLinkedRole",
        &role,
        None,
        &linked,
    ));
    out
}

/// A scaling policy's put (`put`) or delete, with what target tracking does to its alarms
/// (untagged, named `TargetTracking-<ResourceId>-AlarmHigh-<id>` and `…-AlarmLow-<id>`).
fn tracked(call: &Call, resource_id: &str, main: Triple, put: bool) -> Vec<Triple> {
    let alarm = format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:TargetTracking-");
    let alarm = format!("{alarm}{resource_id}-AlarmHigh-(id)");
    let actions: &[&str] = match put {
        true => &["DescribeAlarms", "PutMetricAlarm", "DeleteAlarms"],
        false => &["DescribeAlarms", "DeleteAlarms"],
    };
    let mut out: Vec<Triple> = actions
        .iter()
        .map(|a| triple(call, &format!("cloudwatch:{a}"), &alarm, None, &[]))
        .collect();
    out.push(main);
    out
}

/// CloudWatch (alarms): an alarm's ARN from its name, or the ARN a tagging call names;
/// DescribeAlarms on `*`. PutMetricAlarm with `Tags` also needs cloudwatch:TagResource.
fn alarms(call: &Call) -> Vec<Triple> {
    let fields = Fields::of(call);
    let action = format!("cloudwatch:{}", call.action);
    let alarm = |name: &str| format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}");
    let resource = match call.action.as_str() {
        "DescribeAlarms" => "*".to_string(),
        "PutMetricAlarm" => alarm(&fields.get("AlarmName").unwrap_or_default()),
        "DeleteAlarms" => alarm(fields.body["AlarmNames"][0].as_str().unwrap_or_default()),
        _ => fields
            .get("ResourceARN")
            .unwrap_or_else(|| format!("(no resource read from {})", call.body)),
    };
    let owner = call.probed.owner.clone();
    let mut out = Vec::new();
    let tagged = fields.body["Tags"]
        .as_array()
        .is_some_and(|t| !t.is_empty());
    if call.action == "PutMetricAlarm" && tagged {
        let tag = "cloudwatch:TagResource";
        out.push(triple(call, tag, &resource, owner.clone(), &[]));
    }
    out.push(triple(call, &action, &resource, owner, &[]));
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::bounded;
    use super::super::{judge, statements, Parameters};
    use crate::call::Call;

    const ID: &str = "prod-e-0123456789-abcdef01";
    const TARGET: &str =
        "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/abc123";

    /// A call of `service` on a resource owned by `owner` (and scaling a service of ours).
    fn call(service: &str, action: &str, body: &str, owner: Option<&str>) -> Call {
        let mut call = bounded(service, action, body, owner, None);
        call.probed.service_owner = Some(ID.into());
        call
    }

    /// The IAM verdicts on `calls` under the template's statements: what it denies.
    fn denied(calls: &[Call]) -> Vec<String> {
        let verdict = judge(&statements(&Parameters::default()), calls);
        verdict.denied.into_iter().collect()
    }

    fn register(tags: bool) -> String {
        let tags = match tags {
            true => format!(r#","Tags":{{"prod-e:physical-id":"{ID}"}}"#),
            false => String::new(),
        };
        format!(
            r#"{{"ServiceNamespace":"ecs","ScalableDimension":"ecs:service:DesiredCount",
            "ResourceId":"service/c/s","MinCapacity":1,"MaxCapacity":3{tags}}}"#
        )
    }

    #[test]
    fn a_scalable_target_is_created_with_our_tag_and_changed_only_when_ours() {
        let aas = "application-autoscaling";
        let created = call(aas, "RegisterScalableTarget", &register(true), None);
        assert_eq!(denied(&[created]), Vec::<String>::new());
        let untagged = call(aas, "RegisterScalableTarget", &register(false), None);
        assert_eq!(denied(&[untagged]).len(), 1);
        let updated = call(aas, "RegisterScalableTarget", &register(false), Some(ID));
        assert_eq!(denied(&[updated]), Vec::<String>::new());
        let policy = r#"{"PolicyName":"p-cpu","ServiceNamespace":"ecs","ResourceId":"service/c/s",
            "ScalableDimension":"ecs:service:DesiredCount","PolicyType":"TargetTrackingScaling"}"#;
        let ours = call(aas, "PutScalingPolicy", policy, Some(ID));
        assert_eq!(denied(&[ours]), Vec::<String>::new());
        assert_eq!(
            denied(&[call(aas, "PutScalingPolicy", policy, None)]).len(),
            1
        );
        let tags = format!(r#"{{"ResourceARN":"{TARGET}","Tags":{{"a":"1"}}}}"#);
        let ours = call(aas, "TagResource", &tags, Some(ID));
        assert_eq!(denied(&[ours]), Vec::<String>::new());
        assert_eq!(denied(&[call(aas, "TagResource", &tags, None)]).len(), 1);
    }

    #[test]
    fn an_alarm_is_created_with_our_tag_and_deleted_only_when_ours() {
        let tag = format!(r#"{{"Key":"prod-e:physical-id","Value":"{ID}"}}"#);
        let put = format!(r#"{{"AlarmName":"{ID}-cpu-high","Tags":[{tag}]}}"#);
        let created = call("monitoring", "PutMetricAlarm", &put, None);
        assert_eq!(denied(&[created]), Vec::<String>::new());
        let delete = format!(r#"{{"AlarmNames":["{ID}-cpu-high"]}}"#);
        let ours = call("monitoring", "DeleteAlarms", &delete, Some(ID));
        assert_eq!(denied(&[ours]), Vec::<String>::new());
        let foreign = call("monitoring", "DeleteAlarms", &delete, None);
        assert_eq!(denied(&[foreign]).len(), 1);
        let other = call(
            "monitoring",
            "DeleteAlarms",
            r#"{"AlarmNames":["x"]}"#,
            Some(ID),
        );
        assert_eq!(denied(&[other]).len(), 1);
    }
}
