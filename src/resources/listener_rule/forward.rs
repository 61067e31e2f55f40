//! Where a rule forwards: its target groups and their weights, joining a new set's group at
//! weight 0, taking a half-built set's group out, and the one ModifyRule that moves traffic.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple,
};
use aws_sdk_elasticloadbalancingv2::Client;

use super::{conditions, ListenerRule};
use crate::error::{Doing, Result};
use crate::spec::routing::Routing;

/// (target group, weight) of each forward, from `ForwardConfig` or the plain `TargetGroupArn`
/// (AWS shows both for one group, moto one or the other).
pub(super) fn forwards(actions: &[Action]) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = Vec::new();
    for action in actions {
        let tuples = action.forward_config().map(|f| f.target_groups());
        for t in tuples.unwrap_or_default() {
            if let Some(arn) = t.target_group_arn() {
                out.push((arn.to_string(), t.weight().unwrap_or(1)));
            }
        }
        match action.target_group_arn() {
            Some(arn) if !out.iter().any(|(a, _)| a == arn) => out.push((arn.to_string(), 1)),
            _ => {}
        }
    }
    out
}

/// Adds `target_group_arn` to the rule's forward at weight 0, beside the groups it serves:
/// associated with the load balancer, receiving no traffic. Returns the rule as it now is.
pub async fn join(
    elb: &Client,
    rule: &ListenerRule,
    target_group_arn: &str,
) -> Result<ListenerRule> {
    let mut joined = rule.clone();
    joined.target_group_arns.push(target_group_arn.to_string());
    joined.weights.push(0);
    let doing = format!(
        "adding ({target_group_arn}) at weight 0 to rule ({})",
        rule.arn
    );
    set_forwards(elb, &joined, &doing).await?;
    Ok(joined)
}

/// [`join`]s each of `target_group_arns` the rule does not forward to yet, one ModifyRule
/// each. Returns the rule as it now is.
pub async fn join_all(
    elb: &Client,
    rule: ListenerRule,
    target_group_arns: &[&str],
) -> Result<ListenerRule> {
    let mut joined = rule;
    for group in target_group_arns {
        if !joined.target_group_arns.iter().any(|a| a == group) {
            joined = join(elb, &joined, group).await?;
        }
    }
    Ok(joined)
}

/// Takes `target_group_arn` out of the rule's forward (a half-built replacement's group,
/// before it is deleted). A rule that forwards to nothing else is left as it is. Returns the
/// rule as it now is.
pub async fn release(
    elb: &Client,
    rule: &ListenerRule,
    target_group_arn: &str,
) -> Result<ListenerRule> {
    let kept = rule.without(&[target_group_arn]);
    if kept.target_group_arns.is_empty() || kept.weights.len() == rule.weights.len() {
        return Ok(rule.clone());
    }
    let doing = format!("taking ({target_group_arn}) out of rule ({})", rule.arn);
    set_forwards(elb, &kept, &doing).await?;
    Ok(kept)
}

/// Gives the rule back `rule`'s conditions and forwards with their weights, in one ModifyRule
/// (a replacement's bake that failed: the traffic goes back at once).
pub async fn put_back(elb: &Client, rule: &ListenerRule) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .set_conditions(Some(conditions::to_sdk(&rule.routing)))
        .actions(weighted(rule))
        .send()
        .await
        .done(format!("putting rule ({}) back as it was", rule.arn))
}

async fn set_forwards(elb: &Client, rule: &ListenerRule, doing: &str) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .actions(weighted(rule))
        .send()
        .await
        .done(doing)
}

/// A forward to `rule`'s target groups with their weights.
pub(super) fn weighted(rule: &ListenerRule) -> Action {
    let tuples = rule
        .target_group_arns
        .iter()
        .zip(&rule.weights)
        .map(|(arn, weight)| {
            TargetGroupTuple::builder()
                .target_group_arn(arn)
                .weight(*weight)
                .build()
        });
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .set_target_groups(Some(tuples.collect()))
                .build(),
        )
        .build()
}

/// Forwards the rule to `target_group_arn` alone, matching `routing`, in one call: the
/// switch of traffic (from nothing, or from another set) is atomic.
pub async fn route(
    elb: &Client,
    rule: &ListenerRule,
    routing: &Routing,
    target_group_arn: &str,
) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .set_conditions(Some(conditions::to_sdk(routing)))
        .actions(forward(target_group_arn))
        .send()
        .await
        .done(format!(
            "forwarding rule ({}) to ({target_group_arn})",
            rule.arn
        ))
}

/// Replaces the rule's conditions with those of `routing` (its forward unchanged).
pub async fn set_routing(elb: &Client, rule: &ListenerRule, routing: &Routing) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .set_conditions(Some(conditions::to_sdk(routing)))
        .send()
        .await
        .done(format!("changing conditions of rule ({})", rule.arn))
}

pub(super) fn forward(target_group_arn: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group_arn)
        .build()
}
