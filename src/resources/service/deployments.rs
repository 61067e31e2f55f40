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
