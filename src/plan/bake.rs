//! A replacement's bake: once its one ModifyRule has moved the traffic to the new set, the set
//! it replaces stays ready for `BakeTimeInMinutes` while the new set's deployment alarms (the
//! gate) are watched; one going into ALARM puts the rule back as it was, in one ModifyRule,
//! and fails the replacement naming it. ECS bakes its own blue/green deployments the same way
//! (ECS Developer Guide, "Amazon ECS blue/green service deployments workflow": "both blue and
//! green service revisions are running simultaneously after the production traffic has
//! shifted", a rollback moving the traffic back) for the changes it can make in place.
//!
//! The bake runs inside the invocation that moves the traffic, which alone knows the forward
//! to put back: at most [`crate::spec::strategy::MAX_REPLACEMENT_BAKE_MINUTES`], and no longer
//! than what is left of the invocation and of `ServiceTimeout` (shortened, with a warning in
//! the log, when less is left). A continued replacement whose rule is already this set's (its
//! bake passed) or forwards to this set's groups alone does not bake again.

use std::time::{Duration, Instant};

use super::alarms;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::alarm;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::retry::scaled;
use crate::spec::strategy::replacement_bake_minutes;
use crate::spec::Spec;
use crate::wait::{time_left, wait, WAIT_INTERVAL};

/// Where the replacement of `d` bakes: its rule as it was before the traffic moved (the old
/// set's forwards, this set's groups at weight 0), and this set's groups.
pub(super) struct Baking<'a> {
    pub before: &'a ListenerRule,
    pub ours: [&'a str; 2],
}

impl Baking<'_> {
    /// `before` without this set's groups: what a failed bake puts back (none to put back: no
    /// bake).
    fn back(&self) -> ListenerRule {
        self.before.without(&self.ours)
    }
}

/// The minutes the replacement of `d` bakes here: none once the rule is the set's (its bake
/// passed) or holds no other set's group.
fn minutes(d: &Deployment, spec: &Spec, baking: &Baking<'_>) -> u32 {
    let gated = !spec.deployment_alarms.is_empty();
    let nothing_back = baking.back().target_group_arns.is_empty();
    match d.owns(&baking.before.tags) || nothing_back {
        true => 0,
        false => replacement_bake_minutes(spec.bake_time_in_minutes, gated),
    }
}

/// Bakes the set of `d` after its rule moved; on a deployment alarm in ALARM, puts the rule
/// back as it was (conditions, forwards and priority). Errors: [`Error::BakeFailed`] naming
/// the alarm.
pub(super) async fn bake(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    baking: &Baking<'_>,
) -> Result<()> {
    let minutes = minutes(d, spec, baking);
    if minutes == 0 {
        return Ok(());
    }
    let watched = alarms::for_ecs(d, spec).deployment_alarms;
    let asked = scaled(Duration::from_secs(u64::from(minutes) * 60));
    let room = time_left().saturating_sub(scaled(WAIT_INTERVAL));
    if room < asked {
        tracing::warn!(
            ?asked,
            ?room,
            "the replacement's bake shortened to the time left"
        );
    }
    let until = Instant::now() + asked.min(room);
    let baking_text = format!(
        "the replacement's bake ({minutes} min), watching {}",
        watched.join(", ")
    );
    let tripped = step(&baking_text, async {
        wait(&baking_text, || async {
            let states = alarm::states(&c.cloudwatch, &watched).await?;
            if let Some((name, _)) = states.into_iter().find(|(_, s)| s == "ALARM") {
                return Ok(Some(Some(name)));
            }
            Ok((Instant::now() >= until).then_some(None))
        })
        .await
    })
    .await?;
    let Some(alarm) = tripped else {
        return Ok(());
    };
    let back = baking.back();
    let moving = format!("moving the traffic back: {alarm} went into ALARM");
    step(moving, async {
        listener_rule::put_back(&c.elb, &back).await?;
        match spec.rule_priority.map(|p| p.to_string()) {
            Some(p) if p != back.priority => {
                let at = back.priority.parse().unwrap_or_default();
                listener_rule::set_priority(&c.elb, &back, at).await
            }
            _ => Ok(()),
        }
    })
    .await?;
    Err(Error::BakeFailed { alarm })
}
