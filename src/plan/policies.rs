//! The inline policies of an Update: granted before the service rolls (new tasks need them
//! as they start), revoked only once it is steady (until then the circuit breaker may roll
//! back to tasks that still need them).

use crate::aws::Clients;
use crate::error::Result;
use crate::resources::role;
use crate::spec::schema::Effect;
use crate::spec::{Diff, Spec};

/// Puts the secrets policy on the execution role and the ECS Exec policy on the task role,
/// where `diff` changed them and `spec` wants them.
pub(super) async fn grant(
    c: &Clients,
    diff: &Diff,
    spec: &Spec,
    task_role: &str,
    exec_role: &str,
) -> Result<()> {
    if let Some(doc) = role::secrets_policy(spec).filter(|_| secrets_changed(diff)) {
        role::put_policy(&c.iam, exec_role, role::SECRETS_POLICY_NAME, &doc).await?;
    }
    if diff.any(Effect::Exec) && spec.enable_execute_command {
        let (name, doc) = (role::EXEC_POLICY_NAME, role::EXEC_POLICY);
        role::put_policy(&c.iam, task_role, name, doc).await?;
    }
    Ok(())
}

/// Deletes the policies `spec` no longer wants, if `diff` changed them, or on a continuation
/// (an empty `diff`: the first invocation's writes are done, its revocations may not be).
pub(super) async fn revoke(
    c: &Clients,
    diff: &Diff,
    spec: &Spec,
    task_role: &str,
    exec_role: &str,
) -> Result<()> {
    let continued = diff.is_empty();
    let unwanted = [
        (
            exec_role,
            role::SECRETS_POLICY_NAME,
            spec.secrets.is_empty() && (continued || secrets_changed(diff)),
        ),
        (
            task_role,
            role::EXEC_POLICY_NAME,
            !spec.enable_execute_command && (continued || diff.any(Effect::Exec)),
        ),
    ];
    for (role_name, policy, revoke) in unwanted {
        if revoke
            && role::inline_policies(&c.iam, role_name)
                .await?
                .iter()
                .any(|p| p == policy)
        {
            role::delete_policy(&c.iam, role_name, policy).await?;
        }
    }
    Ok(())
}

/// Whether the secrets or their key changed: either rewrites the execution role's policy.
fn secrets_changed(diff: &Diff) -> bool {
    diff.any(Effect::Secrets) || diff.any(Effect::SecretsKey)
}
