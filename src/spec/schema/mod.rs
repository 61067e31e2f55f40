//! The one table of `Custom::ProdEService` Properties: name, type, default, what a change does
//! and one line of documentation each. The parser ([`super::Spec::parse`]), the unknown-name
//! check, the update diff and its effects, `prod-e plan`, the README's property table and the
//! JSON Schema ([`super::documents`]) all come from it.

mod network;
mod service;
mod task;

pub use network::*;
pub use service::*;
pub use task::*;

pub use super::property::{Default, Effect, Kind, Property};

const fn text(check: fn(&str) -> Result<(), String>, pattern: &'static str) -> Kind {
    Kind::Text {
        check,
        pattern: Some(pattern),
    }
}

const ECS_NAME: &str = "^[A-Za-z0-9_-]{1,255}$";

/// Every property, in the order of the README's table.
pub const PROPERTIES: [Property; 53] = [
    VPC_ID,
    SUBNET_IDS,
    LISTENER_ARN,
    LOAD_BALANCER_SECURITY_GROUP_ID,
    LOAD_BALANCER_EGRESS,
    SECURITY_GROUP_IDS,
    EGRESS,
    CLUSTER_NAME,
    CONTAINER_INSIGHTS,
    SERVICE_NAME,
    TASK_FAMILY,
    CONTAINER_NAME,
    IMAGE,
    COMMAND,
    ENTRY_POINT,
    CONTAINER_PORT,
    CPU,
    MEMORY,
    CPU_ARCHITECTURE,
    EPHEMERAL_STORAGE_GIB,
    READONLY_ROOT_FILESYSTEM,
    STOP_TIMEOUT,
    DESIRED_COUNT,
    AUTO_SCALING,
    SCHEDULED_ACTIONS,
    ASSIGN_PUBLIC_IP,
    ALLOW_SINGLE_AZ,
    HEALTH_CHECK,
    HEALTH_CHECK_GRACE_PERIOD_SECONDS,
    MINIMUM_HEALTHY_PERCENT,
    MAXIMUM_PERCENT,
    CIRCUIT_BREAKER,
    DEPLOYMENT_ALARMS,
    ALARMS,
    DEREGISTRATION_DELAY_SECONDS,
    CONTAINER_HEALTH_CHECK,
    ENABLE_EXECUTE_COMMAND,
    CAPACITY_PROVIDER_STRATEGY,
    RULE_PRIORITY,
    PATH_PATTERNS,
    HOST_HEADERS,
    HTTP_HEADER,
    QUERY_STRING,
    SHADOWED_RULE_ARNS,
    LOG_RETENTION_DAYS,
    ENVIRONMENT,
    SECRETS,
    SECRETS_KMS_KEY_ARN,
    REPOSITORY_CREDENTIALS,
    TASK_ROLE_POLICY_ARNS,
    TASK_ROLE_POLICY,
    TAGS,
    WAIT_FOR_STEADY_STATE,
];

/// CloudFormation's own properties, always allowed and never ours to interpret.
pub const CLOUDFORMATION_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// An old name still accepted: for a whole property, or for one field of an object property.
/// Giving both is a problem.
#[derive(Debug, Clone, Copy)]
pub struct Alias {
    /// The old name.
    pub name: &'static str,
    /// The property it stands for.
    pub property: &'static str,
    /// The field of that (object) property it stands for, if not the whole.
    pub field: Option<&'static str>,
}

/// Every old name still accepted.
pub const ALIASES: [Alias; 2] = [
    Alias {
        name: "PathPattern",
        property: "PathPatterns",
        field: None,
    },
    Alias {
        name: "HealthCheckPath",
        property: "HealthCheck",
        field: Some("Path"),
    },
];

/// The property called `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The alias of property `name` (of the whole or of a field), if it has one.
pub fn alias_of(name: &str) -> Option<&'static Alias> {
    ALIASES.iter().find(|a| a.property == name)
}
