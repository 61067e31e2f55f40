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
    let mut read = Listener::read(c, d, listener, below).await?;
    let rule = match one(c, std::mem::take(&mut read.own)).await? {
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
                    None => {
                        create(c, d, (listener, &routing), production, (read.clone(), tags)).await
                    }
                }
            })
            .await?
        }
    };
    let rule = keep_below(c, rule, &read).await?;
    let groups: Vec<&str> = production
        .target_group_arns
        .iter()
        .map(String::as_str)
        .collect();
    Ok(Some(listener_rule::join_all(&c.elb, rule, &groups).await?))
}

/// The listener as the test rule's place needs it, from one reading (DescribeRules and the
/// rules' tags): the set's own test rules, the priority a test rule must be below, and the
/// priorities taken.
#[derive(Clone)]
struct Listener {
    /// Its ARN.
    arn: String,
    /// The set's own test rules.
    own: Vec<ListenerRule>,
    /// `below` (the production rule's priority), or the priority of the first test rule of
    /// another set of this stack resource if that is lower: a replacement's test rule must
    /// match before the old set's (ALB evaluates the lowest number first), whichever
    /// priorities earlier replacements left.
    below: u32,
    /// Every rule's priority.
    taken: Vec<u32>,
}

impl Listener {
    async fn read(c: &Clients, d: &Deployment, arn: &str, below: u32) -> Result<Listener> {
        let rules = listener_rule::find_all(&c.elb, arn).await?;
        let priority = |r: &ListenerRule| r.priority.parse::<u32>().ok();
        let taken = rules.iter().filter_map(priority).collect();
        let tests = rules
            .into_iter()
            .filter(|r| listener_rule::is_test(&r.tags));
        let (own, others): (Vec<_>, Vec<_>) = tests.partition(|r| d.owns(&r.tags));
        let siblings = others.iter().filter(|r| d.sibling_owns(&r.tags));
        let first = siblings.filter_map(priority).min();
        Ok(Listener {
            arn: arn.to_string(),
            own,
            below: first.map_or(below, |p| p.min(below)),
            taken,
        })
    }

    /// The free priority nearest below [`Listener::below`]. Errors: [`Error::GaveUp`] when
    /// none is (preflight found one: others took them since).
    fn free_below(&self) -> Result<u32> {
        priority::free_below(self.below, &self.taken).ok_or_else(|| Error::GaveUp {
            doing: format!(
                "finding a free priority below {} on listener ({})",
                self.below, self.arn
            ),
            after: format!("{} rules", self.taken.len()),
        })
    }
}

/// `rule` at a priority below the listener's `below`: where it is if it is, else moved to the
/// free one nearest below. Errors: [`Error::GaveUp`] when none is free.
async fn keep_below(c: &Clients, rule: ListenerRule, listener: &Listener) -> Result<ListenerRule> {
    if rule
        .priority
        .parse::<u32>()
        .is_ok_and(|p| p < listener.below)
    {
        return Ok(rule);
    }
    let at = listener.free_below()?;
    listener_rule::set_priority(&c.elb, &rule, at).await?;
    let priority = at.to_string();
    Ok(ListenerRule { priority, ..rule })
}

/// Creates the test rule at the free priority nearest below the listener's `below` (as `read`
/// shows it, then as read again), probing on while concurrent stacks take priorities
/// (`PriorityInUse`, at most [`priority::ATTEMPTS`] tries); then keeps one test rule of ours
/// ([`one`]: a concurrent attempt may have made another). Errors: [`Error::GaveUp`] when no
/// priority below is free.
async fn create(
    c: &Clients,
    d: &Deployment,
    (listener, routing): (&str, &Routing),
    production: &ListenerRule,
    (read, tags): (Listener, &Tags),
) -> Result<ListenerRule> {
    let mut read = read;
    let mut attempt = 1;
    loop {
        let at = read.free_below()?;
        let made = listener_rule::create_test(&c.elb, (listener, at), routing, production, tags);
        match made.await {
            Err(err) if is_priority_in_use(&err) && attempt < priority::ATTEMPTS => {
                tracing::warn!(priority = at, error = %err, "priority taken meanwhile: probing on");
            }
            Ok(made) => {
                let mut all = Listener::read(c, d, listener, read.below).await?.own;
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
        read = Listener::read(c, d, listener, read.below).await?;
        attempt += 1;
    }
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
