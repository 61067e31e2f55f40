//! The listener rule: PathPattern on the existing ALB listener → forward to our target group.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, PathPatternConditionConfig, RuleCondition, RulePriorityPair,
};
use aws_sdk_elasticloadbalancingv2::Client;

use super::target_group::{tag_list, tags_by_arn};
use super::{found, gone};
use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};

#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRule {
    pub arn: String,
    pub priority: String,
    pub path_patterns: Vec<String>,
    pub target_group_arns: Vec<String>,
    pub tags: Tags,
}

tagged!(ListenerRule, "listener rule", arn);

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
    let mut tags = tags_by_arn(elb, &arns, &doing).await?;
    let mut rules: Vec<ListenerRule> = rules
        .into_iter()
        .map(|rule| {
            let arn = rule.rule_arn().unwrap_or_default().to_string();
            ListenerRule {
                priority: rule.priority().unwrap_or_default().to_string(),
                path_patterns: rule
                    .conditions()
                    .iter()
                    .filter_map(|c| c.path_pattern_config())
                    .flat_map(|p| p.values().to_vec())
                    .collect(),
                target_group_arns: rule
                    .actions()
                    .iter()
                    .filter_map(|a| a.target_group_arn().map(str::to_string))
                    .collect(),
                tags: tags.remove(&arn).unwrap_or_default(),
                arn,
            }
        })
        .collect();
    let ours = rules.iter().position(|r| deployment.owns(&r.tags));
    let sibling = || rules.iter().position(|r| deployment.sibling_owns(&r.tags));
    Ok(ours.or_else(sibling).map(|i| rules.swap_remove(i)))
}

pub async fn create(
    elb: &Client,
    listener_arn: &str,
    priority: u32,
    path_pattern: &str,
    target_group_arn: &str,
    tags: &Tags,
) -> Result<ListenerRule> {
    let out = elb
        .create_rule()
        .listener_arn(listener_arn)
        .priority(priority as i32)
        .conditions(condition(path_pattern))
        .actions(forward(target_group_arn))
        .set_tags(Some(tag_list(tags)))
        .send()
        .await
        .map_err(|e| {
            Error::aws(
                format!("creating rule at priority {priority} on listener ({listener_arn})"),
                e,
            )
        })?;
    Ok(ListenerRule {
        arn: out
            .rules()
            .first()
            .and_then(|r| r.rule_arn())
            .unwrap_or_default()
            .to_string(),
        priority: priority.to_string(),
        path_patterns: vec![path_pattern.to_string()],
        target_group_arns: vec![target_group_arn.to_string()],
        tags: tags.clone(),
    })
}

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

/// Forwards the rule to `target_group_arn` with `path_pattern`, in one call: the switch of
/// traffic from one set to another is atomic.
pub async fn point(
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

pub async fn set_path_pattern(elb: &Client, rule: &ListenerRule, path_pattern: &str) -> Result<()> {
    elb.modify_rule()
        .rule_arn(&rule.arn)
        .conditions(condition(path_pattern))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(format!("changing path of rule ({})", rule.arn), e))
}

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
