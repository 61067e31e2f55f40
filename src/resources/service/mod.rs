//! The ECS service: Fargate, REPLICA, in the private subnets, registered with our target group.

use aws_sdk_ecs::types::{LaunchType, PropagateTags, SchedulingStrategy, ServiceField};
use aws_sdk_ecs::Client;

use super::{build_error, gone, required, Tagged};
use super::{overrides, tags};
use crate::error::{
    is_cluster_not_yet_visible, is_fresh_role_unusable, is_service_busy,
    is_target_group_not_yet_associated, Doing, Error, Every, Result,
};
use crate::naming::Tags;
use crate::retry::{retry, retry_each, Case, NEW_RESOURCE_VISIBLE, ROLE_PROPAGATION, SERVICE_BUSY};
use crate::spec::Spec;

mod change;
mod config;
mod deployments;
mod placement;
mod settings;
mod steady;
pub use change::{update, Change};
use config::{capacity_described, load_balancer, rollout};
pub(crate) use config::{capacity_strategy, network};
pub use config::{Advanced, Balancer, Network, Rolling};
pub use deployments::{paused, resume, stage, Paused};
pub use placement::{Unplaceable, PLACEMENT_FAILURE_BOUND};
pub use settings::{expand, SETTINGS};
pub use steady::{has_failed, is_steady, wait_inactive, wait_steady};

#[derive(Debug, Clone, PartialEq, Default)]
/// An ECS service as found or created, with its rollout as DescribeServices shows it.
pub struct Service {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its status (`ACTIVE`, `DRAINING`, `INACTIVE`).
    pub status: String,
    /// Tasks it should run.
    pub desired_count: i32,
    /// Tasks running.
    pub running_count: i32,
    /// Tasks starting.
    pub pending_count: i32,
    /// The task definition revision (ARN) it runs.
    pub task_definition: String,
    /// How many deployments the service has (one when it is steady).
    pub deployments: usize,
    /// The PRIMARY deployment's rollout state (IN_PROGRESS, COMPLETED, FAILED).
    pub rollout: Option<String>,
    /// The task definition revision the PRIMARY deployment runs.
    pub primary_task_definition: String,
    /// The revision of every deployment, PRIMARY first.
    pub revisions: Vec<String>,
    /// The revisions of the deployments the circuit breaker stopped (rolloutState FAILED).
    pub failed_revisions: Vec<String>,
    /// The latest service events, newest first.
    pub events: Vec<String>,
    /// Tasks ECS has not been able to place or start, as its newest events say.
    pub unplaceable: Option<Unplaceable>,
    /// Whether ECS Exec is on for its new tasks.
    pub enable_execute_command: bool,
    /// The container the load balancer sends traffic to.
    pub container_name: String,
    /// Seconds after a task starts during which failed health checks do not count.
    pub health_check_grace_period_seconds: Option<i32>,
    /// Its capacity provider strategy, as [`crate::spec::capacity::describe`] words it.
    pub capacity: String,
    /// Its rolling deployment settings (`None` if DescribeServices shows none).
    pub rolling: Option<Rolling>,
    /// The target group ECS registers the tasks in (`loadBalancers[0].targetGroupArn`).
    pub target_group_arn: String,
    /// With a native strategy, its alternate target group
    /// (`loadBalancers[0].advancedConfiguration.alternateTargetGroupArn`).
    pub alternate_target_group_arn: Option<String>,
    /// With a native strategy and a test route, its test listener rule
    /// (`loadBalancers[0].advancedConfiguration.testListenerRule`).
    pub test_listener_rule: Option<String>,
    /// Its network (`awsvpcConfiguration`).
    pub network: Network,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(Service, "ECS service", name);

/// What the service is wired to.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    /// The cluster it runs in.
    pub cluster: &'a str,
    /// The task definition revision it runs.
    pub task_definition_arn: &'a str,
    /// Its security group.
    pub security_group_id: &'a str,
    /// The target group it registers with.
    pub target_group_arn: &'a str,
}

/// The service unless it is INACTIVE (deleted) or its cluster is gone.
pub async fn find(ecs: &Client, cluster: &str, name: &str) -> Result<Option<Service>> {
    Ok(find_named(ecs, cluster, &[name.to_string()]).await?.pop())
}

/// Service `name` as ECS's JSON describes it (`None` if there is none), for comparing
/// `ServiceOverrides` ([`overrides::live_at`]).
pub async fn describe_json(
    ecs: &Client,
    cluster: &str,
    name: &str,
) -> Result<Option<serde_json::Value>> {
    let captured = overrides::Captured::default();
    let described = ecs.describe_services().cluster(cluster).services(name);
    let described = described.customize().interceptor(captured.clone()).send();
    described
        .await
        .doing(format!("reading ECS service ({name})"))?;
    let mut found = captured.body().map(|b| b["services"][0].clone());
    // Service Connect's configuration shows on the deployments, not on the service (ECS API
    // Reference, `Service`, `Deployment.serviceConnectConfiguration`): the PRIMARY one's.
    if let Some(service) = found
        .as_mut()
        .filter(|s| s["serviceConnectConfiguration"].is_null())
    {
        let deployments = service["deployments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let primary = deployments.into_iter().find(|d| d["status"] == "PRIMARY");
        if let Some(connect) = primary.map(|d| d["serviceConnectConfiguration"].clone()) {
            service["serviceConnectConfiguration"] = connect;
        }
    }
    Ok(found.filter(|s| !s.is_null()))
}

/// Those of `names` that exist and are not INACTIVE, in one call (a missing cluster means none).
pub async fn find_named(ecs: &Client, cluster: &str, names: &[String]) -> Result<Vec<Service>> {
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .set_services(Some(names.to_vec()))
        .include(ServiceField::Tags)
        .send()
        .await;
    let doing = format!("reading ECS service ({})", names.join(", "));
    let Some(out) = super::found(out.doing(doing))? else {
        return Ok(Vec::new());
    };
    live(out.services())
}

/// The services that are not INACTIVE (deleted).
fn live(services: &[aws_sdk_ecs::types::Service]) -> Result<Vec<Service>> {
    services
        .iter()
        .filter(|s| s.status() != Some("INACTIVE"))
        .map(from_sdk)
        .collect()
}

fn from_sdk(s: &aws_sdk_ecs::types::Service) -> Result<Service> {
    const KIND: &str = Service::KIND;
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    let balancer = s.load_balancers().first();
    let advanced = balancer.and_then(|l| l.advanced_configuration());
    Ok(Service {
        name: required(s.service_name(), KIND, "serviceName")?,
        arn: required(s.service_arn(), KIND, "serviceArn")?,
        status: required(s.status(), KIND, "status")?,
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        pending_count: s.pending_count(),
        task_definition: required(s.task_definition(), KIND, "taskDefinition")?,
        deployments: s.deployments().len(),
        rollout: primary
            .and_then(|d| d.rollout_state())
            .map(|r| r.as_str().to_string()),
        primary_task_definition: primary
            .and_then(|d| d.task_definition())
            .unwrap_or_default()
            .to_string(),
        revisions: s
            .deployments()
            .iter()
            .filter_map(|d| d.task_definition().map(str::to_string))
            .collect(),
        failed_revisions: s
            .deployments()
            .iter()
            .filter(|d| d.rollout_state().is_some_and(|r| r.as_str() == "FAILED"))
            .filter_map(|d| d.task_definition().map(str::to_string))
            .collect(),
        events: s
            .events()
            .iter()
            .take(3)
            .filter_map(|e| e.message().map(str::to_string))
            .collect(),
        unplaceable: placement::unplaceable(s.events()),
        enable_execute_command: s.enable_execute_command(),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
        capacity: capacity_described(s.capacity_provider_strategy()),
        rolling: s.deployment_configuration().map(Rolling::of),
        container_name: text(balancer.and_then(|l| l.container_name())),
        target_group_arn: text(balancer.and_then(|l| l.target_group_arn())),
        alternate_target_group_arn: advanced
            .and_then(|a| a.alternate_target_group_arn())
            .map(str::to_string),
        test_listener_rule: advanced
            .and_then(|a| a.test_listener_rule())
            .map(str::to_string),
        network: Network::of(s.network_configuration()),
        tags: tags::ecs::read(s.tags()),
    })
}

/// `s`, or `""`.
fn text(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

/// Creates the service. `client_token` ([`crate::plan::Owner::client_token`]: unique to this
/// creation, the same when the same request is re-delivered) makes a repeated create return
/// the service the first one made. Retries, each bounded ([`retry_each`]): a fresh role or
/// service-linked role ECS cannot use yet, a cluster created a moment ago, a target group whose
/// rule was just made. A name still held by a DRAINING service is an error
/// ([`crate::error::is_service_draining`]) for the caller to wait out.
pub async fn create(
    ecs: &Client,
    name: &str,
    spec: &Spec,
    links: Links<'_>,
    tags: &Tags,
    client_token: &str,
) -> Result<Service> {
    let doing = format!("creating ECS service ({name})");
    let network = network(spec, links.security_group_id).map_err(|e| build_error(&doing, e))?;
    let deployment = rollout(spec, None).map_err(|e| build_error(&doing, e))?;
    let balancer = Balancer {
        target_group_arn: links.target_group_arn,
        advanced: None,
    };
    let balancer = load_balancer(spec, balancer);
    let strategy =
        capacity_strategy(&spec.capacity_provider_strategy).map_err(|e| build_error(&doing, e))?;
    let launch_type = strategy.is_empty().then_some(LaunchType::Fargate);
    let attempt = || async {
        let out = ecs
            .create_service()
            .cluster(links.cluster)
            .service_name(name)
            .task_definition(links.task_definition_arn)
            .desired_count(spec.desired_count as i32)
            .set_launch_type(launch_type.clone())
            .set_capacity_provider_strategy(Some(strategy.clone()).filter(|s| !s.is_empty()))
            .scheduling_strategy(SchedulingStrategy::Replica)
            .network_configuration(network.clone())
            .load_balancers(balancer.clone())
            .health_check_grace_period_seconds(spec.health_check_grace_period_seconds as i32)
            .enable_execute_command(spec.enable_execute_command)
            .deployment_configuration(deployment.clone())
            .propagate_tags(PropagateTags::Service)
            .enable_ecs_managed_tags(true)
            .client_token(client_token)
            .set_tags(Some(tags::ecs::list(tags)))
            .customize()
            .mutate_request(overrides::merging(spec.service_overrides.as_deref()))
            .send()
            .await
            .doing(&doing)?;
        let Some(created) = out.service() else {
            let (kind, field) = (Service::KIND, "service");
            return Err(Error::Incomplete { kind, field });
        };
        Ok(Service {
            tags: tags.clone(),
            ..from_sdk(created)?
        })
    };
    let cases: [Case; 3] = [
        (ROLE_PROPAGATION, is_fresh_role_unusable),
        (NEW_RESOURCE_VISIBLE, is_cluster_not_yet_visible),
        (NEW_RESOURCE_VISIBLE, is_target_group_not_yet_associated),
    ];
    retry_each(&cases, attempt).await
}

/// Deletes the service with its tasks (`force`: no UpdateService to zero tasks first; ECS
/// drains and stops them as it would after one: "If true, allows you to delete a service even
/// if it wasn't scaled down to zero tasks", ECS API reference, DeleteService), and waits
/// until it is INACTIVE. A service already DRAINING (deleted by an earlier invocation) is
/// only waited for.
pub async fn delete(ecs: &Client, cluster: &str, service: &Service) -> Result<()> {
    let name = service.name.as_str();
    if service.status == "DRAINING" {
        return wait_inactive(ecs, cluster, name).await;
    }
    retry(SERVICE_BUSY, is_service_busy, || async {
        let deleted = ecs
            .delete_service()
            .cluster(cluster)
            .service(name)
            .force(true)
            .send()
            .await;
        gone(deleted.done(format!("deleting ECS service ({name})")))
    })
    .await?;
    wait_inactive(ecs, cluster, name).await
}

/// Every service in `cluster` that is not INACTIVE, with its tags.
pub async fn list(ecs: &Client, cluster: &str) -> Result<Vec<Service>> {
    let doing = format!("listing services of ECS cluster ({cluster})");
    let listed = ecs
        .list_services()
        .cluster(cluster)
        .into_paginator()
        .items()
        .send();
    let Some(arns) = super::found(listed.every(&doing).await)? else {
        return Ok(Vec::new());
    };
    let mut services = Vec::new();
    for batch in arns.chunks(10) {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .include(ServiceField::Tags)
            .send()
            .await
            .doing(&doing)?;
        services.extend(live(out.services())?);
    }
    Ok(services)
}
