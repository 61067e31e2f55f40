//! Rule 20: a task whose container pulls its image with `repositoryCredentials` starts only if
//! its execution role may read that secret (`secretsmanager:GetSecretValue`; ECS Developer
//! Guide, "Private registry authentication for tasks": otherwise the task stops with
//! `ResourceInitializationError: unable to pull secrets or registry auth`). Moto starts no
//! task, so the rule plays it: a service created or updated onto such a revision whose
//! execution role's inline policies allow no read of the secret rolls out as the circuit
//! breaker leaves it. The policies are read from moto with prod-e's own readers.

use serde_json::Value;

use prod_e::resources::role;

use super::{AwsRules, Rule, Upstream};
use crate::iam::glob;
use crate::rollout::Rollout;
use crate::{ACCOUNT, REGION};

/// On CreateService or UpdateService (`body`): if the revision's registry credentials cannot
/// be read by its execution role, the service's rollout fails.
pub async fn unreadable(rules: &AwsRules, moto: &Upstream, body: &Value) {
    let revision = body["taskDefinition"].as_str().unwrap_or_default();
    if !rules.on(Rule::Credentials) || revision.is_empty() {
        return;
    }
    let asked = serde_json::json!({"taskDefinition": revision});
    let Some(found) = moto.ecs("DescribeTaskDefinition", asked).await else {
        return;
    };
    let definition = &found["taskDefinition"];
    let containers = definition["containerDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let secrets: Vec<String> = containers
        .iter()
        .filter_map(|c| c["repositoryCredentials"]["credentialsParameter"].as_str())
        .map(str::to_string)
        .collect();
    let role = definition["executionRoleArn"].as_str().unwrap_or_default();
    let role = role.rsplit('/').next().unwrap_or_default();
    let Some(secret) = secrets.first() else {
        return;
    };
    if reads(moto, role, secret).await {
        return;
    }
    let service = body["serviceName"]
        .as_str()
        .or(body["service"].as_str())
        .unwrap_or_default();
    let cluster = body["cluster"].as_str().unwrap_or_default();
    let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{service}");
    let stopped = format!(
        "(service {service}) task stopped: ResourceInitializationError: unable to pull secrets \
         or registry auth: unable to retrieve secret from asm: AccessDeniedException: the \
         execution role is not authorized to perform secretsmanager:GetSecretValue on {secret}"
    );
    moto.rollouts()
        .set_for(&arn, Rollout::Failed(vec![stopped]));
}

/// Whether an inline policy of role `name` allows `secretsmanager:GetSecretValue` on `secret`.
async fn reads(moto: &Upstream, name: &str, secret: &str) -> bool {
    let Ok(policies) = role::inline_policies(&moto.iam, name).await else {
        return true;
    };
    for policy in policies {
        let Ok(Some(document)) = role::policy_document(&moto.iam, name, &policy).await else {
            continue;
        };
        let document: Value = serde_json::from_str(&document).unwrap_or_default();
        if allows(&document, "secretsmanager:GetSecretValue", secret) {
            return true;
        }
    }
    false
}

/// Whether `document` has an Allow of `action` on `resource` (globs, strings or lists).
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
    let statements = list_of(&document["Statement"]);
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && list(&s["Action"]).iter().any(|a| glob(a, action))
            && list(&s["Resource"]).iter().any(|r| glob(r, resource))
    })
}

fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}
