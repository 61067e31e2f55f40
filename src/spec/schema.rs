//! The one table of `Custom::ProdEService` Properties: name, type, default, what a change does
//! and one line of documentation each. The parser ([`super::Spec::parse`]), the unknown-name
//! check, the update diff and its effects, `prod-e plan`, the README's property table and the
//! JSON Schema ([`super::documents`]) all come from it.

use super::checks;

/// A property's type, with its validation.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string accepted by `check`; `pattern` is its JSON Schema pattern (a hint for editors:
    /// `check` is the rule).
    Text {
        /// The rule; its message names what is wrong.
        check: fn(&str) -> Result<(), String>,
        /// The JSON Schema pattern, if the rule has one.
        pattern: Option<&'static str>,
    },
    /// A whole number in `min..=max` (a string of digits is accepted too).
    Integer {
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
    },
    /// One of these whole numbers.
    OneOf(&'static [i64]),
    /// `true` or `false` (or their strings).
    Boolean,
    /// A list of strings.
    Strings,
    /// A list of subnet ids (1–16), or a comma-separated string of them.
    Subnets,
    /// A map of string to string whose keys `check_key` accepts; at most `max.0` entries
    /// (`max.1` says what they are and why, for the message).
    Map {
        /// The rule for keys.
        check_key: fn(&str) -> Result<(), String>,
        /// The most entries allowed, and what they are and why.
        max: Option<(usize, &'static str)>,
    },
}

/// The value a property has when the Properties leave it out (or give `""` or `null`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    /// No default: the property must be given.
    Required,
    /// This string.
    Text(&'static str),
    /// This number.
    Integer(i64),
    /// This boolean.
    Boolean(bool),
    /// An empty list or map.
    Empty,
}

/// What an Update that changes the property does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A new set of resources beside the old one (a new PhysicalResourceId).
    Replacement,
    /// A new task definition revision, and the service rolled onto it.
    TaskDefinition,
    /// The service's subnets / public IP (UpdateService).
    Network,
    /// The service's task count (UpdateService).
    DesiredCount,
    /// The security group's ingress source.
    SourceGroup,
    /// The target group's health check.
    HealthCheck,
    /// The listener rule's priority.
    Priority,
    /// The listener rule's path pattern.
    Path,
    /// The log group's retention.
    Retention,
    /// Every resource's tags.
    Tags,
    /// Nothing in AWS (how prod-e itself behaves).
    Behaviour,
}

/// One property of `Custom::ProdEService`.
#[derive(Debug, Clone, Copy)]
pub struct Property {
    /// The property name, as in the template.
    pub name: &'static str,
    /// Its type and validation.
    pub kind: Kind,
    /// Its value when not set.
    pub default: Default,
    /// What an Update that changes it does.
    pub effect: Effect,
    /// One line for the README and the JSON Schema.
    pub doc: &'static str,
}

impl Property {
    /// Whether a change needs a new set of resources.
    pub fn needs_replacement(&self) -> bool {
        self.effect == Effect::Replacement
    }
}

const fn text(check: fn(&str) -> Result<(), String>, pattern: &'static str) -> Kind {
    Kind::Text {
        check,
        pattern: Some(pattern),
    }
}

const fn free_text(check: fn(&str) -> Result<(), String>) -> Kind {
    Kind::Text {
        check,
        pattern: None,
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
    default: Default::Integer(100),
    effect: Effect::Priority,
    doc: "listener rule priority",
};
/// The `PathPattern` property.
pub const PATH_PATTERN: Property = Property {
    name: "PathPattern",
    kind: free_text(checks::path_pattern),
    default: Default::Text("/*"),
    effect: Effect::Path,
    doc: "listener rule path pattern (1–128 characters)",
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
pub const PROPERTIES: [Property; 23] = [
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
    HEALTH_CHECK_PATH,
    RULE_PRIORITY,
    PATH_PATTERN,
    LOG_RETENTION_DAYS,
    ENVIRONMENT,
    TAGS,
    WAIT_FOR_STEADY_STATE,
];

/// CloudFormation's own properties, always allowed and never ours to interpret.
pub const CLOUDFORMATION_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// The property called `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}
