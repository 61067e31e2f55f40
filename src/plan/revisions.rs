//! A deployment's task definition revisions: registered on Create (with the roles and the log
//! group they name) and early in an Update, retired when no longer needed. Found by their
//! ownership tag ([`task_definition::find_ours`]), never by listing a family other deployments
//! share; the revisions a service runs or rolls to are its own record of which to keep.

use super::adopt::ensure_log_group;
use super::{roles, Heir, Owner};
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::naming::{Deployment, Tags, OWNER_TAG};
use crate::progress::step;
use crate::resources::role;
use crate::resources::service::Service;
use crate::resources::task_definition::{self, TaskDefinition};
use crate::spec::{Diff, Spec};

/// A new revision when the task definition changes, registered while the set is read (a
/// round trip less): the execution role's ARN follows from its name ([`Owner::role_arn`]), the
/// task role is the stack resource's if the set holds it (else nothing is registered early:
/// a role named after an earlier set is known only once the set is read), and the log group
/// is named by the deployment. If the set then turns out not to be whole and ours, the
/// Update fails and this revision is deregistered again ([`retire_early`]).
pub(super) async fn register_early(
    c: &Clients,
    owner: &Owner,
    (new, diff): (&Spec, &Diff),
    tags: &Tags,
) -> Result<Option<String>> {
    if !diff.revises_task_definition() {
        return Ok(None);
    }
    let d = &owner.deployment;
    // The task role under the stack resource's name, if the set holds it: a revision may name
    // only a role that exists and carries our tag (iam:PassRole is allowed on those alone).
    let task = match role::find(&c.iam, &d.task_role()).await? {
        Some(held) if d.owns(&held.tags) => held.arn,
        _ => return Ok(None),
    };
    let exec = owner.role_arn(&d.execution_role());
    let links = task_definition::Links {
        execution_role_arn: &exec,
        task_role_arn: &task,
        log_group: &d.log_group(),
    };
    let created = step(
        format!("registering task definition ({})", new.task_family),
        task_definition::create(&c.ecs, new, links, tags),
    )
    .await?;
    Ok(Some(created.arn))
}

/// `err`, after retiring the revision this attempt `registered` (an Update's
/// [`register_early`], or a Create's) and did not get to use: the operation failed.
pub(super) async fn retire_early(c: &Clients, registered: Option<String>, err: Error) -> Error {
    if let Some(arn) = registered {
        retire_mine(c, &arn).await;
    }
    err
}

/// Deregisters revision `arn`, which this attempt registered and will not use; best effort (a
/// failure is logged). Its ownership tags stay: whoever removes the set untags it (the Delete
/// CloudFormation sends after a failed Create, or the next Update, find it by tag). A failed
/// attempt that untagged too would race a concurrent removal of the same set (CloudFormation's
/// Delete of a Create it cancelled) to the untag, and IAM refuses the second (the function may
/// untag only what carries the tag).
pub(super) async fn retire_mine(c: &Clients, arn: &str) {
    if let Err(err) = task_definition::deregister(&c.ecs, arn).await {
        tracing::warn!(%err, "retiring an unused revision: left for the Delete");
    }
}

/// Retires every revision of ours (found by tag) but those `svc` runs or rolls to: after a
/// Create, the ones an earlier or concurrent attempt registered and never used (or ours, when
/// the service adopted was made by another attempt with its own).
/// Best effort, as [`retire_others`].
pub(super) async fn retire_unused(c: &Clients, d: &Deployment, svc: &Service) -> Result<()> {
    match task_definition::find_ours(&c.tagging, (OWNER_TAG, d.physical_id())).await {
        Ok(ours) => retire_others(c, &ours, (&kept(svc, None), false)).await,
        Err(err) => {
            tracing::warn!(%err, "finding unused task definitions: left for later");
            Ok(())
        }
    }
}

/// The revisions `svc` runs or rolls to (its deployments'), and `registered`.
pub(super) fn kept<'a>(svc: &'a Service, registered: Option<&'a str>) -> Vec<&'a str> {
    let mut keep: Vec<&str> = svc.revisions.iter().map(String::as_str).collect();
    keep.push(&svc.task_definition);
    keep.extend(registered);
    keep.sort_unstable();
    keep.dedup();
    keep
}

/// Retires, at once, each of `ours` that is not in `keep`: deregisters it, and removes its tags
/// if `untag`. Best effort: a failure is logged, never the operation's (what is left is
/// retired by the next Update or the Delete). A Create only deregisters: a concurrent attempt
/// of the same Create may be retiring the same revision, and IAM refuses the second untag
/// (the condition on our tag no longer holds); the next Update or the Delete removes them.
pub(super) async fn retire_others(
    c: &Clients,
    ours: &[TaskDefinition],
    (keep, untag): (&[&str], bool),
) -> Result<()> {
    let retired = ours
        .iter()
        .filter(|t| !keep.contains(&t.arn.as_str()))
        .map(|t| async move {
            let doing = format!("deregistering task definition ({})", t.arn);
            match untag {
                true => step(doing, task_definition::delete(&c.ecs, &t.arn)).await,
                false => step(doing, task_definition::deregister(&c.ecs, &t.arn)).await,
            }
        });
    if let Err(err) = futures::future::join_all(retired).await.all_ok() {
        tracing::warn!(%err, "retiring unused task definitions: left for later");
    }
    Ok(())
}

/// Deregisters (only) those of `ours` that `svc` ran or rolled to when it was read, but
/// `revision`: an Update's predecessors, once it is steady.
pub(super) async fn deregister_previous(
    c: &Clients,
    svc: &Service,
    ours: &[TaskDefinition],
    revision: &str,
) -> Result<()> {
    let is_ours = |arn: &&str| ours.iter().any(|t| t.arn == *arn);
    let previous = kept(svc, None).into_iter().filter(is_ours);
    let deregistered = previous.filter(|arn| *arn != revision).map(|arn| {
        step(
            format!("deregistering task definition ({arn})"),
            task_definition::deregister(&c.ecs, arn),
        )
    });
    futures::future::join_all(deregistered)
        .await
        .all_ok()
        .map(|_| ())
}

/// The roles and the log group, then the task definition that names them while the roles get
/// their grants (a task needs those when it starts, not when it is registered).
pub(super) async fn task_definition_set(
    c: &Clients,
    owner: &Owner,
    (spec, heir): (&Spec, Heir<'_>),
    tags: &Tags,
) -> Result<(role::Role, role::Role, task_definition::TaskDefinition)> {
    let d = &owner.deployment;
    let (exec_name, task_name, log_group_name) = (d.execution_role(), d.task_role(), d.log_group());
    let (exec, task, ()) = tokio::join!(
        step(
            format!("creating IAM role ({exec_name})"),
            roles::execution_role(c, owner, tags)
        ),
        step(
            format!("creating IAM role ({task_name})"),
            roles::task_role(c, owner, heir, tags)
        ),
        step(
            format!("creating log group ({log_group_name})"),
            ensure_log_group(c, d, &log_group_name, spec.log_retention_days, tags),
        ),
    )
    .all_ok()?;
    let links = task_definition::Links {
        execution_role_arn: &exec.arn,
        task_role_arn: &task.arn,
        log_group: &log_group_name,
    };
    let (def, (), ()) = tokio::join!(
        step(
            format!("registering task definition ({})", spec.task_family),
            task_definition::create(&c.ecs, spec, links, tags),
        ),
        step(
            format!("granting IAM role ({exec_name})"),
            roles::grant_execution(c, owner, spec, &exec)
        ),
        step(
            format!("granting IAM role ({task_name})"),
            roles::grant_task(c, spec, &task)
        ),
    )
    .all_ok()?;
    Ok((exec, task, def))
}

/// The revision [`register_early`] made, if it names the set's roles as they are: roles in
/// another account than the stack's (a function shared across accounts) have other ARNs, and
/// the revision is then retired and registered again by [`new_revision`].
pub(super) async fn early_for(
    c: &Clients,
    owner: &Owner,
    (exec, task): (&str, &str),
    early: Option<String>,
) -> Option<String> {
    let d = &owner.deployment;
    let derived = (
        owner.role_arn(&d.execution_role()),
        owner.role_arn(&d.task_role()),
    );
    if (derived.0.as_str(), derived.1.as_str()) == (exec, task) {
        return early;
    }
    if let Some(arn) = early {
        retire_mine(c, &arn).await;
    }
    None
}
