//! Rule 16: CreateTargetGroup of a name that exists with the same settings returns that group
//! (ELBv2 API reference, CreateTargetGroup: "This operation is idempotent, which means that it
//! completes at most one time. If you attempt to create multiple target groups with the same
//! settings, each call succeeds."); moto answers `DuplicateTargetGroupName` whatever the
//! settings. With other settings moto's `DuplicateTargetGroupName` stands, as AWS's.
//!
//! Rules 1 and 2: whether a target group is associated with a load balancer, as AWS decides
//! it — some listener's default action or some listener rule forwards to it (top-level
//! `TargetGroupArn` or any `ForwardConfig` tuple, whatever its weight). Read from moto's
//! listeners and rules, never from `DescribeTargetGroups.LoadBalancerArns` (which moto's
//! ModifyRule does not update).
//!
//! Sources: rule 1, public reports of ECS's "does not have an associated load balancer"
//! (<https://github.com/umotif-public/terraform-aws-ecs-fargate/issues/43>,
//! <https://github.com/hashicorp/terraform/issues/32908>); rule 2, the ELBv2 API reference
//! (<https://docs.aws.amazon.com/goto/WebAPI/elasticloadbalancingv2-2015-12-01/DeleteTargetGroup>:
//! "You can delete a target group if it is not referenced by any actions").

use aws_sdk_elasticloadbalancingv2::types::{Action, Listener};
use aws_sdk_elasticloadbalancingv2::Client;
use serde_json::Value;

use super::wire::escape;
use super::{AwsRules, Fields, Refusal, Rule, Upstream, Verdict};

/// Rule 16: the existing group of the name, if it has every setting the call gives.
pub async fn existing(rules: &AwsRules, moto: &Upstream, fields: &Fields) -> Option<Verdict> {
    if !rules.on(Rule::TargetGroupIdempotent) {
        return None;
    }
    let name = fields.get("Name")?;
    let out = moto
        .elb
        .describe_target_groups()
        .names(&name)
        .send()
        .await
        .ok()?;
    let g = out.target_groups().first()?;
    let has = settings_of(g);
    let same = has
        .into_iter()
        .all(|(key, value)| fields.get(key).is_none_or(|asked| Some(asked) == value));
    let arn = g.target_group_arn()?;
    same.then(|| {
        Verdict::Answer(format!(
            "<CreateTargetGroupResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/\
             2015-12-01/\"><CreateTargetGroupResult><TargetGroups><member><TargetGroupArn>{}\
             </TargetGroupArn><TargetGroupName>{}</TargetGroupName></member></TargetGroups>\
             </CreateTargetGroupResult><ResponseMetadata><RequestId>rules</RequestId>\
             </ResponseMetadata></CreateTargetGroupResponse>",
            escape(arn),
            escape(&name)
        ))
    })
}

/// The settings of group `g` a CreateTargetGroup may give, by their request keys.
fn settings_of(
    g: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
) -> Vec<(&'static str, Option<String>)> {
    let number = |n: Option<i32>| n.map(|n| n.to_string());
    vec![
        ("Protocol", g.protocol().map(|p| p.as_str().to_string())),
        ("Port", number(g.port())),
        ("VpcId", g.vpc_id().map(str::to_string)),
        (
            "TargetType",
            g.target_type().map(|t| t.as_str().to_string()),
        ),
        ("HealthCheckPath", g.health_check_path().map(str::to_string)),
        (
            "HealthCheckIntervalSeconds",
            number(g.health_check_interval_seconds()),
        ),
        (
            "HealthCheckTimeoutSeconds",
            number(g.health_check_timeout_seconds()),
        ),
        ("HealthyThresholdCount", number(g.healthy_threshold_count())),
        (
            "UnhealthyThresholdCount",
            number(g.unhealthy_threshold_count()),
        ),
        (
            "Matcher.HttpCode",
            g.matcher().and_then(|m| m.http_code()).map(str::to_string),
        ),
        (
            "Matcher.GrpcCode",
            g.matcher().and_then(|m| m.grpc_code()).map(str::to_string),
        ),
        ("ProtocolVersion", g.protocol_version().map(str::to_string)),
    ]
}

/// Rule 1: CreateService / UpdateService naming a target group nothing forwards to.
pub async fn unassociated(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::TargetGroupAssociated) {
        return None;
    }
    let balancers = body["loadBalancers"].as_array()?;
    for arn in balancers
        .iter()
        .filter_map(|b| b["targetGroupArn"].as_str())
    {
        if associated(&moto.elb, arn).await == Some(false) {
            let message = format!(
                "The target group with targetGroupArn {arn} does not have an associated load balancer."
            );
            return Some(Verdict::Refuse(Refusal::new(
                "InvalidParameterException",
                message,
            )));
        }
    }
    None
}

/// Rule 2: DeleteTargetGroup while a listener or rule forwards to it.
pub async fn in_use(rules: &AwsRules, moto: &Upstream, fields: &Fields) -> Option<Verdict> {
    if !rules.on(Rule::TargetGroupInUse) {
        return None;
    }
    let arn = fields.get("TargetGroupArn")?;
    let message = format!("Target group '{arn}' is currently in use by a listener or a rule");
    (associated(&moto.elb, &arn).await == Some(true))
        .then(|| Verdict::Refuse(Refusal::new("ResourceInUse", message)))
}

/// Whether some listener or rule forwards to the target group; `None` if moto does not know
/// it (moto's own answer then stands).
pub(super) async fn associated(elb: &Client, target_group: &str) -> Option<bool> {
    let vpc = vpc_of(elb, target_group).await?;
    for listener in listeners_in(elb, &vpc).await? {
        if forwards(listener.default_actions(), target_group) {
            return Some(true);
        }
        let rules = elb
            .describe_rules()
            .listener_arn(listener.listener_arn().unwrap_or_default())
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .ok()?;
        if rules.iter().any(|r| forwards(r.actions(), target_group)) {
            return Some(true);
        }
    }
    Some(false)
}

async fn vpc_of(elb: &Client, target_group: &str) -> Option<String> {
    let out = elb
        .describe_target_groups()
        .target_group_arns(target_group)
        .send()
        .await
        .ok()?;
    out.target_groups().first()?.vpc_id().map(str::to_string)
}

/// The listeners of every load balancer in `vpc`.
async fn listeners_in(elb: &Client, vpc: &str) -> Option<Vec<Listener>> {
    let balancers = elb
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .ok()?;
    let mut listeners = Vec::new();
    for balancer in balancers.iter().filter(|b| b.vpc_id() == Some(vpc)) {
        let out = elb
            .describe_listeners()
            .load_balancer_arn(balancer.load_balancer_arn().unwrap_or_default())
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .ok()?;
        listeners.extend(out);
    }
    Some(listeners)
}

fn forwards(actions: &[Action], target_group: &str) -> bool {
    actions.iter().any(|a| {
        a.target_group_arn() == Some(target_group)
            || a.forward_config().is_some_and(|f| {
                f.target_groups()
                    .iter()
                    .any(|t| t.target_group_arn() == Some(target_group))
            })
    })
}
