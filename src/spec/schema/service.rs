//! The properties of the cluster, the service, its alarms, logs and tags, and how
//! prod-e itself behaves.

use super::{text, Default, Effect, Kind, Property, ECS_NAME};
use crate::spec::alarms;
use crate::spec::capacity::{self, CapacityProviderStrategyItem};
use crate::spec::checks;
use crate::spec::hooks::{self, LifecycleHook};
use crate::spec::object::typed;
use crate::spec::overrides;
use crate::spec::scaling::{self, AutoScaling, ScheduledAction};
use crate::spec::smoke::{self, SmokeCheck};
use crate::spec::strategy::{self, CanaryConfiguration, LinearConfiguration};

/// The `ClusterName` property.
pub const CLUSTER_NAME: Property = Property {
    name: "ClusterName",
    kind: text(checks::ecs_name, ECS_NAME),
    default: Default::Text("prod-e-cluster"),
    effect: Effect::Replacement,
    doc: "ECS cluster (used as given)",
};
/// The `ContainerInsights` property.
pub const CONTAINER_INSIGHTS: Property = Property {
    name: "ContainerInsights",
    kind: text(checks::container_insights, "^(disabled|enabled|enhanced)$"),
    default: Default::Chosen("the account's default (ECS account setting `containerInsights`)"),
    effect: Effect::Insights,
    doc: "CloudWatch Container Insights on the cluster: `disabled`, `enabled` or `enhanced` \
         (a replacement that keeps ClusterName changes the shared cluster's, and its rollback \
         does not restore it; removing the property leaves the cluster as it is)",
};
/// The `ServiceName` property.
pub const SERVICE_NAME: Property = Property {
    name: "ServiceName",
    kind: text(checks::service_name, "^[A-Za-z0-9_-]{1,246}$"),
    default: Default::Text("prod-e-service"),
    effect: Effect::Replacement,
    doc: "ECS service (used as given, at most 246 characters: a replacement may append its \
         fingerprint)",
};
/// The `DesiredCount` property.
pub const DESIRED_COUNT: Property = Property {
    name: "DesiredCount",
    kind: Kind::Integer { min: 0, max: 5000 },
    default: Default::Integer(1),
    effect: Effect::DesiredCount,
    doc: "tasks",
};
/// The `AutoScaling` property.
pub const AUTO_SCALING: Property = Property {
    name: "AutoScaling",
    kind: Kind::Object {
        fields: AutoScaling::FIELDS,
        check: |o| scaling::auto_scaling(&o.into()),
    },
    default: Default::Empty,
    effect: Effect::Scaling,
    doc: "Application Auto Scaling of the task count: MinCapacity, MaxCapacity, and target \
         tracking on any of CpuTarget, MemoryTarget (percent), RequestsPerTarget (ALB requests \
         per task per minute), with ScaleInCooldown and ScaleOutCooldown (seconds); while it \
         is on, an Update never resets the count the scaler chose, and DesiredCount only \
         seeds a new service",
};
/// The `ScheduledActions` property.
pub const SCHEDULED_ACTIONS: Property = Property {
    name: "ScheduledActions",
    kind: Kind::Objects {
        fields: ScheduledAction::FIELDS,
        check: |items| scaling::scheduled(&typed(items)),
        max: scaling::SCHEDULED_MAX,
    },
    default: Default::Empty,
    effect: Effect::Scaling,
    doc: "scheduled changes of AutoScaling's bounds: a list of {ScheduledActionName, Schedule, \
         Timezone, MinCapacity, MaxCapacity} (Application Auto Scaling's keys, the \
         ScalableTargetAction's two flattened); needs AutoScaling",
};
/// The `HealthCheckGracePeriodSeconds` property.
pub const HEALTH_CHECK_GRACE_PERIOD_SECONDS: Property = Property {
    name: "HealthCheckGracePeriodSeconds",
    kind: Kind::Integer {
        min: 0,
        max: i32::MAX as i64,
    },
    default: Default::Integer(120),
    effect: Effect::Deployment,
    doc: "seconds after a task is RUNNING (image pull not counted) during which failed health \
         checks do not stop it (default 120, AWS's 0: with the default health check an app \
         that answers within 110 s of starting is never replaced, and a healthy task is \
         healthy at once whatever the grace period)",
};
/// The `MinimumHealthyPercent` property.
pub const MINIMUM_HEALTHY_PERCENT: Property = Property {
    name: "MinimumHealthyPercent",
    kind: Kind::Integer { min: 0, max: 100 },
    default: Default::Integer(100),
    effect: Effect::Deployment,
    doc: "during a deployment, the running tasks never fall below this share of DesiredCount \
         (ECS `minimumHealthyPercent`) (default 100, AWS's: no capacity is lost during a \
         deployment)",
};
/// The `MaximumPercent` property.
pub const MAXIMUM_PERCENT: Property = Property {
    name: "MaximumPercent",
    kind: Kind::Integer {
        min: 1,
        max: i32::MAX as i64,
    },
    default: Default::Integer(200),
    effect: Effect::Deployment,
    doc: "during a deployment, running and pending tasks never exceed this share of \
         DesiredCount (ECS `maximumPercent`); with MinimumHealthyPercent it must let a \
         deployment start or stop at least one task (ECS rounds this down, that up) (default \
         200, AWS's: every new task starts at once, one batch)",
};
/// The `CircuitBreaker` property.
pub const CIRCUIT_BREAKER: Property = Property {
    name: "CircuitBreaker",
    kind: Kind::Boolean,
    default: Default::Boolean(true),
    effect: Effect::Deployment,
    doc: "ECS's deployment circuit breaker with rollback: a deployment whose tasks keep failing \
         is rolled back and the operation answers FAILED; off, it is retried until \
         ServiceTimeout",
};
/// The `DeploymentAlarms` property.
pub const DEPLOYMENT_ALARMS: Property = Property {
    name: "DeploymentAlarms",
    kind: Kind::Values {
        check: checks::alarm_name,
        max: DEPLOYMENT_ALARMS_MAX,
    },
    default: Default::Chosen(
        "with Alarms on, `[\"prod-e:target-5xx\", \"prod-e:unhealthy-targets\"]` (the alarm \
         gate); `[]` for a set made before the gate was the default",
    ),
    effect: Effect::Deployment,
    doc: "names of CloudWatch alarms that fail a deployment when they go into ALARM: ECS rolls \
         it back and the operation answers FAILED naming them (ECS deployment alarms); `[]` \
         turns the gate off and keeps the alarms",
};
/// The `DeploymentStrategy` property.
pub const DEPLOYMENT_STRATEGY: Property = Property {
    name: "DeploymentStrategy",
    kind: text(strategy::strategy, "^(ROLLING|BLUE_GREEN|CANARY|LINEAR)$"),
    default: Default::Text("ROLLING"),
    effect: Effect::Strategy,
    doc: "how ECS deploys a new revision (ECS `deploymentConfiguration.strategy`): ROLLING \
         replaces tasks in batches; BLUE_GREEN starts the whole new revision on an alternate \
         target group and moves all traffic at once, CANARY moves CanaryConfiguration's share \
         first, LINEAR moves LinearConfiguration's steps; these three keep the old revision \
         for BakeTimeInMinutes and roll back to it at once when a deployment alarm fires \
         (prod-e makes the alternate target group and the role ECS moves traffic with); \
         changing it is in place",
};
/// The `BakeTimeInMinutes` property.
pub const BAKE_TIME_IN_MINUTES: Property = Property {
    name: "BakeTimeInMinutes",
    kind: Kind::Integer { min: 0, max: 1440 },
    default: Default::Integer(3),
    effect: Effect::Strategy,
    doc: "minutes the old revision stays ready after all traffic has moved, a rollback being \
         one listener rule change: ECS's `bakeTimeInMinutes` with BLUE_GREEN, CANARY or LINEAR, \
         and prod-e's own after a replacement's traffic moved (at most 10 minutes), whatever \
         the strategy, while DeploymentAlarms are watched (default 3: a 3-minute alarm can \
         fire first)",
};
/// The `CanaryConfiguration` property.
pub const CANARY_CONFIGURATION: Property = Property {
    name: "CanaryConfiguration",
    kind: Kind::Object {
        fields: CanaryConfiguration::FIELDS,
        check: |_| Ok(()),
    },
    default: Default::Fields,
    effect: Effect::Strategy,
    doc: "with CANARY: CanaryPercent (of production traffic, 0.1–100) and \
         CanaryBakeTimeInMinutes (0–1440), ECS's keys",
};
/// The `LinearConfiguration` property.
pub const LINEAR_CONFIGURATION: Property = Property {
    name: "LinearConfiguration",
    kind: Kind::Object {
        fields: LinearConfiguration::FIELDS,
        check: |_| Ok(()),
    },
    default: Default::Fields,
    effect: Effect::Strategy,
    doc: "with LINEAR: StepPercent (of production traffic each step, 3–100) and \
         StepBakeTimeInMinutes (between steps, 0–1440), ECS's keys",
};
/// The `LifecycleHooks` property.
pub const LIFECYCLE_HOOKS: Property = Property {
    name: "LifecycleHooks",
    kind: Kind::Objects {
        fields: LifecycleHook::FIELDS,
        check: |items| hooks::items(&typed(items)),
        max: hooks::HOOKS_MAX,
    },
    default: Default::Empty,
    effect: Effect::Strategy,
    doc: "with BLUE_GREEN, CANARY or LINEAR: a list of {HookTargetArn, LifecycleStages, \
         HookDetails}, ECS's keys: Lambda functions ECS invokes at those stages of each \
         deployment, a FAILED answer rolling it back and the operation answering FAILED \
         naming the hook; ECS invokes them with the set's traffic role, allowed exactly these \
         functions, among the template's LifecycleHookFunctionArns; changing them is in place",
};
/// The `SmokeChecks` property.
pub const SMOKE_CHECKS: Property = Property {
    name: "SmokeChecks",
    kind: Kind::Objects {
        fields: SmokeCheck::FIELDS,
        check: |items| smoke::items(&typed(items)),
        max: smoke::CHECKS_MAX,
    },
    default: Default::Empty,
    effect: Effect::Strategy,
    doc: "with a test route (TestHostHeaders or TestPathPatterns) and WaitForSteadyState: a \
         list of {Path, ExpectedStatus, TimeoutSeconds}, GET requests a one-off task of each \
         new revision sends through the test listener rule from the tasks' subnets before \
         production traffic moves (ECS pauses the deployment after its test traffic shift); a \
         wrong status rolls the deployment back and the operation answers FAILED naming the \
         check and the answer; the image needs sh and curl or wget, and no EntryPoint; \
         changing them is in place",
};
/// prod-e's bound on `DeploymentAlarms` (ECS documents none).
const DEPLOYMENT_ALARMS_MAX: usize = 20;
/// The `Alarms` property.
pub const ALARMS: Property = Property {
    name: "Alarms",
    kind: Kind::Boolean,
    default: Default::Boolean(true),
    effect: Effect::Alarms,
    doc: "baseline CloudWatch alarms, owned and tagged like the rest: high CPU and high memory \
         (80 % for 3 minutes), target 5xx answers (10 or more a minute for 3 minutes) and \
         unhealthy targets (any for 3 minutes); their names are Data attributes, and \
         DeploymentAlarms may name them as `prod-e:cpu-high`, `prod-e:memory-high`, \
         `prod-e:target-5xx`, `prod-e:unhealthy-targets`; CloudWatch bills each alarm \
         (docs/properties.md, \"The alarm gate\"); a set made before it was on by default \
         keeps it off until its properties say otherwise",
};
/// The `AlarmActions` property.
pub const ALARM_ACTIONS: Property = Property {
    name: "AlarmActions",
    kind: Kind::Values {
        check: alarms::topic_arn,
        max: alarms::ACTIONS_MAX,
    },
    default: Default::Empty,
    effect: Effect::Alarms,
    doc: "with Alarms: SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:NAME) each baseline alarm \
         notifies when it goes into ALARM and back to OK (CloudWatch's AlarmActions and \
         OKActions); the topic's access policy must let cloudwatch.amazonaws.com publish; \
         changing them is in place",
};
/// The `LogRetentionDays` property.
pub const LOG_RETENTION_DAYS: Property = Property {
    name: "LogRetentionDays",
    kind: Kind::OneOf(&checks::LOG_RETENTION_DAYS),
    default: Default::Integer(30),
    effect: Effect::Retention,
    doc: "log group retention, one of CloudWatch's values",
};
/// The `Tags` property.
pub const TAGS: Property = Property {
    name: "Tags",
    kind: Kind::Map {
        check_key: checks::user_tag,
        check_value: checks::user_tag_value,
        max: Some((
            checks::MAX_USER_TAGS,
            "tags (prod-e adds 3 of its own; IAM allows 50)",
        )),
    },
    default: Default::Empty,
    effect: Effect::Tags,
    doc: "extra tags on every resource (keys of 1–128 and values of up to 256 letters, digits, \
         spaces and `_ . : / = + - @`; keys may not start with `aws:` or `prod-e:`)",
};
/// The `WaitForSteadyState` property.
pub const WAIT_FOR_STEADY_STATE: Property = Property {
    name: "WaitForSteadyState",
    kind: Kind::Boolean,
    default: Default::Boolean(true),
    effect: Effect::Behaviour,
    doc: "Create and Update answer only once the service is steady",
};
/// The `EnableExecuteCommand` property.
pub const ENABLE_EXECUTE_COMMAND: Property = Property {
    name: "EnableExecuteCommand",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::Exec,
    doc: "ECS Exec into running tasks (the task role gets the four ssmmessages actions it \
         needs; not with ReadonlyRootFilesystem)",
};
/// The `CapacityProviderStrategy` property.
pub const CAPACITY_PROVIDER_STRATEGY: Property = Property {
    name: "CapacityProviderStrategy",
    kind: Kind::Objects {
        fields: CapacityProviderStrategyItem::FIELDS,
        check: |items| capacity::strategy(&typed(items)),
        max: 2,
    },
    default: Default::Empty,
    effect: Effect::Capacity,
    doc: "Fargate Spot: a list of {CapacityProvider: FARGATE or FARGATE_SPOT, Weight, Base} as \
         in CloudFormation (empty: the FARGATE launch type); going to or from a strategy is a \
         replacement, changing one is in place",
};

/// The `ServiceOverrides` property.
pub const SERVICE_OVERRIDES: Property = Property {
    name: "ServiceOverrides",
    kind: Kind::Overrides {
        check: overrides::service,
    },
    default: Default::Empty,
    effect: Effect::Deployment,
    doc: "the escape hatch: CreateService and UpdateService members, in ECS's own names, \
         merged into the requests prod-e sends: availabilityZoneRebalancing, platformVersion, \
         serviceRegistries, serviceConnectConfiguration (without a roleArn; others are \
         prod-e's, a property's, or pass a role); a member removed later keeps its value",
};

/// This file's properties as fields of [`crate::spec::Spec`], `field: Type = CONST`, in the
/// README's order, handed on down the chain that `spec!` (in `crate::spec`) ends: a property
/// is its `CONST` above and its line here.
macro_rules! service_fields {
    ([$next:ident $(, $rest:ident)*] $($fields:tt)*) => {
        $next! { [$($rest),*] $($fields)*
            cluster_name: String = CLUSTER_NAME,
            /// `None`: the account's default, left as it is.
            container_insights: Option<String> = CONTAINER_INSIGHTS,
            service_name: String = SERVICE_NAME,
            desired_count: u32 = DESIRED_COUNT,
            /// `None`: off.
            auto_scaling: Option<AutoScaling> = AUTO_SCALING,
            scheduled_actions: Vec<ScheduledAction> = SCHEDULED_ACTIONS,
            health_check_grace_period_seconds: u32 = HEALTH_CHECK_GRACE_PERIOD_SECONDS,
            minimum_healthy_percent: u32 = MINIMUM_HEALTHY_PERCENT,
            maximum_percent: u32 = MAXIMUM_PERCENT,
            circuit_breaker: bool = CIRCUIT_BREAKER,
            /// A baseline alarm as `prod-e:<kind>`: [`alarms`].
            deployment_alarms: Vec<String> = DEPLOYMENT_ALARMS,
            /// One of [`strategy::STRATEGIES`].
            deployment_strategy: String = DEPLOYMENT_STRATEGY,
            bake_time_in_minutes: u32 = BAKE_TIME_IN_MINUTES,
            /// Every field set: given or defaulted.
            canary_configuration: CanaryConfiguration = CANARY_CONFIGURATION,
            /// Every field set: given or defaulted.
            linear_configuration: LinearConfiguration = LINEAR_CONFIGURATION,
            lifecycle_hooks: Vec<LifecycleHook> = LIFECYCLE_HOOKS,
            smoke_checks: Vec<SmokeCheck> = SMOKE_CHECKS,
            alarms: bool = ALARMS,
            alarm_actions: Vec<String> = ALARM_ACTIONS,
            enable_execute_command: bool = ENABLE_EXECUTE_COMMAND,
            /// Empty: the FARGATE launch type.
            capacity_provider_strategy:
                Vec<CapacityProviderStrategyItem> = CAPACITY_PROVIDER_STRATEGY,
            log_retention_days: i32 = LOG_RETENTION_DAYS,
            tags: Tags = TAGS,
            wait_for_steady_state: bool = WAIT_FOR_STEADY_STATE,
            /// Compact JSON, `None`: none.
            service_overrides: Option<String> = SERVICE_OVERRIDES,
        }
    };
}
pub(crate) use service_fields;
