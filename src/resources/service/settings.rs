//! The service's settings in the words of the properties: [`expand`] makes the service a spec
//! asks for through the builders CreateService and UpdateService use, and [`SETTINGS`]
//! flattens it, or the live one, property by property.

use aws_sdk_ecs::error::BuildError;

use super::config::{capacity_described, capacity_strategy, network, rollout, Network, Rolling};
use super::Service;
use crate::naming::{reserved_prefix, Tags};
use crate::resources::settings::{listed, Setting};
use crate::spec::scaling::starting_count;
use crate::spec::Spec;

/// The service `spec` asks for, as [`super::find`] reads one (the count a new one starts with;
/// its name, state and deployments
/// empty; its security groups `SecurityGroupIds`, without the set's own group, which a spec
/// does not know). `spec.deployment_alarms` are the alarms' names as ECS is told them.
/// Errors: a member the SDK requires is missing.
pub fn expand(spec: &Spec) -> Result<Service, BuildError> {
    let network = network(spec, "")?;
    let mut network = Network::of(Some(&network));
    network.security_groups.retain(|g| !g.is_empty());
    Ok(Service {
        desired_count: starting_count(spec.auto_scaling.as_ref(), spec.desired_count, None) as i32,
        enable_execute_command: spec.enable_execute_command,
        health_check_grace_period_seconds: Some(spec.health_check_grace_period_seconds as i32),
        capacity: capacity_described(&capacity_strategy(&spec.capacity_provider_strategy)?),
        rolling: Some(Rolling::of(&rollout(spec, None)?)),
        network,
        tags: spec.tags.clone(),
        ..Service::default()
    })
}

/// Every property the service carries, by its flatten (with `AutoScaling` the count is the
/// scaler's).
pub const SETTINGS: &[Setting<Service>] = &[
    Setting::new("DesiredCount", |s: &Service| s.desired_count.to_string())
        .compared_when(|spec| spec.auto_scaling.is_none()),
    Setting::new("EnableExecuteCommand", |s| {
        s.enable_execute_command.to_string()
    }),
    Setting::new("CapacityProviderStrategy", |s| s.capacity.clone()),
    Setting::reported("HealthCheckGracePeriodSeconds", |s| {
        let grace = s.health_check_grace_period_seconds;
        grace.map(|g| g.to_string())
    }),
    Setting::reported("MinimumHealthyPercent", |s| {
        rolling(s, |r| r.minimum_healthy_percent.to_string())
    }),
    Setting::reported("MaximumPercent", |s| {
        rolling(s, |r| r.maximum_percent.to_string())
    }),
    Setting::reported("CircuitBreaker", |s| {
        rolling(s, |r| r.circuit_breaker.to_string())
    }),
    Setting::reported("DeploymentAlarms", |s| rolling(s, |r| r.alarms.join(","))),
    Setting::reported("DeploymentStrategy", |s| rolling(s, |r| r.strategy.clone())),
    // Shown only with their strategy (`""` without), as ECS is told them.
    Setting::new("BakeTimeInMinutes", |s| {
        let bake = s.rolling.as_ref().and_then(|r| r.bake_time_in_minutes);
        bake.map(|b| b.to_string()).unwrap_or_default()
    }),
    Setting::new("CanaryConfiguration", |s| {
        let canary = s.rolling.as_ref().and_then(|r| r.canary.clone());
        canary.unwrap_or_default()
    }),
    Setting::new("LinearConfiguration", |s| {
        let linear = s.rolling.as_ref().and_then(|r| r.linear.clone());
        linear.unwrap_or_default()
    }),
    Setting::new("LifecycleHooks", |s| {
        s.rolling
            .as_ref()
            .map(|r| r.hooks.clone())
            .unwrap_or_default()
    }),
    Setting::new("SmokeChecks", |s| {
        let pauses = s.rolling.as_ref().map(|r| r.pauses.clone());
        pauses.unwrap_or_default()
    }),
    Setting::new("SubnetIds", |s| listed(s.network.subnets.clone())),
    Setting::new("AssignPublicIp", |s| s.network.assign_public_ip.to_string()),
    Setting::new("SecurityGroupIds", |s| {
        listed(s.network.security_groups.clone())
    }),
    Setting::new("Tags", |s| user_tags(&s.tags)),
];

/// A setting of the service's rolling deployments (`None` if it shows none).
fn rolling(s: &Service, setting: fn(&Rolling) -> String) -> Option<String> {
    s.rolling.as_ref().map(setting)
}

/// The user's tags, `key=value` sorted: neither `aws:` nor prod-e's own.
fn user_tags(tags: &Tags) -> String {
    let user = tags.iter().filter(|(k, _)| reserved_prefix(k).is_none());
    listed(user.map(|(k, v)| format!("{k}={v}")).collect())
}
