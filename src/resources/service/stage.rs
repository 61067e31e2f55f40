//! Where a service's deployment in progress is: its lifecycle stage (ECS API Reference,
//! ListServiceDeployments with `status` IN_PROGRESS or ROLLBACK_IN_PROGRESS, then
//! DescribeServiceDeployments:
//! `lifecycleStage`, e.g. `SCALE_UP`, `PRODUCTION_TRAFFIC_SHIFT`, `BAKE_TIME`, `CLEAN_UP`).

use aws_sdk_ecs::types::ServiceDeploymentStatus;
use aws_sdk_ecs::Client;

/// The lifecycle stage of service `name`'s deployment in progress; `None` when none is, or
/// when it cannot be read (a progress line only leaves it out).
pub async fn stage(ecs: &Client, cluster: &str, name: &str) -> Option<String> {
    let listed = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service(name)
        .status(ServiceDeploymentStatus::InProgress)
        .status(ServiceDeploymentStatus::RollbackInProgress)
        .send()
        .await
        .ok()?;
    let first = listed.service_deployments().first()?;
    let arn = first.service_deployment_arn()?.to_string();
    let described = ecs
        .describe_service_deployments()
        .service_deployment_arns(arn)
        .send()
        .await
        .ok()?;
    let stage = described.service_deployments().first()?.lifecycle_stage()?;
    Some(stage.as_str().to_string())
}
