//! An in-place change of the ECS service: one UpdateService with only what changes
//! (`ServiceOverrides` merged into it when they change).

use aws_sdk_ecs::Client;

use super::super::{build_error, overrides};
use super::config::{capacity_strategy, load_balancer, network, rollout};
use super::Balancer;
use crate::error::{is_fresh_role_unusable, Doing, Result};
use crate::retry::{retry, ROLE_PROPAGATION};
use crate::spec::capacity::CapacityProviderStrategyItem;
use crate::spec::Spec;

/// One UpdateService call with only the fields that change.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    /// Tasks it should run.
    pub desired_count: Option<u32>,
    /// The task definition revision it runs.
    pub task_definition_arn: Option<&'a str>,
    /// New subnets / public IP / security group, as a whole network configuration.
    pub network: Option<(&'a Spec, &'a str)>,
    /// Seconds after a task starts during which failed health checks do not count.
    pub health_check_grace_period_seconds: Option<u32>,
    /// The deployment settings of this spec (percentages, circuit breaker, strategy), and
    /// the role ECS invokes its `LifecycleHooks` with (the set's traffic role).
    pub deployment_configuration: Option<(&'a Spec, Option<&'a str>)>,
    /// ECS Exec on or off; only new tasks take it, so the change forces a new deployment.
    pub enable_execute_command: Option<bool>,
    /// A new capacity provider strategy (a new deployment too, as ECS requires).
    pub capacity_provider_strategy: Option<&'a [CapacityProviderStrategyItem]>,
    /// The load balancer, with or without a native strategy's advanced configuration: sent
    /// when the strategy switches between ROLLING and a native one (ECS Developer Guide,
    /// "Updating an Amazon ECS service from rolling to blue/green": the load balancer with its
    /// `advancedConfiguration`, in a rolling deployment).
    pub load_balancer: Option<(&'a Spec, Balancer<'a>)>,
    /// `ServiceOverrides` (compact JSON), merged into the request.
    pub overrides: Option<&'a str>,
}

impl Change<'_> {
    /// Whether any field is set (else there is no UpdateService to make).
    pub fn changes_anything(&self) -> bool {
        self.desired_count.is_some()
            || self.task_definition_arn.is_some()
            || self.network.is_some()
            || self.health_check_grace_period_seconds.is_some()
            || self.deployment_configuration.is_some()
            || self.enable_execute_command.is_some()
            || self.capacity_provider_strategy.is_some()
            || self.load_balancer.is_some()
            || self.overrides.is_some()
    }
}

/// One UpdateService with the fields of `change` that are set.
pub async fn update(ecs: &Client, cluster: &str, name: &str, change: Change<'_>) -> Result<()> {
    let doing = format!("updating ECS service ({name})");
    let network = match change.network {
        Some((spec, sg)) => Some(network(spec, sg).map_err(|e| build_error(&doing, e))?),
        None => None,
    };
    let strategy = match change.capacity_provider_strategy {
        Some(items) => Some(capacity_strategy(items).map_err(|e| build_error(&doing, e))?),
        None => None,
    };
    let deployment = match change.deployment_configuration {
        Some((spec, role)) => Some(rollout(spec, role).map_err(|e| build_error(&doing, e))?),
        None => None,
    };
    // ECS Exec reaches only new tasks, and a new strategy needs a new deployment (ECS: "you
    // must force a new deployment").
    let new_deployment =
        change.enable_execute_command.is_some() || change.capacity_provider_strategy.is_some();
    let balancers = change
        .load_balancer
        .map(|(spec, balancer)| vec![load_balancer(spec, balancer)]);
    // A traffic role just made: ECS may not be able to assume it yet.
    retry(ROLE_PROPAGATION, is_fresh_role_unusable, || async {
        ecs.update_service()
            .cluster(cluster)
            .service(name)
            .set_desired_count(change.desired_count.map(|n| n as i32))
            .set_task_definition(change.task_definition_arn.map(str::to_string))
            .set_network_configuration(network.clone())
            .set_health_check_grace_period_seconds(
                change.health_check_grace_period_seconds.map(|s| s as i32),
            )
            .set_deployment_configuration(deployment.clone())
            .set_enable_execute_command(change.enable_execute_command)
            .set_capacity_provider_strategy(strategy.clone())
            .set_load_balancers(balancers.clone())
            .set_force_new_deployment(new_deployment.then_some(true))
            .customize()
            .mutate_request(overrides::merging(change.overrides))
            .send()
            .await
            .done(&doing)
    })
    .await
}
