//! No silent takeover on a shared listener. An Application Load Balancer evaluates a
//! listener's rules from the lowest priority number up, and the first rule that matches a
//! request takes it (ELB guide, "Listener rules for your Application Load Balancer"): a rule
//! at a lower number whose conditions overlap another's ([`crate::spec::overlap`]) takes that
//! rule's requests. Preflight (Create, replacement) and an in-place Update of the rule's
//! conditions or priority refuse a rule of this stack resource that would newly match first
//! for another owner's rule, naming it, unless `ShadowedRuleArns` accepts it; a derived
//! priority is chosen above every such rule ([`floor`]).

use super::Check;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::resources::listener_rule::{self, Listed, ListenerRule};
use crate::spec::overlap::{overlaps, Condition};
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// A routed rule of the listener whose conditions overlap the rule's.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    /// The rule as listed.
    pub rule: Listed,
    /// Whether it is this stack resource's (this set's or a sibling set's).
    pub own: bool,
    /// Whether it is a test rule ([`listener_rule::is_test`]).
    pub test: bool,
}

/// The routed rules of `listed` whose conditions overlap `routing`'s, each marked as this stack
/// resource's or another owner's (their tags read, one DescribeTags per 20 rules; no call when
/// nothing overlaps).
pub async fn neighbours(
    c: &Clients,
    d: &Deployment,
    listed: &[Listed],
    routing: &Routing,
) -> Result<Vec<Neighbour>> {
    let ours = routing.conditions();
    let near: Vec<&Listed> = listed
        .iter()
        .filter(|r| r.routed && overlaps(&ours, &r.conditions))
        .collect();
    if near.is_empty() {
        return Ok(Vec::new());
    }
    let arns: Vec<String> = near.iter().map(|r| r.arn.clone()).collect();
    let tags = listener_rule::tags_of(&c.elb, &arns).await?;
    let own = |arn: &str| {
        tags.get(arn)
            .is_some_and(|t| d.owns(t) || d.sibling_owns(t))
    };
    let test = |arn: &str| tags.get(arn).is_some_and(listener_rule::is_test);
    Ok(near
        .into_iter()
        .map(|r| Neighbour {
            own: own(&r.arn),
            test: test(&r.arn),
            rule: r.clone(),
        })
        .collect())
}

/// The (production) rule this stack resource has among `neighbours`: its priority and
/// conditions.
pub fn own(neighbours: &[Neighbour]) -> Option<(u32, &[Condition])> {
    let n = neighbours.iter().find(|n| n.own && !n.test)?;
    Some((n.rule.priority, &n.rule.conditions))
}

/// Other owners' rules in `neighbours` that `spec`'s rule at `priority` would newly match
/// first: at a higher number, not matched first already by this stack resource's existing rule
/// `own` (its priority and conditions), and not accepted in `ShadowedRuleArns`.
pub fn shadowed<'a>(
    spec: &Spec,
    neighbours: &'a [Neighbour],
    priority: u32,
    own: Option<(u32, &[Condition])>,
) -> Vec<&'a Listed> {
    let already =
        |r: &Listed| own.is_some_and(|(p, c)| p < r.priority && overlaps(c, &r.conditions));
    neighbours
        .iter()
        .filter(|n| !n.own && n.rule.priority > priority)
        .map(|n| &n.rule)
        .filter(|r| !already(r) && !spec.shadowed_rule_arns.contains(&r.arn))
        .collect()
}

/// The lowest priority at which `spec`'s rule matches first for no other owner's rule in
/// `neighbours` (those in `ShadowedRuleArns` aside): one above the highest of them, else 1.
pub fn floor(spec: &Spec, neighbours: &[Neighbour]) -> u32 {
    neighbours
        .iter()
        .filter(|n| !n.own && !spec.shadowed_rule_arns.contains(&n.rule.arn))
        .map(|n| n.rule.priority + 1)
        .max()
        .unwrap_or(1)
}

/// The checklist line for the rule at `priority`, with the rules it would take traffic from.
pub fn check(spec: &Spec, shadowed: &[&Listed], priority: u32) -> Check {
    let routing = spec.routing();
    let what =
        format!("the rule ({routing}) at priority {priority} takes no other owner's requests");
    let named = named(shadowed);
    let problem = (!named.is_empty()).then(|| {
        format!(
            "at priority {priority} the rule ({routing}) would match first for requests that \
             another owner's listener rule matches, and take its traffic (ALB evaluates the \
             lowest number first): {}; give a RulePriority above theirs or narrower \
             HostHeaders/PathPatterns, or name the rule in ShadowedRuleArns if that is intended",
            named.join(", ")
        )
    });
    Check::new(what, problem)
}

/// The checklist line for the test listener rule (`routing`) at `priority` (`None`: no
/// priority below the listener rule's `below` is free), with the rules it would take traffic
/// from.
pub fn test_check(
    routing: &Routing,
    shadowed: &[&Listed],
    (priority, below): (Option<u32>, u32),
) -> Check {
    let Some(priority) = priority else {
        let problem = format!(
            "the test listener rule ({routing}) is evaluated before the listener rule, and no \
             priority below the listener rule's ({below}) is free: give a higher RulePriority"
        );
        return Check::new(
            "a priority below the listener rule's is free",
            Some(problem),
        );
    };
    let what = format!(
        "the test listener rule ({routing}) at priority {priority} takes no other owner's \
         requests"
    );
    let named = named(shadowed);
    let problem = (!named.is_empty()).then(|| {
        format!(
            "at priority {priority} the test listener rule ({routing}) would match first for \
             requests that another owner's listener rule matches, and take its traffic: {}; \
             give narrower TestHostHeaders/TestPathPatterns, or name the rule in \
             ShadowedRuleArns if that is intended",
            named.join(", ")
        )
    });
    Check::new(what, problem)
}

/// Each of `shadowed` as a Reason names it: `<arn> (priority <n>)`.
fn named(shadowed: &[&Listed]) -> Vec<String> {
    let name = |r: &&Listed| format!("{} (priority {})", r.arn, r.priority);
    shadowed.iter().map(name).collect()
}

/// Before an in-place Update makes the test listener rule, changes its conditions or moves
/// the rule ahead of it: the same refusal as preflight's ([`test_check`]) for the test rule
/// (`test`, the set's as it is, if it has one) at its priority (the one it has while that is
/// below the rule's, `RulePriority` or `production`'s, else the free one nearest below),
/// before any write ([`Error::Preflight`]).
pub async fn test_in_place(
    c: &Clients,
    d: &Deployment,
    new: &Spec,
    (production, test): (&ListenerRule, Option<&ListenerRule>),
) -> Result<()> {
    let Some(routing) = new.test_routing() else {
        return Ok(());
    };
    let listed = listener_rule::listed(&c.elb, &new.listener_arn).await?;
    let listed = listed.unwrap_or_default();
    let current = production.priority.parse().unwrap_or_default();
    let below = new.rule_priority.unwrap_or(current);
    let taken: Vec<u32> = listed.iter().map(|r| r.priority).collect();
    let current = test.map(|t| (t.priority.parse().unwrap_or_default(), t));
    // It stays where it is while that is below the rule; else it moves just below.
    let kept = current.map(|(p, _)| p).filter(|p| *p < below);
    let priority = kept.or_else(|| super::priority::free_below(below, &taken));
    let near = neighbours(c, d, &listed, &routing).await?;
    let conditions = current.map(|(p, t)| (p, t.routing.conditions()));
    let own = conditions.as_ref().map(|(p, c)| (*p, &c[..]));
    let shadowed = priority.map_or(Vec::new(), |p| shadowed(new, &near, p, own));
    match test_check(&routing, &shadowed, (priority, below)).problem {
        Some(problem) => Err(Error::Preflight {
            problems: vec![problem],
        }),
        None => Ok(()),
    }
}

/// Before an in-place Update changes the conditions or the priority of `rule` (this set's, as
/// it is): the same refusal as preflight's, before any write ([`Error::Preflight`]).
pub async fn in_place(c: &Clients, d: &Deployment, new: &Spec, rule: &ListenerRule) -> Result<()> {
    let listed = listener_rule::listed(&c.elb, &new.listener_arn).await?;
    let near = neighbours(c, d, &listed.unwrap_or_default(), &new.routing()).await?;
    let current = rule.priority.parse().unwrap_or_default();
    let conditions = rule.routing.conditions();
    let own = rule.routed.then_some((current, &conditions[..]));
    let priority = new.rule_priority.unwrap_or(current);
    let shadowed = shadowed(new, &near, priority, own);
    match check(new, &shadowed, priority).problem {
        Some(problem) => Err(Error::Preflight {
            problems: vec![problem],
        }),
        None => Ok(()),
    }
}
