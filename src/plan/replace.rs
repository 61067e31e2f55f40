//! Replacement: a complete new set beside the old one, steady before traffic moves to it;
//! and its undoing, when CloudFormation rolls a failed replacement back.

use super::commit::commit;
use super::create::{check, prepare, remove_unless_pending};
use super::set::{Built, Start};
use super::watch::{still_awaited, Awaited};
use super::{delete, CreateFailed, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::preflight;
use crate::progress::step;
use crate::resources::service;
use crate::spec::{Locator, Spec};

/// Builds the set of `owner` for `spec` beside the set it replaces, which keeps serving;
/// waits until the new service is steady (always: zero downtime is the point), then moves the
/// listener rule, and a shared cluster, to the new set. The old set is left for
/// CloudFormation's Delete of the old PhysicalResourceId. If building fails, what the new
/// set made is removed again and the old set was never touched. With `AutoScaling`, the new
/// service starts at the count the old set's service (`from`, found at `at`) runs now.
/// CloudFormation is asked whether it still waits (see [`super::create()`]): a replacement it
/// rolls back removes the new set and never moves traffic.
///
/// `rolling_back`: this is CloudFormation's rollback of a replacement that succeeded, back to
/// the original set, which still exists ([`Awaited::RollBack`]): it is adopted and given the
/// traffic back the same way, and never removed if the rollback fails.
pub async fn replace(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (from, at): (&Deployment, &Locator),
    (continued, rolling_back): (bool, bool),
) -> Result<Outputs, CreateFailed> {
    let current = from.physical_id().to_string();
    let awaited = match rolling_back {
        true => Awaited::RollBack { current },
        false => Awaited::Replace { current },
    };
    // Boxed, like every operation's top future: deep, and debug builds keep them on the stack.
    let building = async {
        if continued {
            still_awaited(c, owner, &awaited).await?;
        }
        // A rollback puts back the original set, which exists: no check may block it.
        let (priority, rule) = match rolling_back {
            true => (unchecked_priority(owner, spec), None),
            false => check(c, owner, spec).await?,
        };
        let running = match spec.auto_scaling {
            Some(_) => current_count(c, from, at).await?,
            None => None,
        };
        let start = Start {
            priority,
            rule,
            running,
            fresh: false,
            from: Some(from.clone()),
        };
        let built = Box::pin(prepare(c, owner, spec, start, true)).await?;
        still_awaited(c, owner, &awaited).await?;
        Ok(built)
    };
    let built = match building.await {
        Ok(built) => built,
        Err(error) if rolling_back => {
            return Err(CreateFailed {
                error,
                rollback_error: None,
            })
        }
        Err(error) => return Err(remove_unless_pending(c, owner, spec, error).await),
    };
    Box::pin(route_new(c, owner, spec, built, rolling_back)).await
}

/// The last step of [`replace`]: the built set's checks, its traffic and its bake (none of
/// them for `rolling_back`).
async fn route_new(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    built: Built,
    rolling_back: bool,
) -> Result<Outputs, CreateFailed> {
    // A rollback back to the original set neither checks nor bakes: it puts back what was.
    let routed = Box::pin(commit(
        c,
        owner,
        spec,
        built,
        (!rolling_back, !rolling_back),
    ));
    match routed.await {
        // Traffic moved back (the bake) or never moved (the checks): the new set goes.
        Err(error @ (Error::BakeFailed { .. } | Error::OneOffFailed { .. })) => {
            Err(remove_unless_pending(c, owner, spec, error).await)
        }
        other => other.map_err(|error| CreateFailed {
            error,
            rollback_error: None,
        }),
    }
}

/// CloudFormation's rollback Update after a failed replacement: the original set of `owner`
/// is made whole and given back whatever the half-built set `half_built` (found at `at`)
/// had taken over, then the half-built set is removed. A continued invocation first asks
/// CloudFormation whether it still waits (it does while it holds the original set).
pub async fn restore(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (half_built, at): (&Deployment, &Locator),
    continued: bool,
) -> Result<Outputs> {
    if continued {
        still_awaited(c, owner, &Awaited::Restore).await?;
    }
    // No preflight: a rollback must not be blocked by a check.
    let priority = unchecked_priority(owner, spec);
    let wait = spec.wait_for_steady_state;
    let start = Start {
        priority,
        rule: None,
        running: None,
        fresh: false,
        // A half-built set may have taken the group and the role over before it failed.
        from: Some(half_built.clone()),
    };
    let built = Box::pin(prepare(c, owner, spec, start, wait)).await?;
    let outputs = Box::pin(commit(c, owner, spec, built, (false, false))).await?;
    Box::pin(delete(c, half_built, at)).await?;
    Ok(outputs)
}

/// The priority of a rule made without preflight (a rollback's): the original set's rule
/// exists; were it gone, it is made again at `RulePriority` or the one the stack resource
/// derives.
fn unchecked_priority(owner: &Owner, spec: &Spec) -> u32 {
    spec.rule_priority
        .unwrap_or_else(|| preflight::priority::derived(&owner.deployment))
}

/// The desired count of the service of set `from` (found at `at`), if it has one.
async fn current_count(c: &Clients, from: &Deployment, at: &Locator) -> Result<Option<u32>> {
    let names = from.service_names(&at.service_name);
    let found = step(
        format!(
            "reading the task count of ECS service ({})",
            at.service_name
        ),
        service::find_named(&c.ecs, &at.cluster_name, &names),
    )
    .await?;
    let ours = found.into_iter().find(|s| from.owns(&s.tags));
    Ok(ours.map(|s| s.desired_count.max(0) as u32))
}
