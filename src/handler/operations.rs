//! What each CloudFormation request does, as an answer: the operation for the request type,
//! its PhysicalResourceId, and whether it is done, failed, or goes on in another invocation.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Outcome, Pending};
use crate::aws::Clients;
use crate::cfn::{Envelope, Operation, Request, Response};
use crate::continuation::Progress;
use crate::error::Error;
use crate::naming::Deployment;
use crate::plan::{self, CreateFailed, Outputs, Owner};
use crate::spec::{Diff, Locator, Spec};

/// The PhysicalResourceId when an operation is cut short (panic, deadline): the one
/// CloudFormation sent, or on Create the set's own id, since resources may exist and the
/// rollback Delete must find them.
pub(super) fn fallback_id(request: &Request) -> String {
    let e = &request.envelope;
    e.physical_id
        .clone()
        .unwrap_or_else(|| match Spec::parse(&request.properties) {
            Ok(spec) => Owner::new(&e.stack_id, &e.logical_id, &spec.fingerprint())
                .deployment
                .physical_id()
                .to_string(),
            Err(_) => Deployment::nothing_created(&e.request_id),
        })
}

/// Runs `request`; `progress` says whether an earlier invocation began it.
pub(super) async fn execute(clients: Clients, request: Request, progress: Progress) -> Outcome {
    tracing::info!(operation = request.kind(), "start");
    // Boxed: the operations' futures are large (create about 80 KB in a debug build), and
    // unboxed the test threads' 2 MiB stacks overflow while polling them.
    match &request.operation {
        Operation::Create => Box::pin(create(&clients, &request)).await,
        Operation::Update {
            physical_id,
            old_properties,
        } => {
            let old = (physical_id.as_str(), old_properties);
            Box::pin(update(&clients, &request, old, progress)).await
        }
        Operation::Delete { physical_id } => {
            Box::pin(delete(&clients, &request, physical_id)).await
        }
    }
}

/// `Continue` if `error` is nothing but waits that must go on in another invocation.
fn continue_if_pending(error: &Error, applied: bool, physical_id: &str) -> Option<Outcome> {
    error.pending().map(|waiting_for| {
        Outcome::Continue(Pending {
            waiting_for,
            applied,
            physical_id: physical_id.to_string(),
            rolling_back: false,
        })
    })
}

async fn create(clients: &Clients, request: &Request) -> Outcome {
    let e = &request.envelope;
    let spec = match Spec::parse(&request.properties) {
        Ok(spec) => spec,
        Err(invalid) => {
            let id = Deployment::nothing_created(&e.request_id);
            return Outcome::Answer(Response::failed(e, &id, invalid.to_string()));
        }
    };
    if let Err(over) = clients.caps.check(&spec) {
        let id = Deployment::nothing_created(&e.request_id);
        let reason = format!("{over}; nothing was created");
        return Outcome::Answer(Response::failed(e, &id, reason));
    }
    let owner = Owner::new(&e.stack_id, &e.logical_id, &spec.fingerprint()).serving(&e.request_id);
    let id = owner.deployment.physical_id();
    tracing::info!(physical_id = id, "creating");
    let failed = match plan::create(clients, &owner, &spec).await {
        Ok(outputs) => return Outcome::Answer(Response::success(e, id, data(&outputs))),
        Err(failed) => failed,
    };
    if let Some(next) = continue_if_pending(&failed.error, false, id) {
        return next;
    }
    Outcome::Answer(match failed {
        // Nothing was removed: the set's own id, so that CloudFormation's Delete removes what
        // an earlier invocation of this Create may have made (nothing, usually).
        CreateFailed {
            error,
            rollback_error: None,
        } if !plan::removes_what_it_made(&error) => Response::failed(e, id, error.to_string()),
        CreateFailed {
            error,
            rollback_error: None,
        } => Response::failed(
            e,
            &Deployment::nothing_created(&e.request_id),
            format!("{error} (everything created was removed again)"),
        ),
        CreateFailed {
            error,
            rollback_error: Some(rollback),
        } => Response::failed(
            e,
            id,
            format!(
                "{error}; removing what was created also failed ({rollback}); the rollback \
                 Delete will retry"
            ),
        ),
    })
}

async fn update(
    clients: &Clients,
    request: &Request,
    (physical_id, old): (&str, &Value),
    progress: Progress,
) -> Outcome {
    let e = &request.envelope;
    let accepted = accepted_update(clients, request, (physical_id, old), progress).await;
    let (current, (prior, new), rolling_back) = match accepted {
        Ok(accepted) => accepted,
        Err(refused) => return refused,
    };
    let (applied, continued) = (progress.applied, progress.is_continuation());
    let owner = Owner::new(&e.stack_id, &e.logical_id, &new.fingerprint()).serving(&e.request_id);
    if owner.deployment != current {
        if rolling_back && !progress.rolling_back {
            if let Err(refused) = rollback_of_a_replacement(clients, e, &owner, physical_id).await {
                return refused;
            }
        }
        let at = Locator::from_properties(old);
        let from = (&current, &at);
        let run = (continued, rolling_back);
        return replace(clients, request, from, (&owner, &new), run).await;
    }
    let (old, diff) = match prior {
        Some(old) if old.fingerprint() == new.fingerprint() => {
            let diff = old.diff(&new);
            (old, diff)
        }
        // The old properties describe another set: this is CloudFormation rolling back a
        // replacement that failed, and that set is the half-built one.
        Some(old) => {
            let half_built = Deployment::new(&e.stack_id, &e.logical_id, &old.fingerprint());
            tracing::info!(
                half_built = half_built.physical_id(),
                "rolling back a replacement"
            );
            let at = Locator::from(&old);
            let restored = plan::restore(clients, &owner, &new, (&half_built, &at), continued);
            let restored = Box::pin(restored).await;
            return answer(e, physical_id, restored.map(|o| data(&o)), false);
        }
        // Old properties that no longer validate (e.g. the failed Update being rolled back):
        // re-apply every in-place property, which converges whatever state the resources are in.
        None => (new.clone(), Diff::all_in_place()),
    };
    let diff = match applied {
        true => Diff::default(),
        false => diff,
    };
    let updated = plan::update(clients, &owner, (&old, &new), (&diff, rolling_back)).await;
    // A wait before the writes (the migration task) leaves them to do; any other is the
    // final wait, after them (`applied`).
    let applied = !matches!(updated, Err(Error::BeforeWrites(_)));
    answer(e, physical_id, updated.map(|o| data(&o)), applied)
}

/// The set an Update is for, its old (`None` if they do not validate) and new properties
/// (with the defaults the set was made with: [`plan::with_set_defaults`]), and
/// whether it is CloudFormation's rollback
/// (the stack `UPDATE_ROLLBACK_IN_PROGRESS` at its first invocation: a forward Update's
/// continuation that finds the stack rolling back is not), or the FAILED answer that changes
/// nothing: an id that is not this stack resource's, an Update CloudFormation does not show,
/// invalid properties, or one growing over an operator's cap.
async fn accepted_update(
    clients: &Clients,
    request: &Request,
    (physical_id, old): (&str, &Value),
    progress: Progress,
) -> Result<(Deployment, (Option<Spec>, Spec), bool), Outcome> {
    let e = &request.envelope;
    let failed = |reason: String| Outcome::Answer(Response::failed(e, physical_id, reason));
    let Some(current) = Deployment::of(physical_id, &e.stack_id, &e.logical_id) else {
        return Err(failed(format!(
            "{physical_id:?} is not a prod-e deployment of this stack resource"
        )));
    };
    let requested = plan::Requested::Update(physical_id);
    let stack_status = confirmed(clients, e, requested, "Update").await?;
    let mut new = Spec::parse(&request.properties)
        .map_err(|invalid| failed(format!("{invalid}; nothing was changed")))?;
    // CloudFormation's rollback restores what ran before: never refused by a cap lowered since.
    let rolling_back = stack_status == "UPDATE_ROLLBACK_IN_PROGRESS"
        && (!progress.is_continuation() || progress.rolling_back);
    if stack_status != "UPDATE_ROLLBACK_IN_PROGRESS" {
        let before = Spec::parse(old).ok();
        clients
            .caps
            .check_change(before.as_ref(), &new)
            .map_err(|over| failed(format!("{over}; nothing was changed")))?;
    }
    // Boxed: the future stays off the stack (a test thread has 2 MiB of it).
    let prior = Box::pin(plan::with_set_defaults(clients, &current, old, &mut new))
        .await
        .map_err(|error| failed(format!("{error}; nothing was changed")))?;
    Ok((current, (prior, new), rolling_back))
}

/// `Ok` if a replacement arriving while the stack rolls back is CloudFormation's rollback of
/// a replacement that succeeded ([`plan::rolls_back_a_replacement`]); otherwise the FAILED
/// answer, with nothing changed.
async fn rollback_of_a_replacement(
    clients: &Clients,
    e: &Envelope,
    owner: &Owner,
    current: &str,
) -> Result<(), Outcome> {
    let reason = match plan::rolls_back_a_replacement(clients, owner, current).await {
        Ok(true) => return Ok(()),
        Ok(false) => format!(
            "CloudFormation shows no replacement of {current} in the stack's operation for this \
             rollback to undo; nothing was changed"
        ),
        Err(error) => format!("{error}; nothing was changed"),
    };
    tracing::warn!(%reason, "a replacement under a rolling-back stack refused");
    Err(Outcome::Answer(Response::failed(e, current, reason)))
}

/// An Update that changes a replacement property: a new set, a new PhysicalResourceId.
async fn replace(
    clients: &Clients,
    request: &Request,
    (current, at): (&Deployment, &Locator),
    (owner, new): (&Owner, &Spec),
    run: (bool, bool),
) -> Outcome {
    let e = &request.envelope;
    let (from, to) = (current.physical_id(), owner.deployment.physical_id());
    tracing::info!(
        from,
        to,
        "replacement: building a new set beside the current one"
    );
    let rolling_back = run.1;
    match Box::pin(plan::replace(clients, owner, new, (current, at), run)).await {
        Ok(outputs) => Outcome::Answer(Response::success(e, to, data(&outputs))),
        Err(failed) => match continue_if_pending(&failed.error, false, from) {
            Some(Outcome::Continue(pending)) => Outcome::Continue(Pending {
                rolling_back,
                ..pending
            }),
            Some(answer) => answer,
            None => Outcome::Answer(Response::failed(e, from, replace_failed(failed, to, from))),
        },
    }
}

/// The Reason of a replacement of `from` by `to` that failed.
fn replace_failed(failed: CreateFailed, to: &str, from: &str) -> String {
    let cleanup = match failed.rollback_error {
        None => String::new(),
        Some(err) => format!(
            "; removing the new set {to} also failed ({err}), the rollback Update will retry"
        ),
    };
    format!("{}{cleanup}; {from} still serves", failed.error)
}

async fn delete(clients: &Clients, request: &Request, physical_id: &str) -> Outcome {
    let e = &request.envelope;
    let done = || answer(e, physical_id, Ok(BTreeMap::new()), false);
    let d = match Deployment::of(physical_id, &e.stack_id, &e.logical_id) {
        Some(d) => d,
        None if Deployment::parse(physical_id).is_some() => {
            tracing::warn!(
                physical_id,
                "physical id belongs to another stack resource: nothing touched"
            );
            return done();
        }
        None if Deployment::is_nothing_created(physical_id) => {
            tracing::info!(
                physical_id,
                "a failed Create that removed everything: nothing to delete"
            );
            return done();
        }
        None => return Box::pin(delete_abandoned(clients, request, physical_id)).await,
    };
    let requested = plan::Requested::Delete(physical_id);
    if let Err(refused) = confirmed(clients, e, requested, "Delete").await {
        return refused;
    }
    let deleted = plan::delete(clients, &d, &Locator::from_properties(&request.properties)).await;
    answer(e, physical_id, deleted.map(|()| BTreeMap::new()), false)
}

/// The stack's status if CloudFormation shows the operation `requested` ([`plan::confirm`]);
/// otherwise the FAILED answer, with nothing changed: an event it did not send (anyone allowed
/// to invoke the function can send one) or one it no longer runs.
async fn confirmed(
    clients: &Clients,
    e: &Envelope,
    requested: plan::Requested<'_>,
    kind: &str,
) -> Result<String, Outcome> {
    let (plan::Requested::Update(id) | plan::Requested::Delete(id)) = requested;
    let reason = match plan::confirm(clients, &e.stack_id, &e.logical_id, requested).await {
        Ok(Ok(stack_status)) => return Ok(stack_status),
        Ok(Err(shown)) => {
            format!("CloudFormation does not show this {kind}: {shown}; nothing was changed")
        }
        Err(error) => format!("{error}; nothing was changed"),
    };
    tracing::warn!(%reason, "an event CloudFormation does not confirm");
    Err(Outcome::Answer(Response::failed(e, id, reason)))
}

/// The Delete of an id that is not prod-e's: CloudFormation generated it for a Create it
/// cancelled or that never answered in time (it sends no Delete of ours for it), while that
/// Create's set may exist or still be in the making. If CloudFormation shows the resource under
/// that id, the set those properties make is removed (the Create, if it still runs, notices and
/// removes what it makes afterwards); otherwise nothing is touched. SUCCESS either way.
async fn delete_abandoned(clients: &Clients, request: &Request, physical_id: &str) -> Outcome {
    let e = &request.envelope;
    let done = |result| answer(e, physical_id, result, false);
    let Ok(spec) = Spec::parse(&request.properties) else {
        tracing::info!(
            physical_id,
            "not a prod-e id, and properties no Create accepts: nothing to delete"
        );
        return done(Ok(BTreeMap::new()));
    };
    let owner = Owner::new(&e.stack_id, &e.logical_id, &spec.fingerprint());
    match plan::deleted_under(clients, &owner, physical_id).await {
        Ok(true) => {
            let set = &owner.deployment;
            tracing::info!(
                physical_id,
                set = set.physical_id(),
                "removing the set of a Create CloudFormation gave up on"
            );
            let deleted = Box::pin(plan::delete(clients, set, &Locator::from(&spec))).await;
            done(deleted.map(|()| BTreeMap::new()))
        }
        Ok(false) => {
            tracing::info!(
                physical_id,
                "not a prod-e id, and not CloudFormation's for this resource: nothing touched"
            );
            done(Ok(BTreeMap::new()))
        }
        Err(error) => done(Err(error)),
    }
}

/// The answer to an operation on `physical_id`: SUCCESS with its attributes, FAILED, or, if
/// it only has waits left, a continuation (`applied`: an in-place Update's writes are done).
fn answer(
    e: &Envelope,
    physical_id: &str,
    result: Result<BTreeMap<String, String>, Error>,
    applied: bool,
) -> Outcome {
    match result {
        Ok(data) => Outcome::Answer(Response::success(e, physical_id, data)),
        Err(error) => continue_if_pending(&error, applied, physical_id).unwrap_or_else(|| {
            Outcome::Answer(Response::failed(e, physical_id, error.to_string()))
        }),
    }
}

/// The `Fn::GetAtt` attributes.
fn data(outputs: &Outputs) -> BTreeMap<String, String> {
    match serde_json::to_value(outputs) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}
