//! A native strategy's test listener rule over its life: made (or adopted) at the free
//! priority nearest below the production rule's, kept below it (moved when `RulePriority`
//! moves the production rule), its conditions kept to `TestHostHeaders` / `TestPathPatterns`,
//! and deleted once the service is steady without it. Preflight (Create, replacement) and an
//! in-place Update have checked before any write that it takes no other owner's requests
//! (`preflight::shadowing::test_check`). Its forward is ECS's: prod-e sets it when it creates
//! the rule (as the production rule forwards then) and adds a group of the set it lacks.

use crate::aws::Clients;
use crate::error::{is_priority_in_use, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::preflight::priority;
use crate::progress::step;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::resources::Tagged;
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// The set's test rule as `spec` asks for it (`None` without a test route): the one it has,
/// given `spec`'s conditions if they changed and moved below the production rule if it is
/// not (the production rule's priority being `RulePriority` if given, else `production`'s),
/// else one made now forwarding as `production` does; either way with every group
/// `production` forwards to (a missing one at weight 0: ECS moves the test rule's weights as
/// the production rule's, and a rule made before the set took its strategy lacks the
/// alternate group).
pub(super) async fn ensure(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    production: &ListenerRule,
    tags: &Tags,
) -> Result<Option<ListenerRule>> {
    let Some(routing) = spec.test_routing() else {
        return Ok(None);
    };
    let listener = spec.listener_arn.as_str();
    let below = (spec.rule_priority).unwrap_or(production.priority.parse().unwrap_or(0));
    let (_, found) = listener_rule::find_both(&c.elb, listener, d).await?;
    let rule = match one(c, found).await? {
        Some(rule) if rule.routing == routing => rule,
        found => {
            let doing =
                format!("putting the test listener rule ({routing}) on listener ({listener})");
            step(doing, async {
                match found {
                    Some(rule) => {
                        listener_rule::set_routing(&c.elb, &rule, &routing).await?;
                        let routing = routing.clone();
                        Ok(ListenerRule { routing, ..rule })
                    }
                    None => create(c, d, (listener, &routing, below), production, tags).await,
                }
            })
            .await?
        }
    };
    let rule = keep_below(c, listener, rule, below).await?;
    let groups: Vec<&str> = production
        .target_group_arns
        .iter()
        .map(String::as_str)
        .collect();
    Ok(Some(listener_rule::join_all(&c.elb, rule, &groups).await?))
}

/// `rule` at a priority below `below`: where it is if it is, else moved to the free one
/// nearest below. Errors: [`Error::GaveUp`] when none is free.
async fn keep_below(
    c: &Clients,
    listener: &str,
    rule: ListenerRule,
    below: u32,
) -> Result<ListenerRule> {
    if rule.priority.parse::<u32>().is_ok_and(|p| p < below) {
        return Ok(rule);
    }
    let at = free_below(c, listener, below).await?;
    listener_rule::set_priority(&c.elb, &rule, at).await?;
    let priority = at.to_string();
    Ok(ListenerRule { priority, ..rule })
}

/// The free priority nearest below `below` on `listener`, read now. Errors:
/// [`Error::GaveUp`] when none is (preflight found one: others took them since).
async fn free_below(c: &Clients, listener: &str, below: u32) -> Result<u32> {
    let listed = listener_rule::listed(&c.elb, listener).await?;
    let taken: Vec<u32> = listed
        .unwrap_or_default()
        .iter()
        .map(|r| r.priority)
        .collect();
    listener_rule::priority_below(below, &taken).ok_or_else(|| Error::GaveUp {
        doing: format!("finding a free priority below {below} on listener ({listener})"),
        after: format!("{} rules", taken.len()),
    })
}

/// Creates the test rule at the free priority nearest below `below` and below every test
/// rule of another set of this stack resource ([`ahead_of_siblings`]), probing on while
/// concurrent stacks take priorities (`PriorityInUse`, at most [`priority::ATTEMPTS`]
/// reads); then keeps one test rule of ours ([`one`]: a concurrent attempt may have made
/// another). Errors: [`Error::GaveUp`] when no priority below `below` is free.
async fn create(
    c: &Clients,
    d: &Deployment,
    (listener, routing, below): (&str, &Routing, u32),
    production: &ListenerRule,
    tags: &Tags,
) -> Result<ListenerRule> {
    let below = ahead_of_siblings(c, d, listener, below).await?;
    let mut attempt = 1;
    loop {
        let at = free_below(c, listener, below).await?;
        let made = listener_rule::create_test(&c.elb, (listener, at), routing, production, tags);
        match made.await {
            Err(err) if is_priority_in_use(&err) && attempt < priority::ATTEMPTS => {
                tracing::warn!(priority = at, error = %err, "priority taken meanwhile: probing on");
            }
            Ok(made) => {
                let (_, mut all) = listener_rule::find_both(&c.elb, listener, d).await?;
                if !all.iter().any(|r| r.arn == made.arn) {
                    all.push(made); // not readable yet: still ours
                }
                let kept = one(c, all).await?;
                return kept.ok_or_else(|| Error::Missing {
                    kind: ListenerRule::KIND,
                    name: format!("test rule on {listener}"),
                });
            }
            Err(err) => return Err(err),
        }
        attempt += 1;
    }
}

/// `below`, or the priority of the first test rule of another set of this stack resource if
/// that is lower: a replacement's test rule must match before the old set's (ALB evaluates the
/// lowest number first), whichever priorities earlier replacements left.
async fn ahead_of_siblings(c: &Clients, d: &Deployment, listener: &str, below: u32) -> Result<u32> {
    let rules = listener_rule::find_all(&c.elb, listener).await?;
    let siblings = rules
        .iter()
        .filter(|r| d.sibling_owns(&r.tags) && listener_rule::is_test(&r.tags));
    let first = siblings
        .filter_map(|r| r.priority.parse::<u32>().ok())
        .min();
    Ok(first.map_or(below, |p| p.min(below)))
}

/// Of the set's test rules `found`: the one every attempt keeps, the nearest the production
/// rule (the highest priority), the others deleted (attempts at once, a crash between them), so
/// that one rule is named and the Delete's target groups are left forwarded to by none.
async fn one(c: &Clients, found: Vec<ListenerRule>) -> Result<Option<ListenerRule>> {
    let mut found = found;
    found.sort_by_key(|r| std::cmp::Reverse(r.priority.parse::<u32>().unwrap_or(0)));
    let mut rules = found.into_iter();
    let kept = rules.next();
    for stray in rules {
        let deleting = format!("deleting a second test listener rule ({})", stray.arn);
        step(deleting, listener_rule::delete(&c.elb, &stray)).await?;
    }
    Ok(kept)
}

/// Deletes the set's test rules `found` when `spec` has no test route and the service is
/// steady without it (`WaitForSteadyState`: until then a rollback may name it again; without
/// the wait, the next Update or the Delete removes it).
pub(super) async fn retire(c: &Clients, spec: &Spec, found: &[ListenerRule]) -> Result<()> {
    if spec.test_routing().is_some() || !spec.wait_for_steady_state {
        return Ok(());
    }
    for rule in found {
        let deleting = format!("deleting the test listener rule ({})", rule.arn);
        step(deleting, listener_rule::delete(&c.elb, rule)).await?;
    }
    Ok(())
}
