//! Whether CloudFormation still waits for the operation being run: a Create, a replacement
//! or a restore reads its stack resource before it routes traffic and at the start of every
//! continued invocation, and stops, removing what it made, once CloudFormation has given up
//! on it (a cancelled Create, an Update rolled back, a stack deleted, `ServiceTimeout` passed).
//!
//! What CloudFormation reports while it waits (API Reference, DescribeStackResource and
//! `ResourceStatus`; the stack's status from DescribeStacks): the resource is
//! `CREATE_IN_PROGRESS` (stack `CREATE_IN_PROGRESS`, or `UPDATE_IN_PROGRESS` when an Update adds
//! it) during a Create, and `UPDATE_IN_PROGRESS` with the current PhysicalResourceId during an
//! Update. A cancelled Create is `CREATE_FAILED` ("Resource creation cancelled") and then
//! `DELETE_IN_PROGRESS` under an id CloudFormation generated; a cancelled or failed Update
//! turns the stack `UPDATE_ROLLBACK_IN_PROGRESS`, and its rollback Update runs under that stack
//! status (aws-cloudformation/cloudformation-coverage-roadmap#1814, remind101/empire#918,
//! binxio/cfn-certificate-provider#31).

use super::Owner;
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::resources::role;
use crate::resources::stack::{self, StackResource};

/// The operation CloudFormation waits for, as its stack resource shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaited {
    /// A Create (no PhysicalResourceId yet).
    Create,
    /// A replacement of the set `current` (the id CloudFormation holds) by a new one.
    Replace {
        /// The PhysicalResourceId of the set being replaced.
        current: String,
    },
    /// CloudFormation's rollback Update (or any Update) that makes the set it holds whole.
    Restore,
    /// CloudFormation's rollback Update of a replacement that succeeded (another resource of the
    /// stack failed): the set `current` it holds is replaced by the original set, which still
    /// exists until the cleanup (aws-cdk `docs/CLOUDFORMATION.md`: a rollback Update has
    /// `ResourceProperties=OLD` and `OldResourceProperties=NEW`).
    RollBack {
        /// The PhysicalResourceId of the set the replacement made.
        current: String,
    },
}

/// `Err(Error::Abandoned)` if CloudFormation no longer waits for `owner`'s operation
/// ([`verdict`]); the stack and its resource are read at once.
pub async fn still_awaited(c: &Clients, owner: &Owner, awaited: &Awaited) -> Result<()> {
    let (stack_status, resource) = read(c, &owner.stack_id, &owner.logical_id).await?;
    let id = owner.deployment.physical_id();
    let seen = (stack_status.as_deref(), resource.as_ref());
    match verdict(awaited, id, &owner.logical_id, seen) {
        None => Ok(()),
        Some(reason) => {
            tracing::warn!(%reason, "CloudFormation no longer waits: stopping");
            Err(Error::Abandoned { reason })
        }
    }
}

/// The stack's status and its resource `logical_id`, as CloudFormation shows them, read at
/// once (`None`: no such stack, or no such resource).
async fn read(
    c: &Clients,
    stack_id: &str,
    logical_id: &str,
) -> Result<(Option<String>, Option<StackResource>)> {
    let cf = &c.cloudformation;
    // Boxed: SDK calls' futures are large, and this one sits inside every operation's.
    tokio::join!(
        Box::pin(stack::status(cf, stack_id)),
        Box::pin(stack::resource(cf, stack_id, logical_id)),
    )
    .all_ok()
}

/// The statuses of a resource CloudFormation is deleting: `DELETE_IN_PROGRESS`, or
/// `DELETE_FAILED` (a Delete continued past its timeout). Not `DELETE_COMPLETE` (a deleted
/// stack stays readable by its ARN) nor `DELETE_SKIPPED` (a retained set outlives its stack).
const DELETING: [&str; 2] = ["DELETE_IN_PROGRESS", "DELETE_FAILED"];

/// What CloudFormation shows of resource `logical_id`, for a Reason.
fn shown(logical_id: &str, stack_status: &str, resource: Option<&StackResource>) -> String {
    match resource {
        None => format!("the stack has no resource ({logical_id}) (stack {stack_status})"),
        Some(r) => format!(
            "stack resource ({logical_id}) is {} with id {} (stack {stack_status})",
            r.status,
            r.physical_id.as_deref().unwrap_or("none")
        ),
    }
}

/// The stack's status (`not found` for none) and resource `logical_id` as CloudFormation shows
/// them, or, if it shows no such resource, that as a Reason.
fn present<'a>(
    logical_id: &str,
    (stack_status, resource): (Option<&'a str>, Option<&'a StackResource>),
) -> Result<(&'a str, &'a StackResource), String> {
    let stack_status = stack_status.unwrap_or("not found");
    resource
        .map(|r| (stack_status, r))
        .ok_or_else(|| shown(logical_id, stack_status, None))
}

/// `None` while CloudFormation waits for the operation on set `set_id`, else what it shows
/// instead. A set CloudFormation holds (its PhysicalResourceId is `set_id`) is always awaited:
/// a late re-delivery of an operation that was answered must never remove it.
pub fn verdict(
    awaited: &Awaited,
    set_id: &str,
    logical_id: &str,
    seen: (Option<&str>, Option<&StackResource>),
) -> Option<String> {
    let (stack_status, resource) = match present(logical_id, seen) {
        Ok(present) => present,
        Err(shown) => return Some(shown),
    };
    let held = resource.physical_id.as_deref();
    if held == Some(set_id) && !resource.status.starts_with("DELETE_") {
        return None;
    }
    let waiting = match awaited {
        Awaited::Create => {
            resource.status == "CREATE_IN_PROGRESS"
                && ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"].contains(&stack_status)
        }
        Awaited::Replace { current } => {
            resource.status == "UPDATE_IN_PROGRESS"
                && stack_status == "UPDATE_IN_PROGRESS"
                && held == Some(current.as_str())
        }
        Awaited::Restore => resource.status == "UPDATE_IN_PROGRESS",
        Awaited::RollBack { current } => {
            resource.status == "UPDATE_IN_PROGRESS"
                && stack_status == "UPDATE_ROLLBACK_IN_PROGRESS"
                && held == Some(current.as_str())
        }
    };
    (!waiting).then(|| shown(logical_id, stack_status, Some(resource)))
}

/// Whether CloudFormation is deleting stack resource `owner` under `generated_id`, an id that
/// is not prod-e's: the Delete of a Create it cancelled or that never answered in time, whose
/// set (`owner`'s) it does not hold. The resource must be `DELETE_IN_PROGRESS` (or
/// `DELETE_FAILED`, a continued Delete CloudFormation timed out on) and show that id or none
/// (no source says which CloudFormation shows then: cloudformation-coverage-roadmap#1814 and
/// aws-cdk PR #36951 only say the id is generated). `false` (touch nothing) for anything
/// else, so that an event CloudFormation did not send removes nothing.
pub async fn deleted_under(c: &Clients, owner: &Owner, generated_id: &str) -> Result<bool> {
    let cf = &c.cloudformation;
    let resource = stack::resource(cf, &owner.stack_id, &owner.logical_id).await?;
    tracing::info!(
        generated_id,
        ?resource,
        "the stack resource, as CloudFormation shows it"
    );
    Ok(resource.is_some_and(|r| {
        DELETING.contains(&r.status.as_str())
            && r.physical_id.as_deref().is_none_or(|id| id == generated_id)
    }))
}

/// Whether an Update arriving while the stack rolls back, from set `current` to `owner`'s, is
/// CloudFormation's rollback of a replacement that succeeded: the stack's running operation
/// replaced this resource's set `owner`'s by `current` (its events: `UPDATE_IN_PROGRESS` under
/// the original id, then `UPDATE_COMPLETE` under `current`; neither a failed replacement nor an
/// in-place Update shows that), and the original set still exists (its execution role is this
/// stack resource's). Anything else (a forged Update, a retried forward one) replaces nothing.
pub async fn rolls_back_a_replacement(c: &Clients, owner: &Owner, current: &str) -> Result<bool> {
    let cf = &c.cloudformation;
    let original = owner.deployment.physical_id();
    let of = (owner.logical_id.as_str(), original, current);
    let role_name = owner.deployment.execution_role();
    let (replaced, role) = tokio::join!(
        Box::pin(stack::replaced_in_this_operation(cf, &owner.stack_id, of)),
        Box::pin(role::find(&c.iam, &role_name)),
    )
    .all_ok()?;
    Ok(replaced && role.is_some_and(|r| owner.deployment.owns(&r.tags)))
}

/// What an Update or a Delete event asks for, on the set with this PhysicalResourceId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested<'a> {
    /// An Update of the set with this id (in place, a replacement, or a rollback).
    Update(&'a str),
    /// A Delete of the set with this id.
    Delete(&'a str),
}

/// `Ok(Ok(stack status))` if CloudFormation shows stack resource `logical_id` of `stack_id` in
/// the operation `requested` ([`confirms`]); `Ok(Err(what it shows instead))` otherwise. Anyone
/// allowed to invoke the function can send any event: only one CloudFormation confirms may
/// change a set.
pub async fn confirm(
    c: &Clients,
    stack_id: &str,
    logical_id: &str,
    requested: Requested<'_>,
) -> Result<std::result::Result<String, String>> {
    let (stack_status, resource) = read(c, stack_id, logical_id).await?;
    let seen = (stack_status.as_deref(), resource.as_ref());
    Ok(match confirms(requested, logical_id, seen) {
        None => Ok(stack_status.unwrap_or_default()),
        Some(shown) => Err(shown),
    })
}

/// `None` if CloudFormation is running `requested`, else what it shows. An Update: the resource
/// is `UPDATE_IN_PROGRESS` under that id, in a stack `UPDATE_IN_PROGRESS` (or
/// `UPDATE_ROLLBACK_IN_PROGRESS`: the rollback Update). A Delete: the resource is
/// `DELETE_IN_PROGRESS` under that id (the stack or the resource being deleted, or the Delete
/// of a failed Create), or `DELETE_FAILED` (a continued Delete CloudFormation timed out on);
/// never `DELETE_COMPLETE` or `DELETE_SKIPPED` (a deleted stack stays readable by its ARN, and
/// a retained set must outlive it),
/// or the stack is in a `*_CLEANUP_IN_PROGRESS` phase and the resource holds another id (the
/// cleanup of the set a replacement, or a rollback, left behind: CloudFormation User Guide,
/// custom resource request types Update and Delete; aws-cdk `docs/CLOUDFORMATION.md`).
pub fn confirms(
    requested: Requested<'_>,
    logical_id: &str,
    seen: (Option<&str>, Option<&StackResource>),
) -> Option<String> {
    let (stack_status, resource) = match present(logical_id, seen) {
        Ok(present) => present,
        Err(shown) => return Some(shown),
    };
    let held = resource.physical_id.as_deref();
    let running = match requested {
        Requested::Update(id) => {
            resource.status == "UPDATE_IN_PROGRESS"
                && held == Some(id)
                && ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"].contains(&stack_status)
        }
        Requested::Delete(id) => {
            (DELETING.contains(&resource.status.as_str()) && held == Some(id))
                || (stack_status.ends_with("_CLEANUP_IN_PROGRESS") && held.is_some_and(|h| h != id))
        }
    };
    (!running).then(|| shown(logical_id, stack_status, Some(resource)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: &str, id: Option<&str>) -> StackResource {
        StackResource {
            status: status.into(),
            physical_id: id.map(str::to_string),
        }
    }

    fn gave_up(awaited: &Awaited, stack: &str, r: &StackResource) -> bool {
        verdict(awaited, "prod-e-b", "Service", (Some(stack), Some(r))).is_some()
    }

    #[test]
    fn a_create_is_awaited_only_while_in_progress() {
        let create = Awaited::Create;
        let pending = seen("CREATE_IN_PROGRESS", None);
        assert!(!gave_up(&create, "CREATE_IN_PROGRESS", &pending));
        assert!(!gave_up(&create, "UPDATE_IN_PROGRESS", &pending));
        assert!(gave_up(&create, "ROLLBACK_IN_PROGRESS", &pending));
        let generated = Some("stack-Service-1ABCDEFGHIJK");
        assert!(gave_up(
            &create,
            "ROLLBACK_IN_PROGRESS",
            &seen("CREATE_FAILED", None)
        ));
        assert!(gave_up(
            &create,
            "DELETE_IN_PROGRESS",
            &seen("DELETE_IN_PROGRESS", generated)
        ));
        let none = verdict(&create, "prod-e-b", "Service", (None, None));
        assert_eq!(
            none.as_deref(),
            Some("the stack has no resource (Service) (stack not found)")
        );
    }

    #[test]
    fn a_held_set_is_always_awaited_until_its_delete() {
        let held = seen("CREATE_COMPLETE", Some("prod-e-b"));
        for awaited in [
            Awaited::Create,
            Awaited::Restore,
            Awaited::Replace {
                current: "prod-e-a".into(),
            },
        ] {
            assert!(!gave_up(&awaited, "UPDATE_COMPLETE", &held));
            let deleting = seen("DELETE_IN_PROGRESS", Some("prod-e-b"));
            assert!(gave_up(&awaited, "DELETE_IN_PROGRESS", &deleting));
        }
    }

    #[test]
    fn a_replacement_is_given_up_when_the_stack_rolls_back() {
        let replace = Awaited::Replace {
            current: "prod-e-a".into(),
        };
        let updating = seen("UPDATE_IN_PROGRESS", Some("prod-e-a"));
        assert!(!gave_up(&replace, "UPDATE_IN_PROGRESS", &updating));
        assert!(gave_up(&replace, "UPDATE_ROLLBACK_IN_PROGRESS", &updating));
        assert!(gave_up(
            &replace,
            "UPDATE_IN_PROGRESS",
            &seen("UPDATE_FAILED", Some("prod-e-a"))
        ));
        // The rollback itself restores: it goes on under a rolling-back stack.
        assert!(!gave_up(
            &Awaited::Restore,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            &updating
        ));
        // So does the rollback of a replacement that succeeded, and only then.
        let back = Awaited::RollBack {
            current: "prod-e-a".into(),
        };
        assert!(!gave_up(&back, "UPDATE_ROLLBACK_IN_PROGRESS", &updating));
        assert!(gave_up(&back, "UPDATE_IN_PROGRESS", &updating));
        assert!(gave_up(&back, "UPDATE_ROLLBACK_COMPLETE", &updating));
    }

    fn refused(requested: Requested<'_>, stack: &str, r: &StackResource) -> bool {
        confirms(requested, "Service", (Some(stack), Some(r))).is_some()
    }

    #[test]
    fn an_update_is_confirmed_only_in_progress_under_its_id() {
        let update = Requested::Update("prod-e-a");
        let running = seen("UPDATE_IN_PROGRESS", Some("prod-e-a"));
        assert!(!refused(update, "UPDATE_IN_PROGRESS", &running));
        assert!(!refused(update, "UPDATE_ROLLBACK_IN_PROGRESS", &running));
        assert!(refused(update, "UPDATE_COMPLETE", &running));
        let other = seen("UPDATE_IN_PROGRESS", Some("prod-e-b"));
        assert!(refused(update, "UPDATE_IN_PROGRESS", &other));
        let done = seen("UPDATE_COMPLETE", Some("prod-e-a"));
        assert!(refused(update, "UPDATE_COMPLETE", &done));
        assert!(confirms(update, "Service", (None, None)).is_some());
    }

    #[test]
    fn a_delete_is_confirmed_for_its_id_or_in_a_cleanup_of_another() {
        let delete = Requested::Delete("prod-e-a");
        let deleting = seen("DELETE_IN_PROGRESS", Some("prod-e-a"));
        assert!(!refused(delete, "DELETE_IN_PROGRESS", &deleting));
        assert!(!refused(delete, "ROLLBACK_IN_PROGRESS", &deleting));
        let replaced = seen("UPDATE_COMPLETE", Some("prod-e-b"));
        assert!(!refused(
            delete,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            &replaced
        ));
        let rolled_back = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS";
        assert!(!refused(delete, rolled_back, &replaced));
        // A forged Delete of the live set: CloudFormation holds it, deleting nothing.
        let live = seen("CREATE_COMPLETE", Some("prod-e-a"));
        assert!(refused(delete, "CREATE_COMPLETE", &live));
        assert!(refused(
            delete,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            &live
        ));
        assert!(refused(delete, "UPDATE_COMPLETE", &replaced));
        // Long after the stack's deletion, or a set it retained: nothing to delete now.
        for done in ["DELETE_COMPLETE", "DELETE_SKIPPED"] {
            assert!(refused(
                delete,
                "DELETE_COMPLETE",
                &seen(done, Some("prod-e-a"))
            ));
        }
    }
}
