//! A service's deployments as ECS lists them beyond DescribeServices (ECS API Reference,
//! ListServiceDeployments by `status`, then DescribeServiceDeployments): the newest in some
//! statuses, and the lifecycle stage of the one in progress (`lifecycleStage`, e.g.
//! `SCALE_UP`, `PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, `CLEAN_UP`).

use aws_sdk_ecs::types::{ServiceDeployment, ServiceDeploymentStatus};
use aws_sdk_ecs::Client;

use crate::error::{Doing, Result};

/// The newest (by `createdAt`: the list's order is not documented) of service `name`'s
/// deployments in `statuses`; `None` if it has none.
pub async fn newest(
    ecs: &Client,
    cluster: &str,
    name: &str,
    statuses: Vec<ServiceDeploymentStatus>,
) -> Result<Option<ServiceDeployment>> {
    let doing = format!("reading the deployments of ECS service ({name})");
    let listed = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(name)
        .set_status(Some(statuses))
        .send()
        .await
        .doing(&doing)?;
    let arns: Vec<String> = listed
        .service_deployments()
        .iter()
        .filter_map(|d| d.service_deployment_arn().map(str::to_string))
        .collect();
    if arns.is_empty() {
        return Ok(None);
    }
    let described = ecs
        .describe_service_deployments()
        .set_service_deployment_arns(Some(arns))
        .send()
        .await
        .doing(&doing)?;
    let newest = described
        .service_deployments()
        .iter()
        .max_by_key(|d| d.created_at().map(|t| (t.secs(), t.subsec_nanos())));
    Ok(newest.cloned())
}

/// The lifecycle stage of service `name`'s deployment in progress (or being rolled back);
/// `None` when none is, or when it cannot be read (a progress line only leaves it out).
pub async fn stage(ecs: &Client, cluster: &str, name: &str) -> Option<String> {
    use ServiceDeploymentStatus::{InProgress, RollbackInProgress};
    let running = newest(ecs, cluster, name, vec![InProgress, RollbackInProgress]).await;
    let stage = running.ok()??.lifecycle_stage()?.as_str().to_string();
    Some(stage)
}

/// A deployment waiting at a `PAUSE` lifecycle hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paused {
    /// The service deployment's ARN.
    pub deployment_arn: String,
    /// The hook's id, for ContinueServiceDeployment.
    pub hook_id: String,
    /// The service's name.
    pub service: String,
}

/// Service `name`'s deployment in progress, if it waits at a `PAUSE` hook: one of its
/// `lifecycleHookDetails` of target type `PAUSE` is `AWAITING_ACTION` (ECS Developer Guide,
/// "Pause hooks for Amazon ECS service deployments": the `hookId` comes from
/// DescribeServiceDeployments).
pub async fn paused(ecs: &Client, cluster: &str, name: &str) -> Result<Option<Paused>> {
    use aws_sdk_ecs::types::{DeploymentLifecycleHookStatus, DeploymentLifecycleHookTargetType};
    let running = newest(
        ecs,
        cluster,
        name,
        vec![ServiceDeploymentStatus::InProgress],
    )
    .await?;
    let Some(d) = running else {
        return Ok(None);
    };
    let waiting = d.lifecycle_hook_details().iter().find(|h| {
        h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
            && h.status() == Some(&DeploymentLifecycleHookStatus::AwaitingAction)
    });
    Ok(waiting.and_then(|h| {
        Some(Paused {
            deployment_arn: d.service_deployment_arn()?.to_string(),
            hook_id: h.hook_id()?.to_string(),
            service: name.to_string(),
        })
    }))
}

/// Ends the pause `p`: the deployment goes on (`rollback` false) or rolls back to the
/// revision it replaces (ECS API Reference, ContinueServiceDeployment, `action` CONTINUE or
/// ROLLBACK; the hook must be `AWAITING_ACTION` and the deployment `IN_PROGRESS`).
pub async fn resume(ecs: &Client, p: &Paused, rollback: bool) -> Result<()> {
    use aws_sdk_ecs::types::DeploymentLifecycleHookAction::{Continue, Rollback};
    let action = if rollback { Rollback } else { Continue };
    ecs.continue_service_deployment()
        .service_deployment_arn(&p.deployment_arn)
        .hook_id(&p.hook_id)
        .action(action.clone())
        .send()
        .await
        .doing(format!(
            "answering {} to the paused deployment ({})",
            action.as_str(),
            p.deployment_arn
        ))?;
    Ok(())
}
