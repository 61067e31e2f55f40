//! IAM roles of a set: the execution role (pulls images, writes logs), the task role, and, with
//! a native `DeploymentStrategy`, the role ECS moves the listener rule's traffic with.

use aws_sdk_iam::Client;

mod documents;
mod grants;

pub use documents::{
    ecr_repository, execution_policy, hooks_policy, secrets_policy, traffic_policy,
};
pub use grants::{execution_role, grants, task_role, Grants, EXECUTION_ROLE, TASK_ROLE};

use super::{found, gone, required, tags, Tagged};
use crate::error::{is_delete_conflict, Doing, Every, Result};

use crate::naming::Tags;
use crate::retry::{retry, ROLE_DELETE_CONFLICT};

/// Only ECS tasks may assume our roles.
pub const TRUST_POLICY: &str = concat!(
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","#,
    r#""Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
);
/// Only ECS itself may assume the traffic role: the trust of the infrastructure role for load
/// balancers (ECS Developer Guide, "Amazon ECS infrastructure IAM role for load balancers").
pub const TRAFFIC_TRUST_POLICY: &str = concat!(
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","#,
    r#""Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
);
/// The traffic role's inline policy ([`traffic_policy`]).
pub const TRAFFIC_POLICY_NAME: &str = "prod-e-traffic";
/// The traffic role's inline policy for the set's `LifecycleHooks` ([`hooks_policy`]; none
/// without any).
pub const HOOKS_POLICY_NAME: &str = "prod-e-hooks";
/// The variable naming the traffic roles' permissions boundary (set by the template).
pub const TRAFFIC_ROLE_BOUNDARY_ENV: &str = "PROD_E_TRAFFIC_ROLE_BOUNDARY";

/// Who may assume a role, and what it is for (its description).
#[derive(Debug, Clone, Copy)]
pub struct Trust {
    /// The trust policy document.
    pub policy: &'static str,
    /// The role's description.
    pub description: &'static str,
}

/// A task's roles: ECS tasks assume them.
pub const TASKS: Trust = Trust {
    policy: TRUST_POLICY,
    description: "prod-e ECS task role",
};
/// The traffic role: ECS assumes it.
pub const TRAFFIC: Trust = Trust {
    policy: TRAFFIC_TRUST_POLICY,
    description: "prod-e: ECS moves traffic between the set's target groups with it",
};

/// The AWS managed policy older prod-e versions attached to execution roles, under
/// `arn:{partition}:iam::aws:policy/` (it allows pulling from every ECR repository): an Update
/// detaches it once the role has [`execution_policy`].
pub const LEGACY_EXECUTION_POLICY: &str = "service-role/AmazonECSTaskExecutionRolePolicy";
/// The execution role's inline policy ([`execution_policy`]).
pub const EXECUTION_POLICY_NAME: &str = "prod-e-execution";
/// The execution role's inline policy for the task's secrets.
pub const SECRETS_POLICY_NAME: &str = "prod-e-secrets";
/// The task role's inline policy from the `TaskRolePolicy` property.
pub const TASK_POLICY_NAME: &str = "prod-e-task-policy";

/// The variable naming the task roles' permissions boundary (set by the template).
pub const TASK_ROLE_BOUNDARY_ENV: &str = "PROD_E_TASK_ROLE_BOUNDARY";
/// The variable naming the execution roles' permissions boundary (set by the template).
pub const EXECUTION_ROLE_BOUNDARY_ENV: &str = "PROD_E_EXECUTION_ROLE_BOUNDARY";

/// The variable listing the user tag keys the operator allows onto roles (`RoleTagKeys`, comma
/// separated; set by the template).
pub const ROLE_TAG_KEYS_ENV: &str = "PROD_E_ROLE_TAG_KEYS";

/// The variable listing the ECR pull-through cache repositories (ARN patterns) execution roles
/// may import upstream images into (`PullThroughCacheRepositoryArns`, comma separated; set by
/// the template).
pub const PULL_THROUGH_REPOSITORIES_ENV: &str = "PROD_E_PULL_THROUGH_REPOSITORIES";

/// The template's settings for the roles prod-e creates: the permissions boundaries (managed
/// policy ARNs) they carry, and the user tag keys they may carry. The template makes both
/// boundaries and its function policy lets roles be created and granted only under them, and
/// tagged only with those keys; `None` (a local run without the template) creates roles
/// without a boundary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleSettings {
    /// Task roles'.
    pub task: Option<String>,
    /// Execution roles'.
    pub execution: Option<String>,
    /// Traffic roles'.
    pub traffic: Option<String>,
    /// The user tag keys roles may carry ([`ROLE_TAG_KEYS_ENV`]; none by default:
    /// [`crate::naming::role_tags`]).
    pub tag_keys: Vec<String>,
    /// The ECR pull-through cache repositories, ARN patterns
    /// ([`PULL_THROUGH_REPOSITORIES_ENV`]; none by default).
    pub pull_through_repositories: Vec<String>,
}

impl RoleSettings {
    /// From [`TASK_ROLE_BOUNDARY_ENV`], [`EXECUTION_ROLE_BOUNDARY_ENV`],
    /// [`TRAFFIC_ROLE_BOUNDARY_ENV`],
    /// [`ROLE_TAG_KEYS_ENV`] and [`PULL_THROUGH_REPOSITORIES_ENV`] (unset or empty: none).
    pub fn from_env() -> RoleSettings {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        let list = |name| {
            let all = var(name).unwrap_or_default();
            let items = all.split(',').map(str::trim).filter(|k| !k.is_empty());
            items.map(str::to_string).collect()
        };
        RoleSettings {
            task: var(TASK_ROLE_BOUNDARY_ENV),
            execution: var(EXECUTION_ROLE_BOUNDARY_ENV),
            traffic: var(TRAFFIC_ROLE_BOUNDARY_ENV),
            tag_keys: list(ROLE_TAG_KEYS_ENV),
            pull_through_repositories: list(PULL_THROUGH_REPOSITORIES_ENV),
        }
    }
}

/// The task role's inline policy for ECS Exec.
pub const EXEC_POLICY_NAME: &str = "prod-e-ecs-exec";
/// What ECS Exec needs of the task role, and nothing more (ECS Developer Guide, "ECS Exec":
/// the four `ssmmessages` channel actions, on `*`).
pub const EXEC_POLICY: &str = concat!(
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["#,
    r#""ssmmessages:CreateControlChannel","ssmmessages:CreateDataChannel","#,
    r#""ssmmessages:OpenControlChannel","ssmmessages:OpenDataChannel"],"Resource":"*"}]}"#
);

#[derive(Debug, Clone, PartialEq, Default)]
/// An IAM role as found or created.
pub struct Role {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
    /// The ARN of its permissions boundary, if it has one.
    pub boundary: Option<String>,
}

tagged!(Role, "IAM role", name);

/// The resource called `name` if it exists (`None`, not an error, if it does not).
pub async fn find(iam: &Client, name: &str) -> Result<Option<Role>> {
    let out = iam.get_role().role_name(name).send().await;
    let Some(out) = found(out.doing(format!("reading IAM role ({name})")))? else {
        return Ok(None);
    };
    Ok(out.role().map(|r| Role {
        name: r.role_name().to_string(),
        arn: r.arn().to_string(),
        tags: tags::iam::read(r.tags()),
        boundary: r
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_string),
    }))
}

/// Creates it, assumable as `trust` says, with `tags` and permissions boundary `boundary` (a
/// managed policy ARN); errors are AWS's (an "already exists" is adopted by the caller).
pub async fn create(
    iam: &Client,
    (name, trust): (&str, Trust),
    tags: &Tags,
    boundary: Option<&str>,
) -> Result<Role> {
    let doing = format!("creating IAM role ({name})");
    let out = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.policy)
        .description(trust.description)
        .set_permissions_boundary(boundary.map(str::to_string))
        .set_tags(Some(tags::iam::list(tags, &doing)?))
        .send()
        .await
        .doing(&doing)?;
    let arn = required(out.role().map(|r| r.arn()), Role::KIND, "Arn")?;
    Ok(Role {
        name: name.to_string(),
        arn,
        tags: tags.clone(),
        boundary: boundary.map(str::to_string),
    })
}

/// Sets the permissions boundary of role `name` to the managed policy `boundary`.
pub async fn put_boundary(iam: &Client, name: &str, boundary: &str) -> Result<()> {
    iam.put_role_permissions_boundary()
        .role_name(name)
        .permissions_boundary(boundary)
        .send()
        .await
        .done(format!("setting the boundary of IAM role ({name})"))
}

/// Attaches a managed policy; attaching one that is already attached is a no-op in IAM.
pub async fn attach_policy(iam: &Client, name: &str, policy_arn: &str) -> Result<()> {
    iam.attach_role_policy()
        .role_name(name)
        .policy_arn(policy_arn)
        .send()
        .await
        .done(format!("attaching {policy_arn} to IAM role ({name})"))
}

/// Detaches a managed policy; one not attached counts as detached.
pub async fn detach_policy(iam: &Client, name: &str, policy_arn: &str) -> Result<()> {
    let detached = iam
        .detach_role_policy()
        .role_name(name)
        .policy_arn(policy_arn)
        .send()
        .await;
    gone(detached.done(format!("detaching {policy_arn} from IAM role ({name})")))
}

/// The managed policies attached to a role.
pub async fn attached_policies(iam: &Client, name: &str) -> Result<Vec<String>> {
    let out = iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .doing(format!("listing policies of IAM role ({name})"))?;
    Ok(out
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect())
}

/// Puts (creates or replaces) the inline policy `policy` of role `name`.
pub async fn put_policy(iam: &Client, name: &str, policy: &str, document: &str) -> Result<()> {
    iam.put_role_policy()
        .role_name(name)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .await
        .done(format!("putting policy {policy} on IAM role ({name})"))
}

/// Deletes the inline policy `policy` of role `name`; one already gone counts as deleted.
pub async fn delete_policy(iam: &Client, name: &str, policy: &str) -> Result<()> {
    let deleted = iam
        .delete_role_policy()
        .role_name(name)
        .policy_name(policy)
        .send()
        .await;
    gone(deleted.done(format!("deleting policy {policy} of IAM role ({name})")))
}

/// The document of role `name`'s inline policy `policy` (`None` if it has none by that name),
/// decoded: IAM answers it URL-encoded (IAM API Reference, GetRolePolicy).
pub async fn policy_document(iam: &Client, name: &str, policy: &str) -> Result<Option<String>> {
    let out = iam
        .get_role_policy()
        .role_name(name)
        .policy_name(policy)
        .send()
        .await;
    let doing = format!("reading policy {policy} of IAM role ({name})");
    let Some(out) = found(out.doing(doing))? else {
        return Ok(None);
    };
    let encoded = percent_encoding::percent_decode_str(out.policy_document());
    Ok(Some(encoded.decode_utf8_lossy().into_owned()))
}

/// The names of a role's inline policies.
pub async fn inline_policies(iam: &Client, name: &str) -> Result<Vec<String>> {
    let out = iam.list_role_policies().role_name(name).send().await;
    let out = out.doing(format!("listing inline policies of IAM role ({name})"))?;
    Ok(out.policy_names().to_vec())
}

/// Detaches managed policies, deletes inline ones (both listed at once; the changes one at a
/// time, as IAM wants for one role), then deletes the role.
pub async fn delete(iam: &Client, name: &str) -> Result<()> {
    let (attached, inline) = tokio::join!(attached_policies(iam, name), inline_policies(iam, name));
    let (Some(attached), Some(inline)) = (found(attached)?, found(inline)?) else {
        return Ok(());
    };
    for arn in attached {
        detach_policy(iam, name, &arn).await?;
    }
    for policy in inline {
        delete_policy(iam, name, &policy).await?;
    }
    retry(ROLE_DELETE_CONFLICT, is_delete_conflict, || async {
        let deleted = iam.delete_role().role_name(name).send().await;
        gone(deleted.done(format!("deleting IAM role ({name})")))
    })
    .await
}

/// Every role whose name starts with `prefix` and ends with `suffix`, with its tags (ListRoles
/// carries none: one GetRole per match).
pub async fn list(iam: &Client, (prefix, suffix): (&str, &str)) -> Result<Vec<Role>> {
    let listed = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .every(format!("listing IAM roles ({prefix}*)"))
        .await?;
    let mut roles = Vec::new();
    for name in listed
        .iter()
        .map(|r| r.role_name())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
    {
        roles.extend(find(iam, name).await?);
    }
    Ok(roles)
}
