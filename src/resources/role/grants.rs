//! What a set's roles are granted, in the words of the properties: [`Grants`] as read
//! ([`grants`]), the task role's and the execution role's as a spec asks for them
//! ([`task_role`], [`execution_role`]), and their flatten ([`TASK_ROLE`], [`EXECUTION_ROLE`]).

use aws_sdk_iam::Client;
use serde_json::Value;

use super::documents::secrets_policy;
use super::{attached_policies, policy_document, Role};
use crate::error::Result;
use crate::resources::settings::{listed, Setting};
use crate::spec::Spec;

/// What a role is granted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grants {
    /// The managed policies attached to it.
    pub attached: Vec<String>,
    /// The document of one of its inline policies, if it has it.
    pub document: Option<String>,
    /// Whether it has a permissions boundary.
    pub boundary: bool,
}

/// Role `r`'s grants: its attached policies and the document of its inline policy `policy`,
/// read at once.
pub async fn grants(iam: &Client, r: &Role, policy: &str) -> Result<Grants> {
    let (attached, document) = tokio::join!(
        attached_policies(iam, &r.name),
        policy_document(iam, &r.name, policy),
    );
    Ok(Grants {
        attached: attached?,
        document: document?,
        boundary: r.boundary.is_some(),
    })
}

/// The task role's grants `spec` asks for (its inline policy is [`super::TASK_POLICY_NAME`]).
pub fn task_role(spec: &Spec) -> Grants {
    Grants {
        attached: spec.task_role_policy_arns.clone(),
        document: spec.task_role_policy.clone(),
        boundary: true,
    }
}

/// The execution role's secrets grant `spec` asks for (its inline policy is
/// [`super::SECRETS_POLICY_NAME`], which exists only with secrets).
pub fn execution_role(spec: &Spec) -> Grants {
    Grants {
        document: secrets_policy(spec),
        boundary: true,
        ..Grants::default()
    }
}

/// The task role's grants by their flatten (a role made before boundaries gets one at its
/// next grant).
pub const TASK_ROLE: &[Setting<Grants>] = &[
    Setting::new("TaskRolePolicyArns", |g| listed(g.attached.clone())),
    Setting::new("TaskRolePolicy", |g| compact(g.document.as_deref())),
    Setting::new("task role's permissions boundary", |g| {
        let boundary = if g.boundary { "set" } else { "none" };
        boundary.to_string()
    }),
];

/// The execution role's secrets grant by its flatten: the key it may decrypt with.
pub const EXECUTION_ROLE: &[Setting<Grants>] = &[Setting::new("SecretsKmsKeyArn", |g| {
    kms_key(g.document.as_deref())
})];

/// A policy document as compact JSON, `none` without one.
fn compact(document: Option<&str>) -> String {
    let parsed = document.and_then(|d| serde_json::from_str::<Value>(d).ok());
    parsed.map_or("none".to_string(), |v| v.to_string())
}

/// The resource of the `kms:Decrypt` statement of a policy document, `none` without one.
fn kms_key(document: Option<&str>) -> String {
    let parsed = document.and_then(|d| serde_json::from_str::<Value>(d).ok());
    let statements = parsed
        .as_ref()
        .and_then(|p| p["Statement"].as_array().cloned());
    let decrypt = statements
        .into_iter()
        .flatten()
        .find(|s| s["Action"] == "kms:Decrypt");
    let resource = decrypt.map(|s| match &s["Resource"] {
        Value::Array(keys) => {
            let keys = keys.iter().filter_map(|k| k.as_str());
            keys.collect::<Vec<_>>().join(",")
        }
        other => other.as_str().unwrap_or_default().to_string(),
    });
    resource.unwrap_or_else(|| "none".into())
}
