//! Rules 20 and 21: what a task's execution role must be allowed for the task to pull its
//! image; moto starts no task, so the rules play what ECS does. Rule 20: a container that
//! pulls with `repositoryCredentials` starts only if the role may read that secret
//! (`secretsmanager:GetSecretValue`; ECS Developer Guide, "Private registry authentication for
//! tasks": otherwise `ResourceInitializationError: unable to pull secrets or registry auth`).
//! Rule 21: an image in a repository under an ECR pull-through cache prefix is made and filled
//! from upstream at its first pull, which needs `ecr:BatchImportUpstreamImage` there (ECR User
//! Guide, "IAM permissions required to sync an upstream registry with an Amazon ECR private
//! registry"; otherwise `CannotPullContainerError`). A service created or updated onto such a
//! revision without the grant rolls out as the circuit breaker leaves it. The role's inline
//! policies are read from moto with prod-e's own readers.

use serde_json::Value;

use prod_e::resources::role;
use prod_e::spec::overlap::globs_meet;

use super::ecs::service_of;
use super::{AwsRules, Rule, Upstream};

const GET_SECRET: &str = "secretsmanager:GetSecretValue";
const IMPORT: &str = "ecr:BatchImportUpstreamImage";

/// On CreateService or UpdateService (`body`) onto revision `definition`: if its registry
/// credentials cannot be read by its execution role, or its pull-through cache image cannot be
/// imported, the event its rollout fails with.
pub async fn unreadable(
    rules: &AwsRules,
    moto: &Upstream,
    (body, definition): (&Value, &Value),
) -> Option<String> {
    let containers = definition["containerDefinitions"].as_array()?;
    let role = definition["executionRoleArn"].as_str().unwrap_or_default();
    let role = role.rsplit('/').next().unwrap_or_default();
    let needs = [
        secret(rules, containers).map(|s| (GET_SECRET, s)),
        cached(rules, containers).map(|r| (IMPORT, r)),
    ];
    for (action, resource) in needs.into_iter().flatten() {
        if !allowed(moto, role, (action, &resource)).await {
            let reason = match action {
                IMPORT => "CannotPullContainerError: pull access denied",
                _ => "ResourceInitializationError: unable to pull secrets or registry auth",
            };
            return Some(format!(
                "(service {}) task stopped: {reason}: the execution role is not authorized to \
                 perform {action} on {resource}",
                service_of(body)
            ));
        }
    }
    None
}

/// The registry credentials' secret of the first container that has one (rule 20).
fn secret(rules: &AwsRules, containers: &[Value]) -> Option<String> {
    let found = containers.iter().find_map(|c| {
        let credentials = &c["repositoryCredentials"]["credentialsParameter"];
        credentials.as_str().map(str::to_string)
    })?;
    rules.on(Rule::Credentials).then_some(found)
}

/// The repository ARN of the first container image under a pull-through cache prefix (rule 21).
fn cached(rules: &AwsRules, containers: &[Value]) -> Option<String> {
    if !rules.on(Rule::PullThroughCache) {
        return None;
    }
    let prefixes = rules.pull_through();
    containers.iter().find_map(|c| {
        let repository = role::ecr_repository(c["image"].as_str()?)?;
        let name = repository.split_once(":repository/")?.1.to_string();
        let under = |p: &String| name.starts_with(&format!("{p}/"));
        prefixes.iter().any(under).then_some(repository)
    })
}

/// Whether an inline policy of role `name` allows `action` on `resource` (a role whose
/// policies cannot be read counts as allowing it: the rules here judge the grant, not the
/// role).
async fn allowed(moto: &Upstream, name: &str, (action, resource): (&str, &str)) -> bool {
    grants(moto, name, (action, resource)).await.unwrap_or(true)
}

/// Whether an inline policy of role `name` allows `action` on `resource`; `None` if its
/// policies cannot be read (no such role).
pub(super) async fn grants(
    moto: &Upstream,
    name: &str,
    (action, resource): (&str, &str),
) -> Option<bool> {
    let policies = role::inline_policies(&moto.iam, name).await.ok()?;
    for policy in policies {
        let Ok(Some(document)) = role::policy_document(&moto.iam, name, &policy).await else {
            continue;
        };
        let document: Value = serde_json::from_str(&document).unwrap_or_default();
        if allows(&document, action, resource) {
            return Some(true);
        }
    }
    Some(false)
}

/// Whether `document` has an Allow of `action` on `resource` (strings or lists of patterns
/// with `*` and `?`, as IAM reads them).
fn allows(document: &Value, action: &str, resource: &str) -> bool {
    let list = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &document["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Action"])
                .iter()
                .any(|a| globs_meet(a, action, false))
            && list(&s["Resource"])
                .iter()
                .any(|r| globs_meet(r, resource, false))
    })
}
