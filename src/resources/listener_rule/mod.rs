//! The listener rule on the existing ALB listener: PathPattern → forward to our target group.
//!
//! AWS refuses an ECS service whose target group no listener or rule forwards to yet
//! ("The target group … does not have an associated load balancer", public reports:
//! terraform-aws-ecs-fargate#43, hashicorp/terraform#32908), so the rule exists before the
//! service: on Create it first matches no request ([`UNROUTED_HOST`]), and in a replacement
//! the new target group joins the old set's rule at weight 0 (ELBv2 `TargetGroupTuple`:
//! weights 0–999). [`route`] then moves traffic in one ModifyRule once the service is steady.

mod conditions;
mod forward;
mod test_route;

pub use forward::{join, join_all, put_back, release, route, set_routing};
pub use test_route::{create_test, expand_test, is_test, test_tags, TEST_SETTINGS, TEST_TAG};

use aws_sdk_elasticloadbalancingv2::types::{Action, Rule, RuleCondition, RulePriorityPair};
use aws_sdk_elasticloadbalancingv2::Client;

use super::settings::Setting;
use super::tags;
use super::{found, gone, required, Tagged};
use crate::error::{Doing, Every, Result};
use crate::naming::{Deployment, Tags};
use crate::spec::overlap::Condition;
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// The host-header value of a rule that must match no request yet: `.invalid` is reserved and
/// never resolves (RFC 2606), so no client sends it by accident.
pub const UNROUTED_HOST: &str = "prod-e.unrouted.invalid";

/// The rule `spec` asks for once it routes, as [`find`] reads one (its ARN and target groups
/// empty; its priority `""` when `RulePriority` leaves it to prod-e).
pub fn expand(spec: &Spec) -> ListenerRule {
    let priority = spec.rule_priority.map(|p| p.to_string());
    ListenerRule {
        priority: priority.unwrap_or_default(),
        routing: spec.routing(),
        routed: true,
        ..ListenerRule::default()
    }
}

/// Every property the rule carries, by its flatten.
pub const SETTINGS: &[Setting<ListenerRule>] = &[
    Setting::reported("RulePriority", |r| {
        Some(r.priority.clone()).filter(|p| !p.is_empty())
    }),
    Setting::new("PathPatterns", |r| r.routing.path_patterns.join(",")),
    Setting::new("HostHeaders", |r| r.routing.host_headers.join(",")),
    Setting::new("HttpHeader", |r| {
        let header = r.routing.http_header.as_ref();
        header.map(ToString::to_string).unwrap_or_default()
    }),
    Setting::new("QueryString", |r| r.routing.query_text()),
];

#[derive(Debug, Clone, PartialEq, Default)]
/// A listener rule as found or created.
pub struct ListenerRule {
    /// Its ARN.
    pub arn: String,
    /// Its priority on the listener (a string, as ELBv2 returns it).
    pub priority: String,
    /// The requests it matches (only [`UNROUTED_HOST`] while it is not `routed`).
    pub routing: Routing,
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
    /// The rule forwarding to its groups but `groups`, with their weights (nothing written).
    pub fn without(&self, groups: &[&str]) -> ListenerRule {
        let kept = self
            .target_group_arns
            .iter()
            .cloned()
            .zip(self.weights.iter().copied());
        let (target_group_arns, weights) = kept
            .filter(|(arn, _)| !groups.contains(&arn.as_str()))
            .unzip();
        ListenerRule {
            target_group_arns,
            weights,
            ..self.clone()
        }
    }

    /// Whether it sends every request `routing` matches to `target_group_arn` alone.
    pub fn routes_only(&self, routing: &Routing, target_group_arn: &str) -> bool {
        self.routed && self.target_group_arns == [target_group_arn] && self.routing == *routing
    }
}

/// The production rule on `listener_arn` that carries this deployment's ownership tag, or else
/// one of another set of the same stack resource (which a replacement takes over). Rules have
/// no names, so they are recognised by their tags alone; a missing listener means no rule.
pub async fn find(
    elb: &Client,
    listener_arn: &str,
    deployment: &Deployment,
) -> Result<Option<ListenerRule>> {
    Ok(find_both(elb, listener_arn, deployment).await?.0)
}

/// The production rule ([`find`]) and this deployment's own test rules ([`is_test`]: one,
/// but attempts at once may have made two), the highest priority first, from one reading of
/// the listener.
pub async fn find_both(
    elb: &Client,
    listener_arn: &str,
    deployment: &Deployment,
) -> Result<(Option<ListenerRule>, Vec<ListenerRule>)> {
    let (mut test, mut rules): (Vec<_>, Vec<_>) = find_all(elb, listener_arn)
        .await?
        .into_iter()
        .partition(|r| is_test(&r.tags));
    let ours = rules.iter().position(|r| deployment.owns(&r.tags));
    let sibling = || rules.iter().position(|r| deployment.sibling_owns(&r.tags));
    let production = ours.or_else(sibling).map(|i| rules.swap_remove(i));
    test.retain(|r| deployment.owns(&r.tags));
    test.sort_by_key(|r| std::cmp::Reverse(r.priority.parse::<u32>().unwrap_or(0)));
    Ok((production, test))
}

/// Every rule of `listener_arn` but its default rule, with tags (none if the listener does
/// not exist).
pub async fn find_all(elb: &Client, listener_arn: &str) -> Result<Vec<ListenerRule>> {
    let doing = format!("reading rules of listener ({listener_arn})");
    let Some(rules) = describe(elb, listener_arn).await? else {
        return Ok(Vec::new());
    };
    let arns: Vec<String> = rules
        .iter()
        .filter_map(|r| r.rule_arn().map(str::to_string))
        .collect();
    let mut tags = tags::elbv2::by_arn(elb, &arns, &doing).await?;
    rules.iter().map(|rule| from_sdk(rule, &mut tags)).collect()
}

/// A rule of a listener as DescribeRules shows it, without its tags: what preflight compares a
/// new rule with.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// Its ARN.
    pub arn: String,
    /// Its priority.
    pub priority: u32,
    /// Its conditions that can exclude a request.
    pub conditions: Vec<Condition>,
    /// Whether it matches requests (false while it only holds [`UNROUTED_HOST`]).
    pub routed: bool,
}

/// Every rule of `listener_arn` but its default rule, with its conditions, in one call without
/// tags; `None` if the listener does not exist.
pub async fn listed(elb: &Client, listener_arn: &str) -> Result<Option<Vec<Listed>>> {
    let Some(rules) = describe(elb, listener_arn).await? else {
        return Ok(None);
    };
    let one = |r: &Rule| -> Result<Listed> {
        let priority = required(r.priority(), ListenerRule::KIND, "Priority")?;
        Ok(Listed {
            arn: required(r.rule_arn(), ListenerRule::KIND, "RuleArn")?,
            priority: priority.parse().unwrap_or_default(),
            conditions: conditions::matching(r.conditions()),
            routed: conditions::from_sdk(r.conditions()).1,
        })
    };
    rules.iter().map(one).collect::<Result<_>>().map(Some)
}

/// The tags of the rules `arns` (one DescribeTags per 20), by ARN.
pub async fn tags_of(
    elb: &Client,
    arns: &[String],
) -> Result<std::collections::BTreeMap<String, Tags>> {
    tags::elbv2::by_arn(elb, arns, "reading the tags of listener rules").await
}

/// The rules of a listener, its default rule left out; `None` if the listener is missing.
async fn describe(elb: &Client, listener_arn: &str) -> Result<Option<Vec<Rule>>> {
    let doing = format!("reading rules of listener ({listener_arn})");
    let listed = elb
        .describe_rules()
        .listener_arn(listener_arn)
        .into_paginator()
        .items()
        .send()
        .every(&doing)
        .await;
    let Some(rules) = found(listed)? else {
        return Ok(None);
    };
    let not_default = |r: &Rule| !r.is_default().unwrap_or(false);
    Ok(Some(rules.into_iter().filter(not_default).collect()))
}

fn from_sdk(
    rule: &Rule,
    tags: &mut std::collections::BTreeMap<String, Tags>,
) -> Result<ListenerRule> {
    let arn = required(rule.rule_arn(), ListenerRule::KIND, "RuleArn")?;
    let (routing, routed) = conditions::from_sdk(rule.conditions());
    let (target_group_arns, weights) = forward::forwards(rule.actions()).into_iter().unzip();
    Ok(ListenerRule {
        priority: required(rule.priority(), ListenerRule::KIND, "Priority")?,
        routing,
        target_group_arns,
        weights,
        routed,
        tags: tags.remove(&arn).unwrap_or_default(),
        arn,
    })
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
    let rule = ListenerRule {
        priority: priority.to_string(),
        target_group_arns: vec![target_group_arn.to_string()],
        weights: vec![1],
        tags: tags.clone(),
        ..ListenerRule::default()
    };
    let asked = (
        vec![conditions::unrouted()],
        forward::forward(target_group_arn),
    );
    create(elb, listener_arn, rule, asked).await
}

/// CreateRule of `rule` (its priority and tags; its ARN empty) on `listener_arn` with the
/// conditions and action `asked`. Returns `rule` with its ARN. Errors: `PriorityInUse` if
/// another rule holds the priority (ELBv2 CreateRule reference).
async fn create(
    elb: &Client,
    listener_arn: &str,
    rule: ListenerRule,
    (conditions, action): (Vec<RuleCondition>, Action),
) -> Result<ListenerRule> {
    let priority = &rule.priority;
    let out = elb
        .create_rule()
        .listener_arn(listener_arn)
        .priority(priority.parse().unwrap_or_default())
        .set_conditions(Some(conditions))
        .actions(action)
        .set_tags(Some(tags::elbv2::list(&rule.tags)))
        .send()
        .await
        .doing(format!(
            "creating rule at priority {priority} on listener ({listener_arn})"
        ))?;
    let arn = out.rules().first().and_then(|r| r.rule_arn());
    Ok(ListenerRule {
        arn: required(arn, ListenerRule::KIND, "RuleArn")?,
        ..rule
    })
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
        .done(format!("moving rule ({}) to priority {priority}", rule.arn))
}

/// Deletes the rule; a rule already gone counts as deleted.
pub async fn delete(elb: &Client, rule: &ListenerRule) -> Result<()> {
    let deleted = elb.delete_rule().rule_arn(&rule.arn).send().await;
    gone(deleted.done(format!("deleting rule ({})", rule.arn)))
}
