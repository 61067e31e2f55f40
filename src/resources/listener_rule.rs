//! The listener rule on the existing ALB listener: PathPattern → forward to our target group.
//!
//! AWS refuses an ECS service whose target group no listener or rule forwards to yet
//! ("The target group … does not have an associated load balancer", public reports:
//! terraform-aws-ecs-fargate#43, hashicorp/terraform#32908), so the rule exists before the
//! service: on Create it first matches no request ([`UNROUTED_HOST`]), and in a replacement
//! the new target group joins the old set's rule at weight 0 (ELBv2 `TargetGroupTuple`:
//! weights 0–999). [`route`] then moves traffic in one ModifyRule once the service is steady.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, HostHeaderConditionConfig,
    PathPatternConditionConfig, RuleCondition, RulePriorityPair, TargetGroupTuple,
};
use aws_sdk_elasticloadbalancingv2::Client;

use super::tags;
use super::{found, gone, required, Tagged};
use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};

/// The host-header value of a rule that must match no request yet: `.invalid` is reserved and
/// never resolves (RFC 2606), so no client sends it by accident.
pub const UNROUTED_HOST: &str = "prod-e.unrouted.invalid";

#[derive(Debug, Clone, PartialEq)]
/// A listener rule as found or created.
pub struct ListenerRule {
    /// Its ARN.
    pub arn: String,
    /// Its priority on the listener (a string, as ELBv2 returns it).
    pub priority: String,
    /// Its path-pattern values.
    pub path_patterns: Vec<String>,
    /// Every target group the rule forwards to, whatever its weight.
    pub target_group_arns: Vec<String>,
    /// Weight of each of `target_group_arns` (1 for a plain forward).
    pub weights: Vec<i32>,
    /// Whether it matches requests (false while it only holds [`UNROUTED_HOST`]).
    pub routed: bool,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(ListenerRule, "listener rule", arn);

impl ListenerRule {
    /// Whether it sends every request to `target_group_arn` alone, matching `path_pattern`.
    pub fn routes_only(&self, path_pattern: &str, target_group_arn: &str) -> bool {
        self.routed
            && self.target_group_arns == [target_group_arn]
            && self.path_patterns == [path_pattern]
    }
}

/// The rule on `listener_arn` that carries this deployment's ownership tag, or else one of
/// another set of the same stack resource (which a replacement takes over). Rules have no
/// names, so they are recognised by their tags alone; a missing listener means no rule.
pub async fn find(
    elb: &Client,
    listener_arn: &str,
    deployment: &Deployment,
) -> Result<Option<ListenerRule>> {
    let doing = format!("reading rules of listener ({listener_arn})");
    let listed = elb
        .describe_rules()
        .listener_arn(listener_arn)
        .into_paginator()
        .items()
        .send();
    let Some(rules) = found(
        listed
            .try_collect()
            .await
            .map_err(|e| Error::aws(&doing, e)),
    )?
    else {
        return Ok(None);
    };
    let rules: Vec<_> = rules
        .iter()
        .filter(|r| !r.is_default().unwrap_or(false))
        .collect();
    let arns: Vec<String> = rules
        .iter()
        .filter_map(|r| r.rule_arn().map(str::to_string))
        .collect();
    let mut tags = tags::elbv2::by_arn(elb, &arns, &doing).await?;
    let mut rules: Vec<ListenerRule> = rules
        .into_iter()
        .map(|rule| from_sdk(rule, &mut tags))
        .collect::<Result<_>>()?;
    let ours = rules.iter().position(|r| deployment.owns(&r.tags));
    let sibling = || rules.iter().position(|r| deployment.sibling_owns(&r.tags));
    Ok(ours.or_else(sibling).map(|i| rules.swap_remove(i)))
}

fn from_sdk(
    rule: &aws_sdk_elasticloadbalancingv2::types::Rule,
    tags: &mut std::collections::BTreeMap<String, Tags>,
) -> Result<ListenerRule> {
    let arn = required(rule.rule_arn(), ListenerRule::KIND, "RuleArn")?;
    let conditions = rule.conditions();
    let (target_group_arns, weights) = forwards(rule.actions()).into_iter().unzip();
    Ok(ListenerRule {
        priority: required(rule.priority(), ListenerRule::KIND, "Priority")?,
        path_patterns: conditions
            .iter()
            .filter_map(|c| c.path_pattern_config())
            .flat_map(|p| p.values().to_vec())
            .collect(),
        target_group_arns,
        weights,
        routed: !conditions
            .iter()
            .filter_map(|c| c.host_header_config())
            .any(|h| h.values().iter().any(|v| v == UNROUTED_HOST)),
        tags: tags.remove(&arn).unwrap_or_default(),
        arn,
    })
}

/// (target group, weight) of each forward, from `ForwardConfig` or the plain `TargetGroupArn`
/// (AWS shows both for one group, moto one or the other).
fn forwards(actions: &[Action]) -> Vec<(String, i32)> {
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

/// Creates the rule at `priority`, forwarding to `target_group_arn` but matching no request
/// yet ([`UNROUTED_HOST`]): the target group is then associated with the load balancer, as
/// CreateService requires, while traffic still goes where it went before.
pub async fn create_unrouted(
    elb: &Client,
    listener_arn: &str,
    priority: u32,
    target_group_arn: &str,
    tags: &Tags,
) -> Result<ListenerRule> {
    let out = elb
        .create_rule()
        .listener_arn(listener_arn)
        .priority(priority as i32)
        .conditions(unrouted())
        .actions(forward(target_group_arn))
        .set_tags(Some(tags::elbv2::list(tags)))
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                format!("creating rule at priority {priority} on listener ({listener_arn})"),
                e,
            )
        })?;
    let arn = out.rules().first().and_then(|r| r.rule_arn());
    Ok(ListenerRule {
        arn: required(arn, ListenerRule::KIND, "RuleArn")?,
        priority: priority.to_string(),
        path_patterns: Vec::new(),
        target_group_arns: vec![target_group_arn.to_string()],
        weights: vec![1],
        routed: false,
        tags: tags.clone(),
    })
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

/// Takes `target_group_arn` out of the rule's forward (a half-built replacement's group,
/// before it is deleted). A rule that forwards to nothing else is left as it is.
pub async fn release(elb: &Client, rule: &ListenerRule, target_group_arn: &str) -> Result<()> {
    let (arns, weights): (Vec<String>, Vec<i32>) = rule
        .target_group_arns
        .iter()
        .cloned()
        .zip(rule.weights.iter().copied())
        .filter(|(arn, _)| arn != target_group_arn)
        .unzip();
    if arns.is_empty() || arns.len() == rule.target_group_arns.len() {
        return Ok(());
    }
    let kept = ListenerRule {
        target_group_arns: arns,
        weights,
        ..rule.clone()
    };
    let doing = format!("taking ({target_group_arn}) out of rule ({})", rule.arn);
    set_forwards(elb, &kept, &doing).await
}

async fn set_forwards(elb: &Client, rule: &ListenerRule, doing: &str) -> Result<()> {
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
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(
            ForwardActionConfig::builder()
                .set_target_groups(Some(tuples.collect()))
                .build(),
        )
        .build();
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .actions(forward)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(doing, e))
}

/// Moves the rule to `priority` (1–50000). Errors: `PriorityInUse` if another rule of the
/// listener holds it (ELBv2 SetRulePriorities reference).
pub async fn set_priority(elb: &Client, rule: &ListenerRule, priority: u32) -> Result<()> {
    elb.set_rule_priorities()
        .rule_priorities(
            RulePriorityPair::builder()
                .rule_arn(&rule.arn)
                .priority(priority as i32)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            Error::aws(
                format!("moving rule ({}) to priority {priority}", rule.arn),
                e,
            )
        })
}

/// Forwards the rule to `target_group_arn` alone, matching `path_pattern`, in one call: the
/// switch of traffic (from nothing, or from another set) is atomic.
pub async fn route(
    elb: &Client,
    rule: &ListenerRule,
    path_pattern: &str,
    target_group_arn: &str,
) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .conditions(condition(path_pattern))
        .actions(forward(target_group_arn))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            Error::aws(
                format!("forwarding rule ({}) to ({target_group_arn})", rule.arn),
                e,
            )
        })
}

/// Replaces the rule's conditions with one path-pattern condition (its forward unchanged).
pub async fn set_path_pattern(elb: &Client, rule: &ListenerRule, path_pattern: &str) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .conditions(condition(path_pattern))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(format!("changing path of rule ({})", rule.arn), e))
}

/// Deletes the rule; a rule already gone counts as deleted.
pub async fn delete(elb: &Client, rule: &ListenerRule) -> Result<()> {
    let deleted = elb.delete_rule().rule_arn(&rule.arn).send().await;
    gone(
        deleted
            .map(|_| ())
            .map_err(|e| Error::aws(format!("deleting rule ({})", rule.arn), e)),
    )
}

fn forward(target_group_arn: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group_arn)
        .build()
}

fn unrouted() -> RuleCondition {
    RuleCondition::builder()
        .field("host-header")
        .host_header_config(
            HostHeaderConditionConfig::builder()
                .values(UNROUTED_HOST)
                .build(),
        )
        .build()
}

fn condition(path_pattern: &str) -> RuleCondition {
    RuleCondition::builder()
        .field("path-pattern")
        .path_pattern_config(
            PathPatternConditionConfig::builder()
                .values(path_pattern)
                .build(),
        )
        .build()
}

/// The listeners of a load balancer (to find our rule when the properties do not say).
pub async fn listeners_of(elb: &Client, load_balancer_arn: &str) -> Result<Vec<String>> {
    let out = elb
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn)
        .send()
        .await;
    let Some(out) = found(
        out.map_err(|e| Error::aws(format!("listing listeners of ({load_balancer_arn})"), e)),
    )?
    else {
        return Ok(Vec::new());
    };
    Ok(out
        .listeners()
        .iter()
        .filter_map(|l| l.listener_arn().map(str::to_string))
        .collect())
}
