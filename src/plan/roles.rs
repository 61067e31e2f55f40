//! The two IAM roles of a set and what they may do. Both are created under the template's
//! permissions boundaries ([`crate::resources::role::RoleSettings`]); a role made before
//! boundaries gets its own before it is granted anything more. A Create gives each exactly what
//! the spec grants; an Update grants before the service rolls (new tasks need the grants as
//! they start) and revokes only once it is steady (until then the circuit breaker may roll back
//! to tasks that still need them).

use super::adopt::create_or_adopt;
use super::{Heir, Owner};
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::{role_tags, Deployment, Tags, OWNER_TAG};
use crate::resources::role::{self, Role};
use crate::resources::tags;
use crate::spec::schema::{Effect, IMAGE, TASK_ROLE_POLICY, TASK_ROLE_POLICY_ARNS};
use crate::spec::{Diff, Spec};

/// The execution role, created (or adopted) under its permissions boundary; [`grant_execution`]
/// then gives it what it may do.
pub(super) async fn execution_role(c: &Clients, owner: &Owner, tags: &Tags) -> Result<Role> {
    let name = owner.deployment.execution_role();
    made(c, owner, &name, c.roles.execution.as_deref(), tags).await
}

/// The role ECS moves the set's traffic with (a native `DeploymentStrategy`), created (or
/// adopted) under its permissions boundary; [`super::strategy`] gives it its policy.
pub(super) async fn traffic_role(c: &Clients, d: &Deployment, tags: &Tags) -> Result<Role> {
    let name = d.traffic_role();
    let tags = &role_tags(tags, &c.roles.tag_keys);
    let find = || role::find(&c.iam, &name);
    let boundary = c.roles.traffic.as_deref();
    let create = || role::create(&c.iam, (&name, role::TRAFFIC), tags, boundary);
    create_or_adopt(d, find, create).await
}

/// The task role: the set's own, else the one it takes over ([`Heir`]), under its permissions
/// boundary; else created (or adopted) under the stack resource's name, or, where another
/// stack resource holds that name (a collision of 40-bit keys), under the set's.
/// [`grant_task`] then gives it what it may do.
pub(super) async fn task_role(
    c: &Clients,
    owner: &Owner,
    heir: Heir<'_>,
    tags: &Tags,
) -> Result<Role> {
    let (d, boundary) = (&owner.deployment, c.roles.task.as_deref());
    if !heir.fresh {
        if let Some(held) = heir.held(d, task_roles(c, d, heir.from).await?) {
            bounded(c, &held, boundary).await?;
            return Ok(held);
        }
    }
    match made(c, owner, &d.task_role(), boundary, tags).await {
        Err(err @ Error::NotOurs { .. }) => match role::find(&c.iam, &d.task_role()).await? {
            // Another stack resource's (its 40-bit key is this one's): a name of the set's own.
            Some(other) if other.tags.contains_key(OWNER_TAG) && !d.sibling_owns(&other.tags) => {
                made(c, owner, &d.legacy_task_role(), boundary, tags).await
            }
            _ => Err(err),
        },
        other => other,
    }
}

/// The task roles `d` (or `from`, the set it replaces) may hold, by name: the stack
/// resource's ([`Deployment::task_role`]) and those named after `d` and `from`
/// ([`Deployment::legacy_task_role`]). If none of them is this stack resource's, every role
/// named after a set of it, found with ListRoles: a role named after an earlier set keeps its
/// name when replacements take it over.
pub(super) async fn task_roles(
    c: &Clients,
    d: &Deployment,
    from: Option<&Deployment>,
) -> Result<Vec<Role>> {
    let mut names = vec![d.task_role(), d.legacy_task_role()];
    names.extend(from.map(Deployment::legacy_task_role));
    let reads = names.iter().map(|name| role::find(&c.iam, name));
    let found: Vec<Role> = futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect();
    match found
        .iter()
        .any(|r| d.owns(&r.tags) || d.sibling_owns(&r.tags))
    {
        true => Ok(found),
        false => role::list(&c.iam, (&d.task_roles_prefix(), "-task")).await,
    }
}

/// Role `name`: CreateRole first, tagged with `tags` but for the user's keys the operator did
/// not allow ([`role_tags`]), adopted if it exists and is ours; a role made before boundaries
/// gets its own.
async fn made(
    c: &Clients,
    owner: &Owner,
    name: &str,
    boundary: Option<&str>,
    tags: &Tags,
) -> Result<Role> {
    let tags = &role_tags(tags, &c.roles.tag_keys);
    let find = || role::find(&c.iam, name);
    let create = || role::create(&c.iam, (name, role::TASKS), tags, boundary);
    let r = create_or_adopt(&owner.deployment, find, create).await?;
    bounded(c, &r, boundary).await?;
    Ok(r)
}

/// The execution role's grants: its image and log group ([`role::execution_policy`]) and the
/// secrets policy, if any. Needed by the time a task starts, not to register the task
/// definition that names it.
pub(super) async fn grant_execution(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    exec: &Role,
) -> Result<()> {
    put_execution_policy(c, owner, spec, exec).await?;
    match role::secrets_policy(spec) {
        Some(doc) => role::put_policy(&c.iam, &exec.name, role::SECRETS_POLICY_NAME, &doc).await,
        None => Ok(()),
    }
}

async fn put_execution_policy(c: &Clients, owner: &Owner, spec: &Spec, exec: &Role) -> Result<()> {
    let caches = &c.roles.pull_through_repositories;
    let doc = role::execution_policy(&spec.image, &owner.log_group_arn(), caches);
    role::put_policy(&c.iam, &exec.name, role::EXECUTION_POLICY_NAME, &doc).await
}

/// What an older prod-e gave execution roles in place of [`role::execution_policy`] (every ECR
/// repository): replaced once the service is steady, with the new policy put first.
async fn replace_legacy_grant(c: &Clients, owner: &Owner, spec: &Spec, exec: &Role) -> Result<()> {
    let legacy = format!(
        "arn:{}:iam::aws:policy/{}",
        owner.partition(),
        role::LEGACY_EXECUTION_POLICY
    );
    if !role::attached_policies(&c.iam, &exec.name)
        .await?
        .contains(&legacy)
    {
        return Ok(());
    }
    bounded(c, exec, c.roles.execution.as_deref()).await?;
    put_execution_policy(c, owner, spec, exec).await?;
    role::detach_policy(&c.iam, &exec.name, &legacy).await
}

/// The task role's grants: the ECS Exec policy, the `TaskRolePolicy` and the
/// `TaskRolePolicyArns`.
pub(super) async fn grant_task(c: &Clients, spec: &Spec, task: &Role) -> Result<()> {
    let exec = spec.enable_execute_command.then_some(role::EXEC_POLICY);
    put_task_policies(c, &task.name, exec, spec.task_role_policy.as_deref()).await?;
    attach(c, &task.name, &spec.task_role_policy_arns).await
}

/// Puts the secrets policy on the execution role, and the ECS Exec policy, the
/// `TaskRolePolicy` and new `TaskRolePolicyArns` on the task role, where `diff` changed them
/// and `new` wants them.
pub(super) async fn grant(
    (c, owner): (&Clients, &Owner),
    diff: &Diff,
    (old, new): (&Spec, &Spec),
    task: &Role,
    exec: &Role,
) -> Result<()> {
    if diff.reapplied || diff.changed.contains(IMAGE.name) {
        bounded(c, exec, c.roles.execution.as_deref()).await?;
        put_execution_policy(c, owner, new, exec).await?;
    }
    if let Some(doc) = role::secrets_policy(new).filter(|_| secrets_changed(diff)) {
        bounded(c, exec, c.roles.execution.as_deref()).await?;
        role::put_policy(&c.iam, &exec.name, role::SECRETS_POLICY_NAME, &doc).await?;
    }
    let exec_policy =
        (diff.any(Effect::Exec) && new.enable_execute_command).then_some(role::EXEC_POLICY);
    let task_policy = new
        .task_role_policy
        .as_deref()
        .filter(|_| diff.changed.contains(TASK_ROLE_POLICY.name));
    let (was, is) = (&old.task_role_policy_arns, &new.task_role_policy_arns);
    let added = match diff.changed.contains(TASK_ROLE_POLICY_ARNS.name) {
        // The old values are unknown: attach them all.
        true if diff.reapplied => is.clone(),
        true => minus(is, was),
        false => Vec::new(),
    };
    if exec_policy.is_none() && task_policy.is_none() && added.is_empty() {
        return Ok(());
    }
    bounded(c, task, c.roles.task.as_deref()).await?;
    put_task_policies(c, &task.name, exec_policy, task_policy).await?;
    attach(c, &task.name, &added).await
}

/// The roles' tags, on every Update: from the stack's tags each role carries (`old` or `new`
/// ones: user tags an older prod-e put there among them; tags someone else added stay) to
/// those it may carry ([`role_tags`] of `new`). No call when they already are.
pub(super) async fn retag(c: &Clients, (old, new): (&Tags, &Tags), roles: &[&Role]) -> Result<()> {
    let want = role_tags(new, &c.roles.tag_keys);
    let stacks = |key: &String| old.contains_key(key) || new.contains_key(key);
    for role in roles {
        let have: Tags = role
            .tags
            .iter()
            .filter(|(key, _)| stacks(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        tags::iam::update(&c.iam, &role.name, &have, &want).await?;
    }
    Ok(())
}

/// Deletes the inline policies `new` no longer wants, if `diff` changed them or on a
/// continuation (an empty `diff`: the first invocation's writes are done, its revocations may
/// not be), detaches the `TaskRolePolicyArns` that `old` had and `new` has not, and replaces
/// an older prod-e's execution grant ([`replace_legacy_grant`]).
pub(super) async fn revoke(
    (c, owner): (&Clients, &Owner),
    diff: &Diff,
    (old, new): (&Spec, &Spec),
    task: &Role,
    exec: &Role,
) -> Result<()> {
    replace_legacy_grant(c, owner, new, exec).await?;
    let continued = diff.is_empty();
    let unwanted = [
        (
            &exec.name,
            role::SECRETS_POLICY_NAME,
            new.secret_sources().is_empty() && (continued || secrets_changed(diff)),
        ),
        (
            &task.name,
            role::EXEC_POLICY_NAME,
            !new.enable_execute_command && (continued || diff.any(Effect::Exec)),
        ),
        (
            &task.name,
            role::TASK_POLICY_NAME,
            new.task_role_policy.is_none()
                && (continued || diff.changed.contains(TASK_ROLE_POLICY.name)),
        ),
    ];
    for role_name in [&exec.name, &task.name] {
        let policies = unwanted
            .iter()
            .filter(|(r, _, revoke)| *r == role_name && *revoke)
            .map(|(_, policy, _)| *policy);
        delete_inline(c, role_name, policies.collect()).await?;
    }
    let (was, is) = (&old.task_role_policy_arns, &new.task_role_policy_arns);
    let reapplied = diff.reapplied;
    let mut removed = minus(was, is);
    if reapplied || (continued && !removed.is_empty()) {
        let attached = role::attached_policies(&c.iam, &task.name).await?;
        removed = match reapplied {
            // Re-applying every property (the old ones are unknown, e.g. the rollback of a
            // failed Update): converge to exactly `new`'s.
            true => minus(&attached, is),
            false => removed
                .into_iter()
                .filter(|a| attached.contains(a))
                .collect(),
        };
    }
    for arn in &removed {
        role::detach_policy(&c.iam, &task.name, arn).await?;
    }
    Ok(())
}

/// Deletes those of `policies` that role `name` has, with one read of its inline policies
/// (none if there is nothing to delete).
async fn delete_inline(c: &Clients, name: &str, policies: Vec<&str>) -> Result<()> {
    if policies.is_empty() {
        return Ok(());
    }
    let present = role::inline_policies(&c.iam, name).await?;
    for policy in policies
        .into_iter()
        .filter(|p| present.iter().any(|x| x == p))
    {
        role::delete_policy(&c.iam, name, policy).await?;
    }
    Ok(())
}

/// Gives `r` the permissions boundary `boundary` if it has none (a role made before
/// boundaries): IAM lets the function grant a role more only while it carries it. A boundary
/// someone else set is left alone (IAM then refuses the grant).
async fn bounded(c: &Clients, r: &Role, boundary: Option<&str>) -> Result<()> {
    match boundary {
        Some(arn) if r.boundary.is_none() => role::put_boundary(&c.iam, &r.name, arn).await,
        _ => Ok(()),
    }
}

/// Puts the task role's inline policies that are given. One write to a role at a time: IAM
/// answers concurrent changes of one role with ConcurrentModification
/// (hashicorp/terraform-provider-aws#34371).
async fn put_task_policies(
    c: &Clients,
    name: &str,
    exec: Option<&str>,
    task: Option<&str>,
) -> Result<()> {
    for (policy, doc) in [
        (role::EXEC_POLICY_NAME, exec),
        (role::TASK_POLICY_NAME, task),
    ] {
        if let Some(doc) = doc {
            role::put_policy(&c.iam, name, policy, doc).await?;
        }
    }
    Ok(())
}

/// Attaches the managed policies `arns` to role `name`, one at a time (as above).
async fn attach(c: &Clients, name: &str, arns: &[String]) -> Result<()> {
    for arn in arns {
        role::attach_policy(&c.iam, name, arn).await?;
    }
    Ok(())
}

/// The items of `a` not in `b`.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|x| !b.contains(x)).cloned().collect()
}

/// Whether the secrets or their key changed: either rewrites the execution role's policy.
fn secrets_changed(diff: &Diff) -> bool {
    diff.any(Effect::Secrets) || diff.any(Effect::SecretsKey)
}
