//! The custom resource's Properties: typed and validated (every problem at once) as the table
//! in [`schema`] describes them, the diff old → new ([`Diff`]), and the lenient [`Locator`] for
//! Delete.

pub mod alarms;
pub mod capacity;
pub mod caps;
pub mod checks;
mod diff;
pub mod documents;
pub mod egress;
pub mod health;
mod locator;
pub mod object;
pub mod overlap;
pub mod policy;
pub mod problem;
pub mod property;
mod reader;
pub mod routing;
pub mod scaling;
pub mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::naming::{Tags, FINGERPRINT_LEN};
pub use diff::Diff;
pub use locator::Locator;
use object::Object;
pub use problem::{Invalid, Problem};
use reader::Reader;
use routing::{HttpHeader, QueryStringValue, Routing};
use schema::{Default, Property, ALIASES, CLOUDFORMATION_PROPERTIES, PROPERTIES};

/// What a deployment should be. Serialized field names are the property names ([`schema`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Spec {
    /// The `VpcId` property.
    pub vpc_id: String,
    /// The `SubnetIds` property.
    pub subnet_ids: Vec<String>,
    /// The `ListenerArn` property.
    pub listener_arn: String,
    /// The `LoadBalancerSecurityGroupId` property.
    pub load_balancer_security_group_id: String,
    /// The `LoadBalancerEgress` property: whether prod-e makes the load balancer's outbound
    /// rule to the tasks.
    pub load_balancer_egress: bool,
    /// The `SecurityGroupIds` property: groups the tasks join beside prod-e's own.
    pub security_group_ids: Vec<String>,
    /// The `Egress` property: the tasks' group's outbound rules (empty: all traffic out).
    pub egress: Vec<Object>,
    /// The `ClusterName` property.
    pub cluster_name: String,
    /// The `ContainerInsights` property (`None`: the account's default, left as it is).
    pub container_insights: Option<String>,
    /// The `ServiceName` property.
    pub service_name: String,
    /// The `TaskFamily` property.
    pub task_family: String,
    /// The `ContainerName` property.
    pub container_name: String,
    /// The `Image` property.
    pub image: String,
    /// The container's command, as in an ECS container definition (empty: see
    /// [`crate::default_server::command`]).
    pub command: Vec<String>,
    /// The container's entry point (empty: the image's own).
    pub entry_point: Vec<String>,
    /// The `ContainerPort` property.
    pub container_port: u16,
    /// Fargate CPU units.
    pub cpu: u32,
    /// Fargate memory, MiB.
    pub memory: u32,
    /// The `CpuArchitecture` property (`X86_64` or `ARM64`).
    pub cpu_architecture: String,
    /// The `EphemeralStorageGiB` property (`None`: Fargate's 20 GiB).
    #[serde(rename = "EphemeralStorageGiB")]
    pub ephemeral_storage_gib: Option<u32>,
    /// The `ReadonlyRootFilesystem` property.
    pub readonly_root_filesystem: bool,
    /// The `StopTimeout` property, seconds.
    pub stop_timeout: u32,
    /// The `DesiredCount` property.
    pub desired_count: u32,
    /// The `AutoScaling` property (`None`: off).
    pub auto_scaling: Option<Object>,
    /// The `ScheduledActions` property.
    pub scheduled_actions: Vec<Object>,
    /// The `AssignPublicIp` property.
    pub assign_public_ip: bool,
    /// The `AllowSingleAz` property.
    pub allow_single_az: bool,
    /// The `HealthCheck` property (every field set: given or defaulted).
    pub health_check: Object,
    /// The `HealthCheckGracePeriodSeconds` property.
    pub health_check_grace_period_seconds: u32,
    /// The `MinimumHealthyPercent` property.
    pub minimum_healthy_percent: u32,
    /// The `MaximumPercent` property.
    pub maximum_percent: u32,
    /// The `CircuitBreaker` property.
    pub circuit_breaker: bool,
    /// The `DeploymentAlarms` property (a baseline alarm as `prod-e:<kind>`: [`alarms`]).
    pub deployment_alarms: Vec<String>,
    /// The `Alarms` property.
    pub alarms: bool,
    /// The `DeregistrationDelaySeconds` property.
    pub deregistration_delay_seconds: u32,
    /// The `ContainerHealthCheck` property.
    pub container_health_check: Option<Object>,
    /// The `EnableExecuteCommand` property.
    pub enable_execute_command: bool,
    /// The `CapacityProviderStrategy` property (empty: the FARGATE launch type).
    pub capacity_provider_strategy: Vec<Object>,
    /// The `RulePriority` property (`None`: prod-e chooses a free one).
    pub rule_priority: Option<u32>,
    /// The `PathPatterns` property.
    pub path_patterns: Vec<String>,
    /// The `HostHeaders` property.
    pub host_headers: Vec<String>,
    /// The `HttpHeader` property.
    pub http_header: Option<HttpHeader>,
    /// The `QueryString` property.
    pub query_string: Vec<QueryStringValue>,
    /// The `ShadowedRuleArns` property.
    pub shadowed_rule_arns: Vec<String>,
    /// The `LogRetentionDays` property.
    pub log_retention_days: i32,
    /// The `Environment` property.
    pub environment: BTreeMap<String, String>,
    /// The `Secrets` property: variable name → secret or parameter ARN.
    pub secrets: BTreeMap<String, String>,
    /// The `SecretsKmsKeyArn` property (`""`: none).
    pub secrets_kms_key_arn: String,
    /// The `RepositoryCredentials` property.
    pub repository_credentials: Option<Object>,
    /// The `TaskRolePolicyArns` property.
    pub task_role_policy_arns: Vec<String>,
    /// The `TaskRolePolicy` property, as compact JSON (`None`: none).
    pub task_role_policy: Option<String>,
    /// The `Tags` property.
    pub tags: Tags,
    /// The `WaitForSteadyState` property.
    pub wait_for_steady_state: bool,
}

impl Spec {
    /// Validates `properties` (a JSON object as CloudFormation sends it: scalars may be strings,
    /// `""` is "not set"). Errors: every problem found, each naming its property.
    pub fn parse(properties: &Value) -> Result<Spec, Invalid> {
        let empty = Map::new();
        let (props, mut problems) = match properties {
            Value::Object(map) => (map, Vec::new()),
            Value::Null => (&empty, Vec::new()),
            _ => (
                &empty,
                vec![Problem::new("Properties", "must be an object")],
            ),
        };
        for name in props.keys() {
            let known = schema::property(name).is_some()
                || ALIASES.iter().any(|alias| alias.name == name)
                || CLOUDFORMATION_PROPERTIES.contains(&name.as_str());
            if !known {
                problems.push(Problem::new(name, "unknown property"));
            }
        }
        let mut r = Reader { props, problems };
        let spec = read(&mut r);
        if let Err(message) = checks::fargate_size(spec.cpu, spec.memory) {
            let named = |p: &Problem| p.property == "Cpu" || p.property == "Memory";
            if !r.problems.iter().any(named) {
                r.problems.push(Problem::new("Cpu/Memory", &message));
            }
        }
        if spec.enable_execute_command && spec.readonly_root_filesystem {
            // ECS Developer Guide, "ECS Exec" considerations: a read-only root filesystem
            // is not supported.
            let message = "ECS Exec does not work with ReadonlyRootFilesystem: true";
            r.problems
                .push(Problem::new("EnableExecuteCommand", message));
        }
        if let Err(message) = checks::rolling(
            spec.desired_count,
            spec.minimum_healthy_percent,
            spec.maximum_percent,
        ) {
            r.problems.push(Problem::new("MaximumPercent", &message));
        }
        for message in alarms::problems(&spec.deployment_alarms, spec.alarms) {
            r.problems.push(Problem::new("DeploymentAlarms", &message));
        }
        if !spec.scheduled_actions.is_empty() && spec.auto_scaling.is_none() {
            let message = "needs AutoScaling (the bounds it changes)";
            r.problems.push(Problem::new("ScheduledActions", message));
        }
        for message in spec.routing().problems() {
            r.problems
                .push(Problem::new("listener rule conditions", &message));
        }
        match r.problems.is_empty() {
            true => Ok(spec),
            false => Err(Invalid(r.problems)),
        }
    }

    /// The target group's health check.
    pub fn target_health_check(&self) -> health::TargetHealthCheck {
        health::TargetHealthCheck::of(&self.health_check)
    }

    /// The secrets the execution role reads for the task: `Secrets`' values and the
    /// `RepositoryCredentials` secret.
    pub fn secret_sources(&self) -> Vec<String> {
        let credentials = self.repository_credentials.as_ref();
        let credentials = credentials.map(|o| o.text("CredentialsParameter"));
        self.secrets.values().cloned().chain(credentials).collect()
    }

    /// The outbound rules the tasks' group should have ([`egress::wanted`]).
    pub fn egress_rules(&self) -> Vec<egress::Rule> {
        egress::wanted(&self.egress)
    }

    /// The listener rule's conditions.
    pub fn routing(&self) -> Routing {
        Routing {
            host_headers: self.host_headers.clone(),
            path_patterns: self.path_patterns.clone(),
            http_header: self.http_header.clone(),
            query_string: self.query_string.clone(),
        }
    }

    /// Names of the properties whose values differ between `self` (old) and `new`.
    pub fn diff(&self, new: &Spec) -> Diff {
        let (old_map, new_map) = (as_map(self), as_map(new));
        let changed = PROPERTIES
            .iter()
            .map(|p| p.name)
            .filter(|name| old_map.get(*name) != new_map.get(*name))
            .collect();
        let uses = |s: &Spec| !s.capacity_provider_strategy.is_empty();
        Diff {
            changed,
            capacity_switch: uses(self) != uses(new),
            reapplied: false,
        }
    }

    /// 8 hex digits of a hash of the replacement-class properties: part of the
    /// PhysicalResourceId, so that a replacement gets a new id and its own names. Whether the
    /// service uses capacity providers counts too (ECS cannot switch a service between a launch
    /// type and a strategy in place); it enters the hash only when it does, so that the ids
    /// of sets without one stay what they were.
    pub fn fingerprint(&self) -> String {
        let all = as_map(self);
        let mut fixed: Map<String, Value> = PROPERTIES
            .iter()
            .filter(|p| p.needs_replacement())
            .map(|p| {
                let value = all.get(p.name).cloned().unwrap_or(Value::Null);
                (p.name.to_string(), value)
            })
            .collect();
        if !self.capacity_provider_strategy.is_empty() {
            fixed.insert("UsesCapacityProviders".into(), Value::Bool(true));
        }
        let digest = Sha256::digest(Value::Object(fixed).to_string().as_bytes());
        digest
            .iter()
            .take(FINGERPRINT_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Every property, read in the table's order (problems are reported in this order).
fn read(r: &mut Reader) -> Spec {
    use schema::*;
    Spec {
        vpc_id: r.text(&VPC_ID),
        subnet_ids: r.subnets(&SUBNET_IDS),
        listener_arn: r.text(&LISTENER_ARN),
        load_balancer_security_group_id: r.text(&LOAD_BALANCER_SECURITY_GROUP_ID),
        load_balancer_egress: r.text(&LOAD_BALANCER_EGRESS) == "managed",
        security_group_ids: r.values(&SECURITY_GROUP_IDS),
        egress: r.objects(&EGRESS),
        cluster_name: r.text(&CLUSTER_NAME),
        container_insights: Some(r.text(&CONTAINER_INSIGHTS)).filter(|v| !v.is_empty()),
        service_name: r.text(&SERVICE_NAME),
        task_family: r.text(&TASK_FAMILY),
        container_name: r.text(&CONTAINER_NAME),
        image: r.text(&IMAGE),
        command: r.strings(&COMMAND),
        entry_point: r.strings(&ENTRY_POINT),
        container_port: r.integer(&CONTAINER_PORT) as u16,
        cpu: r.integer(&CPU) as u32,
        memory: r.integer(&MEMORY) as u32,
        cpu_architecture: r.text(&CPU_ARCHITECTURE),
        ephemeral_storage_gib: r.optional_integer(&EPHEMERAL_STORAGE_GIB).map(|n| n as u32),
        readonly_root_filesystem: r.boolean(&READONLY_ROOT_FILESYSTEM),
        stop_timeout: r.integer(&STOP_TIMEOUT) as u32,
        desired_count: r.integer(&DESIRED_COUNT) as u32,
        auto_scaling: r.object(&AUTO_SCALING),
        scheduled_actions: r.objects(&SCHEDULED_ACTIONS),
        assign_public_ip: r.boolean(&ASSIGN_PUBLIC_IP),
        allow_single_az: r.boolean(&ALLOW_SINGLE_AZ),
        health_check: r.object(&HEALTH_CHECK).unwrap_or_default(),
        health_check_grace_period_seconds: r.integer(&HEALTH_CHECK_GRACE_PERIOD_SECONDS) as u32,
        minimum_healthy_percent: r.integer(&MINIMUM_HEALTHY_PERCENT) as u32,
        maximum_percent: r.integer(&MAXIMUM_PERCENT) as u32,
        circuit_breaker: r.boolean(&CIRCUIT_BREAKER),
        deployment_alarms: r.values(&DEPLOYMENT_ALARMS),
        alarms: r.boolean(&ALARMS),
        deregistration_delay_seconds: r.integer(&DEREGISTRATION_DELAY_SECONDS) as u32,
        container_health_check: r.object(&CONTAINER_HEALTH_CHECK),
        enable_execute_command: r.boolean(&ENABLE_EXECUTE_COMMAND),
        capacity_provider_strategy: r.objects(&CAPACITY_PROVIDER_STRATEGY),
        rule_priority: r.optional_integer(&RULE_PRIORITY).map(|n| n as u32),
        path_patterns: r.values(&PATH_PATTERNS),
        host_headers: r.values(&HOST_HEADERS),
        http_header: r.http_header(&HTTP_HEADER),
        query_string: r.query_string(&QUERY_STRING),
        shadowed_rule_arns: r.values(&SHADOWED_RULE_ARNS),
        log_retention_days: r.integer(&LOG_RETENTION_DAYS) as i32,
        environment: r.map(&ENVIRONMENT),
        secrets: r.map(&SECRETS),
        secrets_kms_key_arn: r.text(&SECRETS_KMS_KEY_ARN),
        repository_credentials: r.object(&REPOSITORY_CREDENTIALS),
        task_role_policy_arns: r.values(&TASK_ROLE_POLICY_ARNS),
        task_role_policy: r.policy_document(&TASK_ROLE_POLICY),
        tags: r.map(&TAGS),
        wait_for_steady_state: r.boolean(&WAIT_FOR_STEADY_STATE),
    }
}

/// The default of a text property (`""` if it has none).
pub fn default_text(p: &Property) -> &'static str {
    match p.default {
        Default::Text(t) => t,
        _ => "",
    }
}

fn as_map(spec: &Spec) -> Map<String, Value> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}
