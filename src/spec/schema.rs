//! The one table of `Custom::ProdEService` Properties: name, type, default, what a change does
//! and one line of documentation each. The parser ([`super::Spec::parse`]), the unknown-name
//! check, the update diff and its effects, `prod-e plan`, the README's property table and the
//! JSON Schema ([`super::documents`]) all come from it.

use super::{checks, routing};

pub use super::property::{Default, Effect, Kind, Property};

const fn text(check: fn(&str) -> Result<(), String>, pattern: &'static str) -> Kind {
    Kind::Text {
        check,
        pattern: Some(pattern),
    }
}

const ECS_NAME: &str = "^[A-Za-z0-9_-]{1,255}$";

/// The `VpcId` property.
pub const VPC_ID: Property = Property {
    name: "VpcId",
    kind: text(checks::vpc_id, "^vpc-[0-9A-Za-z]+$"),
    default: Default::Required,
    effect: Effect::Replacement,
    doc: "VPC of the tasks and target group",
};
/// The `SubnetIds` property.
pub const SUBNET_IDS: Property = Property {
    name: "SubnetIds",
    kind: Kind::Subnets,
    default: Default::Required,
    effect: Effect::Network,
    doc: "private subnets for the tasks (list, 1–16; a comma-separated string is accepted too)",
};
/// The `ListenerArn` property.
pub const LISTENER_ARN: Property = Property {
    name: "ListenerArn",
    kind: text(
        checks::listener_arn,
        "^arn:.+:elasticloadbalancing:.+:listener/.+$",
    ),
    default: Default::Required,
    effect: Effect::Replacement,
    doc: "the ALB listener that gets our rule",
};
/// The `LoadBalancerSecurityGroupId` property.
pub const LOAD_BALANCER_SECURITY_GROUP_ID: Property = Property {
    name: "LoadBalancerSecurityGroupId",
    kind: text(checks::security_group_id, "^sg-[0-9A-Za-z]+$"),
    default: Default::Required,
    effect: Effect::SourceGroup,
    doc: "the ALB's security group, the only allowed source",
};
/// The `ClusterName` property.
pub const CLUSTER_NAME: Property = Property {
    name: "ClusterName",
    kind: text(checks::ecs_name, ECS_NAME),
    default: Default::Text("prod-e-cluster"),
    effect: Effect::Replacement,
    doc: "ECS cluster (used as given)",
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
/// The `TaskFamily` property.
pub const TASK_FAMILY: Property = Property {
    name: "TaskFamily",
    kind: text(checks::ecs_name, ECS_NAME),
    default: Default::Text("prod-e-task"),
    effect: Effect::TaskDefinition,
    doc: "task definition family (used as given)",
};
/// The `ContainerName` property.
pub const CONTAINER_NAME: Property = Property {
    name: "ContainerName",
    kind: text(checks::ecs_name, ECS_NAME),
    default: Default::Text("dummy-container"),
    effect: Effect::Replacement,
    doc: "container",
};
/// The `Image` property.
pub const IMAGE: Property = Property {
    name: "Image",
    kind: text(checks::image, "^\\S{1,255}$"),
    default: Default::Text(crate::default_server::DEFAULT_IMAGE),
    effect: Effect::TaskDefinition,
    doc: "container image; the default runs a built-in Node HTTP server (see Command)",
};
/// The `Command` property.
pub const COMMAND: Property = Property {
    name: "Command",
    kind: Kind::Strings,
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "the container's command (ECS `command`); with the default image and no Command or \
         EntryPoint, a plain-Node HTTP server on $PORT",
};
/// The `EntryPoint` property.
pub const ENTRY_POINT: Property = Property {
    name: "EntryPoint",
    kind: Kind::Strings,
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "the container's entry point (ECS `entryPoint`; empty: the image's)",
};
/// The `ContainerPort` property.
pub const CONTAINER_PORT: Property = Property {
    name: "ContainerPort",
    kind: Kind::Integer { min: 1, max: 65535 },
    default: Default::Integer(80),
    effect: Effect::Replacement,
    doc: "container = host port (awsvpc)",
};
/// The `Cpu` property.
pub const CPU: Property = Property {
    name: "Cpu",
    kind: Kind::Integer {
        min: 0,
        max: u32::MAX as i64,
    },
    default: Default::Integer(256),
    effect: Effect::TaskDefinition,
    doc: "Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384); with Memory, one \
         of Fargate's pairs",
};
/// The `Memory` property.
pub const MEMORY: Property = Property {
    name: "Memory",
    kind: Kind::Integer {
        min: 0,
        max: u32::MAX as i64,
    },
    default: Default::Integer(512),
    effect: Effect::TaskDefinition,
    doc: "Fargate task memory (MiB); with Cpu, one of Fargate's pairs",
};
/// The `DesiredCount` property.
pub const DESIRED_COUNT: Property = Property {
    name: "DesiredCount",
    kind: Kind::Integer { min: 0, max: 5000 },
    default: Default::Integer(1),
    effect: Effect::DesiredCount,
    doc: "tasks",
};
/// The `AssignPublicIp` property.
pub const ASSIGN_PUBLIC_IP: Property = Property {
    name: "AssignPublicIp",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::Network,
    doc: "public IP on task ENIs",
};
/// The `HealthCheckPath` property.
pub const HEALTH_CHECK_PATH: Property = Property {
    name: "HealthCheckPath",
    kind: text(checks::health_check_path, "^/.{0,1023}$"),
    default: Default::Text("/"),
    effect: Effect::HealthCheck,
    doc: "target group health check path",
};
/// The `RulePriority` property.
pub const RULE_PRIORITY: Property = Property {
    name: "RulePriority",
    kind: Kind::Integer { min: 1, max: 50000 },
    default: Default::Chosen(
        "a free priority from 1000–50000 derived from the stack and logical id, kept for the \
         resource's life",
    ),
    effect: Effect::Priority,
    doc: "listener rule priority (lower is evaluated first); reported as ListenerRulePriority",
};
/// The `PathPatterns` property (alias `PathPattern`).
pub const PATH_PATTERNS: Property = Property {
    name: "PathPatterns",
    kind: Kind::Values {
        check: checks::path_pattern,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Texts(&["/*"]),
    effect: Effect::Routing,
    doc: "listener rule path patterns, any of which matches (each 1–128 characters; the old \
         name `PathPattern` is accepted)",
};
/// The `HostHeaders` property.
pub const HOST_HEADERS: Property = Property {
    name: "HostHeaders",
    kind: Kind::Values {
        check: checks::host_header,
        max: routing::MAX_VALUES_PER_CONDITION,
    },
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule host names, any of which matches (empty: any host)",
};
/// The `HttpHeader` property.
pub const HTTP_HEADER: Property = Property {
    name: "HttpHeader",
    kind: Kind::HttpHeader,
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule header condition, `{\"HttpHeaderName\": …, \"Values\": […]}`",
};
/// The `QueryString` property.
pub const QUERY_STRING: Property = Property {
    name: "QueryString",
    kind: Kind::QueryString,
    default: Default::Empty,
    effect: Effect::Routing,
    doc: "listener rule query-string condition, a list of `{\"Key\": …, \"Value\": …}` \
         (Key optional), any of which matches",
};
/// The `AllowSingleAz` property.
pub const ALLOW_SINGLE_AZ: Property = Property {
    name: "AllowSingleAz",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::Behaviour,
    doc: "accept SubnetIds in one Availability Zone (development stacks only: one zone's \
         outage stops the service)",
};
/// The `LogRetentionDays` property.
pub const LOG_RETENTION_DAYS: Property = Property {
    name: "LogRetentionDays",
    kind: Kind::OneOf(&checks::LOG_RETENTION_DAYS),
    default: Default::Integer(30),
    effect: Effect::Retention,
    doc: "log group retention, one of CloudWatch's values",
};
/// The `Environment` property.
pub const ENVIRONMENT: Property = Property {
    name: "Environment",
    kind: Kind::Map {
        check_key: checks::any_key,
        max: None,
    },
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "container environment, map of string to string",
};
/// The `Tags` property.
pub const TAGS: Property = Property {
    name: "Tags",
    kind: Kind::Map {
        check_key: checks::user_tag,
        max: Some((
            checks::MAX_USER_TAGS,
            "tags (prod-e adds 3 of its own; IAM allows 50)",
        )),
    },
    default: Default::Empty,
    effect: Effect::Tags,
    doc: "extra tags on every resource (keys may not start with `aws:` or `prod-e:`)",
};
/// The `WaitForSteadyState` property.
pub const WAIT_FOR_STEADY_STATE: Property = Property {
    name: "WaitForSteadyState",
    kind: Kind::Boolean,
    default: Default::Boolean(true),
    effect: Effect::Behaviour,
    doc: "Create and Update answer only once the service is steady",
};

/// Every property, in the order of the README's table.
pub const PROPERTIES: [Property; 27] = [
    VPC_ID,
    SUBNET_IDS,
    LISTENER_ARN,
    LOAD_BALANCER_SECURITY_GROUP_ID,
    CLUSTER_NAME,
    SERVICE_NAME,
    TASK_FAMILY,
    CONTAINER_NAME,
    IMAGE,
    COMMAND,
    ENTRY_POINT,
    CONTAINER_PORT,
    CPU,
    MEMORY,
    DESIRED_COUNT,
    ASSIGN_PUBLIC_IP,
    ALLOW_SINGLE_AZ,
    HEALTH_CHECK_PATH,
    RULE_PRIORITY,
    PATH_PATTERNS,
    HOST_HEADERS,
    HTTP_HEADER,
    QUERY_STRING,
    LOG_RETENTION_DAYS,
    ENVIRONMENT,
    TAGS,
    WAIT_FOR_STEADY_STATE,
];

/// CloudFormation's own properties, always allowed and never ours to interpret.
pub const CLOUDFORMATION_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// Old names still accepted: (alias, property). Giving both is a problem.
pub const ALIASES: [(&str, &str); 1] = [("PathPattern", "PathPatterns")];

/// The property called `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The alias of property `name`, if it has one.
pub fn alias_of(name: &str) -> Option<&'static str> {
    ALIASES.iter().find(|(_, p)| *p == name).map(|(a, _)| *a)
}
