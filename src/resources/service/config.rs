//! The service's settings in ECS's types: its network, its deployment configuration, and its
//! capacity provider strategy (and the strategy ECS reports, in prod-e's words).

use aws_sdk_ecs::types::builders::DeploymentConfigurationBuilder;
use aws_sdk_ecs::types::{
    AdvancedConfiguration, AssignPublicIp, AwsVpcConfiguration, CanaryConfiguration,
    CapacityProviderStrategyItem as EcsItem, DeploymentAlarms, DeploymentCircuitBreaker,
    DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookAction,
    DeploymentLifecycleHookStage, DeploymentLifecycleHookTargetType,
    DeploymentLifecycleHookTimeoutConfiguration, DeploymentStrategy, LinearConfiguration,
    LoadBalancer, NetworkConfiguration,
};
use aws_smithy_types::{Document, Number};

use crate::spec::capacity::{self, CapacityProviderStrategyItem};
use crate::spec::hooks::LifecycleHook;
use crate::spec::Spec;

/// A strategy ECS reports, in the words of [`capacity::describe`].
pub(super) fn capacity_described(items: &[EcsItem]) -> String {
    let items: Vec<CapacityProviderStrategyItem> = items
        .iter()
        .map(|i| CapacityProviderStrategyItem {
            capacity_provider: i.capacity_provider().to_string(),
            weight: i.weight(),
            base: i.base(),
        })
        .collect();
    capacity::describe(&items)
}

/// The ECS form of a `CapacityProviderStrategy` (empty: the FARGATE launch type instead).
pub(crate) fn capacity_strategy(
    items: &[CapacityProviderStrategyItem],
) -> Result<Vec<EcsItem>, aws_sdk_ecs::error::BuildError> {
    items
        .iter()
        .map(|i| {
            EcsItem::builder()
                .capacity_provider(&i.capacity_provider)
                .weight(i.weight)
                .base(i.base)
                .build()
        })
        .collect()
}

/// The target group ECS registers the tasks in and, with a native strategy, what ECS moves
/// traffic with ([`Advanced`]).
#[derive(Debug, Clone, Copy)]
pub struct Balancer<'a> {
    /// The primary target group.
    pub target_group_arn: &'a str,
    /// The alternate target group, the production rule and the traffic role.
    pub advanced: Option<Advanced<'a>>,
}

/// ECS's `advancedConfiguration` of a load balancer: the alternate target group, the
/// production listener rule whose weights ECS moves, and the role it moves them with.
#[derive(Debug, Clone, Copy)]
pub struct Advanced<'a> {
    /// The alternate target group's ARN.
    pub alternate_target_group_arn: &'a str,
    /// The production listener rule's ARN.
    pub production_listener_rule: &'a str,
    /// The traffic role's ARN.
    pub role_arn: &'a str,
    /// The test listener rule's ARN, with a test route.
    pub test_listener_rule: Option<&'a str>,
}

/// The service's load balancer: `balancer`'s groups, `spec`'s container and port.
pub(super) fn load_balancer(spec: &Spec, balancer: Balancer<'_>) -> LoadBalancer {
    let advanced = balancer.advanced.map(|a| {
        AdvancedConfiguration::builder()
            .alternate_target_group_arn(a.alternate_target_group_arn)
            .production_listener_rule(a.production_listener_rule)
            .role_arn(a.role_arn)
            .set_test_listener_rule(a.test_listener_rule.map(str::to_string))
            .build()
    });
    LoadBalancer::builder()
        .target_group_arn(balancer.target_group_arn)
        .container_name(&spec.container_name)
        .container_port(i32::from(spec.container_port))
        .set_advanced_configuration(advanced)
        .build()
}

/// `spec`'s deployments: its strategy with its bake times (the canary's and the linear
/// steps' settings only with their strategy; ECS API Reference, `DeploymentConfiguration`),
/// its lifecycle hooks invoked with `hooks_role` (always sent with a native strategy, so that
/// removing them removes them; with ROLLING, none, sent as `[]` when `hooks_role` is given:
/// the service leaves a native strategy), and the rolling settings below.
fn strategy(
    spec: &Spec,
    hooks_role: Option<&str>,
    b: DeploymentConfigurationBuilder,
) -> DeploymentConfigurationBuilder {
    let b = b.strategy(DeploymentStrategy::from(spec.deployment_strategy.as_str()));
    if !spec.native_strategy() {
        return b.set_lifecycle_hooks(hooks_role.map(|_| Vec::new()));
    }
    let (canary, linear) = (&spec.canary_configuration, &spec.linear_configuration);
    let pause = (!spec.smoke_checks.is_empty()).then(pause);
    let hooks = spec.lifecycle_hooks.iter().map(|h| hook(h, hooks_role));
    let hooks = hooks.chain(pause);
    let b = b
        .bake_time_in_minutes(spec.bake_time_in_minutes as i32)
        .set_lifecycle_hooks(Some(hooks.collect()));
    match spec.deployment_strategy.as_str() {
        "CANARY" => b.canary_configuration(
            CanaryConfiguration::builder()
                .canary_percent(canary.canary_percent.0)
                .canary_bake_time_in_minutes(canary.canary_bake_time_in_minutes as i32)
                .build(),
        ),
        "LINEAR" => b.linear_configuration(
            LinearConfiguration::builder()
                .step_percent(linear.step_percent.0)
                .step_bake_time_in_minutes(linear.step_bake_time_in_minutes as i32)
                .build(),
        ),
        _ => b,
    }
}

/// One `LifecycleHooks` item as ECS takes it: a Lambda hook ECS invokes with `role`.
fn hook(h: &LifecycleHook, role: Option<&str>) -> DeploymentLifecycleHook {
    let stages = h.lifecycle_stages.iter().map(|s| s.as_str().into());
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::AwsLambda)
        .hook_target_arn(&h.hook_target_arn)
        .set_role_arn(role.map(str::to_string))
        .set_lifecycle_stages(Some(stages.collect::<Vec<DeploymentLifecycleHookStage>>()))
        .set_hook_details(h.hook_details.as_ref().map(document))
        .build()
}

/// How long ECS keeps a deployment paused for `SmokeChecks` before it rolls it back: as long as
/// CloudFormation waits for a custom resource at most (`ServiceTimeout`, 3600 s at most and
/// by default: CloudFormation User Guide, "Custom resources"), so that a deployment whose
/// operation CloudFormation gave up on does not stay paused. Rollback, not continue: no check
/// passed.
pub const PAUSE_MINUTES: i32 = 60;

/// The stage `SmokeChecks` pause at: the new revision has all the test traffic and none of
/// production's (ECS API Reference, `DeploymentLifecycleHook.lifecycleStages`).
pub const PAUSE_STAGE: DeploymentLifecycleHookStage =
    DeploymentLifecycleHookStage::PostTestTrafficShift;

/// The `PAUSE` hook of `SmokeChecks`: the deployment waits at [`PAUSE_STAGE`] until prod-e
/// calls ContinueServiceDeployment, or rolls back after [`PAUSE_MINUTES`] (ECS Developer
/// Guide, "Pause hooks for Amazon ECS service deployments"; `PAUSE` takes no function or role).
fn pause() -> DeploymentLifecycleHook {
    let timeout = DeploymentLifecycleHookTimeoutConfiguration::builder()
        .timeout_in_minutes(PAUSE_MINUTES)
        .action(DeploymentLifecycleHookAction::Rollback)
        .build();
    DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .set_lifecycle_stages(Some(vec![PAUSE_STAGE]))
        .timeout_configuration(timeout)
        .build()
}

/// A JSON value as the SDK's document type.
fn document(v: &serde_json::Value) -> Document {
    use serde_json::Value;
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Document::Number(Number::PosInt(u)),
            (None, Some(i)) => Document::Number(Number::NegInt(i)),
            _ => Document::Number(Number::Float(n.as_f64().unwrap_or_default())),
        },
        Value::String(s) => Document::String(s.clone()),
        Value::Array(a) => Document::Array(a.iter().map(document).collect()),
        Value::Object(o) => {
            Document::Object(o.iter().map(|(k, v)| (k.clone(), document(v))).collect())
        }
    }
}

/// `spec`'s rolling deployments: its percentages, the circuit breaker with its rollback on or
/// off together (ECS Developer Guide, "deployment circuit breaker"), and its deployment alarms
/// with rollback, always sent so that removing them turns them off: UpdateService keeps
/// alarms it is not told to drop (ECS Developer Guide, "How CloudWatch alarms detect Amazon
/// ECS deployment failures"; aws/copilot-cli#4565 sends `[]` with `enable: false` for that).
pub(super) fn rollout(
    spec: &Spec,
    hooks_role: Option<&str>,
) -> Result<DeploymentConfiguration, aws_sdk_ecs::error::BuildError> {
    let breaker = DeploymentCircuitBreaker::builder()
        .enable(spec.circuit_breaker)
        .rollback(spec.circuit_breaker)
        .build();
    let on = !spec.deployment_alarms.is_empty();
    let alarms = DeploymentAlarms::builder()
        .set_alarm_names(Some(spec.deployment_alarms.clone()))
        .enable(on)
        .rollback(on)
        .build()?;
    Ok(
        strategy(spec, hooks_role, DeploymentConfiguration::builder())
            .alarms(alarms)
            .deployment_circuit_breaker(breaker)
            .maximum_percent(spec.maximum_percent as i32)
            .minimum_healthy_percent(spec.minimum_healthy_percent as i32)
            .build(),
    )
}

pub(crate) fn network(
    spec: &Spec,
    security_group_id: &str,
) -> Result<NetworkConfiguration, aws_sdk_ecs::error::BuildError> {
    let public_ip = if spec.assign_public_ip {
        AssignPublicIp::Enabled
    } else {
        AssignPublicIp::Disabled
    };
    let groups =
        std::iter::once(security_group_id.to_string()).chain(spec.security_group_ids.clone());
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(spec.subnet_ids.clone()))
        .set_security_groups(Some(groups.collect()))
        .assign_public_ip(public_ip)
        .build()?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

/// A service's rolling deployment settings, as DescribeServices shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rolling {
    /// `minimumHealthyPercent`.
    pub minimum_healthy_percent: i32,
    /// `maximumPercent`.
    pub maximum_percent: i32,
    /// Whether the circuit breaker is on.
    pub circuit_breaker: bool,
    /// The deployment alarms, if they are on.
    pub alarms: Vec<String>,
    /// `strategy` (ROLLING when ECS shows none).
    pub strategy: String,
    /// `bakeTimeInMinutes`, if shown.
    pub bake_time_in_minutes: Option<i32>,
    /// `canaryConfiguration` as `<percent> % for <minutes> min`, if shown.
    pub canary: Option<String>,
    /// `linearConfiguration` as `<percent> % every <minutes> min`, if shown.
    pub linear: Option<String>,
    /// `lifecycleHooks` as `<function ARN> at <stage>+<stage>`, `; `-separated.
    pub hooks: String,
    /// The functions of `lifecycleHooks`.
    pub hook_functions: Vec<String>,
    /// The `PAUSE` hooks of `lifecycleHooks` as `pause at <stage>+<stage>, <action> after
    /// <minutes> min`, `; `-separated ("" with none).
    pub pauses: String,
}

impl Rolling {
    /// The settings in `c`.
    pub(super) fn of(c: &DeploymentConfiguration) -> Rolling {
        let alarms = c.alarms().filter(|a| a.enable());
        Rolling {
            minimum_healthy_percent: c.minimum_healthy_percent().unwrap_or_default(),
            maximum_percent: c.maximum_percent().unwrap_or_default(),
            circuit_breaker: c.deployment_circuit_breaker().is_some_and(|b| b.enable()),
            alarms: alarms.map(|a| a.alarm_names().to_vec()).unwrap_or_default(),
            strategy: c.strategy().map_or("ROLLING", |s| s.as_str()).to_string(),
            bake_time_in_minutes: c.bake_time_in_minutes(),
            canary: c.canary_configuration().map(|k| {
                let percent = k.canary_percent().unwrap_or_default();
                let bake = k.canary_bake_time_in_minutes().unwrap_or_default();
                format!("{percent} % for {bake} min")
            }),
            linear: c.linear_configuration().map(|k| {
                let percent = k.step_percent().unwrap_or_default();
                let bake = k.step_bake_time_in_minutes().unwrap_or_default();
                format!("{percent} % every {bake} min")
            }),
            hooks: hooks_described(c.lifecycle_hooks()),
            pauses: pauses_described(c.lifecycle_hooks()),
            hook_functions: c
                .lifecycle_hooks()
                .iter()
                .filter_map(|h| h.hook_target_arn().map(str::to_string))
                .collect(),
        }
    }
}

/// Lifecycle hooks in the words of [`Rolling::hooks`] (their roles and details left out;
/// `PAUSE` hooks are [`Rolling::pauses`]).
fn hooks_described(hooks: &[DeploymentLifecycleHook]) -> String {
    let one = |h: &DeploymentLifecycleHook| {
        let arn = h.hook_target_arn().unwrap_or_default();
        format!("{arn} at {}", stages(h))
    };
    let lambdas = hooks.iter().filter(|h| !is_pause(h));
    lambdas.map(one).collect::<Vec<_>>().join("; ")
}

/// `PAUSE` hooks in the words of [`Rolling::pauses`].
fn pauses_described(hooks: &[DeploymentLifecycleHook]) -> String {
    let one = |h: &DeploymentLifecycleHook| {
        let timeout = h.timeout_configuration();
        let action = timeout.and_then(|t| t.action()).map_or("", |a| a.as_str());
        let minutes = timeout.and_then(|t| t.timeout_in_minutes()).unwrap_or(1440);
        format!("pause at {}, {action} after {minutes} min", stages(h))
    };
    let pauses = hooks.iter().filter(|h| is_pause(h));
    pauses.map(one).collect::<Vec<_>>().join("; ")
}

/// A hook's stages, `+`-separated.
fn stages(h: &DeploymentLifecycleHook) -> String {
    let stages: Vec<&str> = h.lifecycle_stages().iter().map(|s| s.as_str()).collect();
    stages.join("+")
}

/// Whether `h` is a `PAUSE` hook (ECS's default target type is `AWS_LAMBDA`).
fn is_pause(h: &DeploymentLifecycleHook) -> bool {
    h.target_type() == Some(&DeploymentLifecycleHookTargetType::Pause)
}

/// A service's network as ECS reports it (`awsvpcConfiguration`), beside [`network`] which
/// makes it from a spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    /// Its subnets.
    pub subnets: Vec<String>,
    /// Its security groups (prod-e's own among them).
    pub security_groups: Vec<String>,
    /// Whether its tasks get public IPs.
    pub assign_public_ip: bool,
}

impl Network {
    /// The network `n` configures (empty if none): a service's, or [`network`]'s.
    pub(super) fn of(n: Option<&NetworkConfiguration>) -> Network {
        let config = n.and_then(|n| n.awsvpc_configuration());
        config.map_or_else(Network::default, |c| Network {
            subnets: c.subnets().to_vec(),
            security_groups: c.security_groups().to_vec(),
            assign_public_ip: c.assign_public_ip() == Some(&AssignPublicIp::Enabled),
        })
    }
}
