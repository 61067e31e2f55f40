//! A replacement's bake: once its one ModifyRule has moved the traffic to the new set, the set
//! it replaces stays ready for `BakeTimeInMinutes` while the new set's deployment alarms (the
//! gate) are watched; one going into ALARM puts the rule back as it was, in one ModifyRule,
//! and fails the replacement naming it. ECS bakes its own blue/green deployments the same way
//! (ECS Developer Guide, "Amazon ECS blue/green service deployments workflow": "both blue and
//! green service revisions are running simultaneously after the production traffic has
//! shifted", a rollback moving the traffic back) for the changes it can make in place.
//!
//! A bake cut short by the invocation's hand-over time is not resumed: the continued
//! replacement finds the rule moved already, with nothing to put back, and goes on (a bake of
//! the default 3 minutes ends well inside one invocation).

use std::time::{Duration, Instant};

use super::alarms;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::alarm;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::retry::scaled;
use crate::spec::Spec;
use crate::wait::wait;

/// Bakes the set of `d` after its rule moved from `before` (the rule as it was, the old
/// set's forwards and the new group at weight 0); on a deployment alarm in ALARM, puts
/// `before` back without the new group. Errors: [`Error::BakeFailed`] naming the alarm,
/// [`Error::Pending`] at the invocation's hand-over time.
pub(super) async fn bake(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    before: &ListenerRule,
    new_group: &str,
) -> Result<()> {
    let watched = alarms::for_ecs(d, spec).deployment_alarms;
    let minutes = spec.bake_time_in_minutes;
    let kept = before
        .target_group_arns
        .iter()
        .cloned()
        .zip(before.weights.iter().copied());
    let (arns, weights): (Vec<String>, Vec<i32>) = kept.filter(|(arn, _)| arn != new_group).unzip();
    if watched.is_empty() || minutes == 0 || arns.is_empty() {
        return Ok(());
    }
    let until = Instant::now() + scaled(Duration::from_secs(u64::from(minutes) * 60));
    let baking = format!(
        "the replacement's bake ({minutes} min), watching {}",
        watched.join(", ")
    );
    let tripped = step(&baking, async {
        wait(&baking, || async {
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
    let back = ListenerRule {
        target_group_arns: arns,
        weights,
        ..before.clone()
    };
    step(
        format!("moving the traffic back: {alarm} went into ALARM"),
        listener_rule::put_back(&c.elb, &back),
    )
    .await?;
    Err(Error::BakeFailed { alarm })
}
