//! A native strategy's test listener rule over its life: made (or adopted) at the free
//! priority nearest below the production rule's, its conditions kept to `TestHostHeaders` /
//! `TestPathPatterns`, and deleted once the service no longer names it. Preflight (Create,
//! replacement) and an in-place Update have checked before any write that it takes no other
//! owner's requests (`preflight::shadowing::test_check`). Its forward is ECS's: prod-e sets
//! it only when it creates the rule (as the production rule forwards then).

use crate::aws::Clients;
use crate::error::{is_priority_in_use, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::preflight::priority;
use crate::progress::step;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// The set's test rule as `spec` asks for it (`None` without a test route): the one it has,
/// given `spec`'s conditions if they changed, else one made now forwarding as `production`
/// does; either way with every group `production` forwards to (a missing one at weight 0: ECS
/// moves the test rule's weights as the production rule's, and a rule made before the set
/// took its strategy lacks the alternate group).
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
    let listener = &spec.listener_arn;
    let (_, found) = listener_rule::find_both(&c.elb, listener, d).await?;
    let rule = match found {
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
                    None => create(c, d, (listener, &routing), production, tags).await,
                }
            })
            .await?
        }
    };
    let groups: Vec<&str> = production
        .target_group_arns
        .iter()
        .map(String::as_str)
        .collect();
    Ok(Some(listener_rule::join_all(&c.elb, rule, &groups).await?))
}

/// Creates the test rule at the free priority nearest below `production`'s, probing on while
/// concurrent stacks take priorities (`PriorityInUse`, at most [`priority::ATTEMPTS`]
/// reads); a test rule of ours made meanwhile (a concurrent attempt) is adopted. Errors:
/// [`Error::GaveUp`] when no priority below the production rule's is free (preflight found
/// one: others took them since).
async fn create(
    c: &Clients,
    d: &Deployment,
    (listener, routing): (&str, &Routing),
    production: &ListenerRule,
    tags: &Tags,
) -> Result<ListenerRule> {
    let below = production.priority.parse().unwrap_or(0);
    let mut attempt = 1;
    loop {
        let listed = listener_rule::listed(&c.elb, listener).await?;
        let taken: Vec<u32> = listed
            .unwrap_or_default()
            .iter()
            .map(|r| r.priority)
            .collect();
        let Some(at) = listener_rule::priority_below(below, &taken) else {
            return Err(Error::GaveUp {
                doing: format!("finding a free priority below {below} on listener ({listener})"),
                after: format!("{} rules", taken.len()),
            });
        };
        let made = listener_rule::create_test(&c.elb, (listener, at), routing, production, tags);
        match made.await {
            Err(err) if is_priority_in_use(&err) && attempt < priority::ATTEMPTS => {
                tracing::warn!(priority = at, error = %err, "priority taken meanwhile: probing on");
                if let (_, Some(ours)) = listener_rule::find_both(&c.elb, listener, d).await? {
                    return Ok(ours);
                }
            }
            other => return other,
        }
        attempt += 1;
    }
}

/// Deletes the set's test rule when `spec` has no test route (the service, updated, no longer
/// names it); nothing when it has one or the set has none.
pub(super) async fn retire(c: &Clients, d: &Deployment, spec: &Spec) -> Result<()> {
    if spec.test_routing().is_some() {
        return Ok(());
    }
    let (_, found) = listener_rule::find_both(&c.elb, &spec.listener_arn, d).await?;
    let Some(rule) = found else {
        return Ok(());
    };
    step(
        format!("deleting the test listener rule ({})", rule.arn),
        listener_rule::delete(&c.elb, &rule),
    )
    .await
}
