//! The target group and the listener rule that associates it with the load balancer before
//! the service exists (AWS requires it) while sending it no traffic; and, when `RulePriority`
//! is not given, the rule's creation at a free priority, probing past priorities that
//! concurrent stacks take.

use super::adopt::create_or_adopt;
use super::set::Start;
use crate::aws::Clients;
use crate::error::{is_priority_in_use, AllOk, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::preflight::priority;
use crate::progress::step;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::resources::target_group::{self, TargetGroup};
use crate::resources::{tags, Tagged};
use crate::retry::{poll_until, NEW_RESOURCE_VISIBLE};
use crate::spec::Spec;

/// The target group, associated with the listener through a rule that sends it no traffic
/// yet: a new rule that matches no request, or (in a replacement) the old set's rule with
/// the new group at weight 0. `start` gives the priority a new rule gets, the stack resource's
/// rule if preflight found it, and whether the set is `fresh` (a Create: the rule is created
/// without reading the listener again; see [`without_strays`]).
pub(super) async fn traffic(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    start: &Start,
    tags: &Tags,
) -> Result<(TargetGroup, ListenerRule)> {
    let tg_name = d.target_group();
    let tg = step(format!("creating target group ({tg_name})"), async {
        let find = || target_group::find(&c.elb, &tg_name);
        let create = || target_group::create(&c.elb, &tg_name, spec, tags);
        create_or_adopt(d, find, create).await
    })
    .await?;
    let listener = &spec.listener_arn;
    let associate = async {
        let find = || listener_rule::find(&c.elb, listener, d);
        let found = match (&start.rule, start.fresh) {
            (Some(rule), _) => Some(rule.clone()),
            (None, true) => None,
            (None, false) => find().await?,
        };
        match found {
            Some(rule) if rule.target_group_arns.contains(&tg.arn) => Ok(rule),
            Some(rule) => listener_rule::join(&c.elb, &rule, &tg.arn).await,
            None if spec.rule_priority.is_some() => {
                let arn = &tg.arn;
                let create =
                    || listener_rule::create_unrouted(&c.elb, listener, start.priority, arn, tags);
                create_or_adopt(d, find, create).await
            }
            None => create_at_free_priority(c, d, listener, start.priority, &tg.arn, tags).await,
        }
    };
    let (rule, ()) = tokio::join!(
        step(
            format!("associating target group ({tg_name}) with listener ({listener})"),
            associate,
        ),
        settle(c, d, spec, &tg, tags),
    )
    .all_ok()?;
    Ok((tg, rule))
}

/// What a target group CreateTargetGroup answered with still needs, at once: its attributes
/// but sticky sessions, and the check that it is ours ([`surely_ours`]). A new group may share
/// the forward of the rule it joins with another (a replacement's); ELBv2 takes target-group
/// stickiness there only with group stickiness in the rule (ALB User Guide, "Edit target group
/// attributes": "If you have a forward action with multiple target groups, and sticky sessions
/// are enabled for one or more of the target groups, you must enable stickiness at the target
/// group level"), so `Stickiness` is turned on once the rule forwards to the group alone
/// (`commit`).
pub(super) async fn settle(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    tg: &TargetGroup,
    tags: &Tags,
) -> Result<()> {
    let unsticky = Spec {
        stickiness: None,
        ..spec.clone()
    };
    tokio::join!(
        target_group::set_attributes(&c.elb, tg, &unsticky),
        surely_ours(c, d, tg, tags),
    )
    .all_ok()
    .map(|_| ())
}

/// Whether the target group CreateTargetGroup answered with is ours. moto answers an existing
/// name with `DuplicateTargetGroupName` (then it was read and claimed already); AWS returns the
/// existing group when its settings are the same ("If you attempt to create multiple target
/// groups with the same settings, each call succeeds", ELBv2 API reference,
/// CreateTargetGroup), so its tags are read, beside the rule's creation, to know whose it is.
pub(super) async fn surely_ours(
    c: &Clients,
    d: &Deployment,
    tg: &TargetGroup,
    tags: &Tags,
) -> Result<()> {
    if tg.tags != *tags {
        return Ok(());
    }
    let doing = format!("reading tags of target group ({})", tg.name);
    // No tags at all: a group just created may not show them yet (read after write).
    let read = poll_until(NEW_RESOURCE_VISIBLE, &doing, || async {
        let mut found = tags::elbv2::by_arn(&c.elb, std::slice::from_ref(&tg.arn), &doing).await?;
        Ok(found.remove(&tg.arn).filter(|t| !t.is_empty()))
    })
    .await;
    match read {
        Ok(read) if d.owns(&read) => Ok(()),
        Ok(_) | Err(Error::GaveUp { .. }) => Err(Error::NotOurs {
            kind: TargetGroup::KIND,
            name: tg.name.clone(),
        }),
        Err(other) => Err(other),
    }
}

/// After a Create made its rule (`made`) without reading the listener: another rule of ours
/// stands there only if an earlier attempt put one at a priority taken then and free now, or
/// a concurrent attempt made one. A routed rule of ours is the live one (a late re-delivery
/// of a Create that succeeded): it is kept and `made` deleted. Of unrouted rules, every
/// attempt keeps the same one (the lowest priority) and deletes the others, so that one rule
/// forwards to the set's target group. Returns the rule to use.
pub(super) async fn without_strays(
    c: &Clients,
    d: &Deployment,
    listener: &str,
    made: ListenerRule,
) -> Result<ListenerRule> {
    let mut ours: Vec<ListenerRule> = listener_rule::find_all(&c.elb, listener)
        .await?
        .into_iter()
        .filter(|r| d.owns(&r.tags) && !listener_rule::is_test(&r.tags))
        .collect();
    if !ours.iter().any(|r| r.arn == made.arn) {
        ours.push(made); // not readable yet: still ours
    }
    let rank = |r: &ListenerRule| (!r.routed, r.priority.parse::<u32>().unwrap_or(u32::MAX));
    ours.sort_by_key(rank);
    let mut rules = ours.into_iter();
    let Some(kept) = rules.next() else {
        return Err(Error::Missing {
            kind: ListenerRule::KIND,
            name: format!("on {listener}"),
        });
    };
    for stray in rules {
        step(
            format!("deleting a stray listener rule ({})", stray.arn),
            listener_rule::delete(&c.elb, &stray),
        )
        .await?;
    }
    Ok(kept)
}

/// Creates the rule at `start`, or, when a concurrent stack took that priority since
/// preflight read the listener (`PriorityInUse`), at the next free one; a rule of ours made
/// meanwhile (a concurrent attempt of this deployment) is adopted. At most
/// [`priority::ATTEMPTS`] priorities are tried.
async fn create_at_free_priority(
    c: &Clients,
    d: &Deployment,
    listener: &str,
    start: u32,
    target_group_arn: &str,
    tags: &Tags,
) -> Result<ListenerRule> {
    let mut at = start;
    let mut attempt = 1;
    loop {
        let created =
            listener_rule::create_unrouted(&c.elb, listener, at, target_group_arn, tags).await;
        let err = match created {
            Err(err) if is_priority_in_use(&err) && attempt < priority::ATTEMPTS => err,
            other => return other,
        };
        let rules = listener_rule::find_all(&c.elb, listener).await?;
        let production = |r: &&ListenerRule| d.owns(&r.tags) && !listener_rule::is_test(&r.tags);
        if let Some(ours) = rules.iter().find(production) {
            return Ok(ours.clone());
        }
        let taken: Vec<u32> = rules
            .iter()
            .filter_map(|r| r.priority.parse().ok())
            .collect();
        tracing::warn!(priority = at, error = %err, "priority taken meanwhile: probing on");
        at = priority::next_free(at, &taken).ok_or(err)?;
        attempt += 1;
    }
}
