//! The properties of the task definition: the container, its size, platform and health check.

use super::{text, Default, Effect, Kind, Property, ECS_NAME};
use crate::spec::checks;
use crate::spec::health::ContainerHealthCheck;
use crate::spec::object::{object, text as field_text};
use crate::spec::overrides;

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
/// The `MigrationCommand` property.
pub const MIGRATION_COMMAND: Property = Property {
    name: "MigrationCommand",
    kind: Kind::Strings,
    default: Default::Empty,
    effect: Effect::Behaviour,
    doc: "a command (ECS `command`) run once as a one-off task of each new revision, with the \
         service's network, roles and secrets, before any task of it starts; a non-zero exit \
         fails the operation and deploys nothing (empty: none)",
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
/// The `ContainerHealthCheck` property.
pub const CONTAINER_HEALTH_CHECK: Property = Property {
    name: "ContainerHealthCheck",
    kind: Kind::Object {
        fields: ContainerHealthCheck::FIELDS,
        check: |_| Ok(()),
    },
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "the container's own health check: Command, Interval, Timeout, Retries, StartPeriod \
         (ECS's keys)",
};
/// The `Environment` property.
pub const ENVIRONMENT: Property = Property {
    name: "Environment",
    kind: Kind::Map {
        check_key: checks::any_key,
        check_value: checks::any_value,
        max: None,
    },
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "container environment, map of string to string",
};
/// The `CpuArchitecture` property.
pub const CPU_ARCHITECTURE: Property = Property {
    name: "CpuArchitecture",
    kind: text(checks::cpu_architecture, "^(X86_64|ARM64)$"),
    default: Default::Text("X86_64"),
    effect: Effect::TaskDefinition,
    doc: "`X86_64` or `ARM64` (Graviton): the task definition's runtime platform",
};
/// The `ReadonlyRootFilesystem` property.
pub const READONLY_ROOT_FILESYSTEM: Property = Property {
    name: "ReadonlyRootFilesystem",
    kind: Kind::Boolean,
    default: Default::Boolean(false),
    effect: Effect::TaskDefinition,
    doc: "the container's root filesystem is read-only (ECS Exec does not work with it)",
};
/// The `StopTimeout` property.
pub const STOP_TIMEOUT: Property = Property {
    name: "StopTimeout",
    kind: Kind::Integer { min: 2, max: 120 },
    default: Default::Integer(10),
    effect: Effect::TaskDefinition,
    doc: "seconds between SIGTERM and SIGKILL when a task stops (Fargate allows 120) \
         (default 10, AWS's 30: SIGTERM comes after the deregistration delay, when no \
         request is left; the ECS guide suggests 2 s for an app that exits at once)",
};
/// The `EphemeralStorageGiB` property.
pub const EPHEMERAL_STORAGE_GIB: Property = Property {
    name: "EphemeralStorageGiB",
    kind: Kind::Integer { min: 21, max: 200 },
    default: Default::Chosen("Fargate's 20 GiB"),
    effect: Effect::TaskDefinition,
    doc: "the task's ephemeral storage, GiB",
};
/// The `Secrets` property.
pub const SECRETS: Property = Property {
    name: "Secrets",
    kind: Kind::Map {
        check_key: checks::any_key,
        check_value: checks::secret_source,
        max: None,
    },
    default: Default::Empty,
    effect: Effect::Secrets,
    doc: "container environment variables from Secrets Manager or SSM Parameter Store: map of \
         name to secret ARN (with ECS's `:json-key::` suffix if wanted) or parameter ARN; the \
         execution role may read exactly these, and prod-e never reads their values",
};
/// The `TaskRolePolicyArns` property.
pub const TASK_ROLE_POLICY_ARNS: Property = Property {
    name: "TaskRolePolicyArns",
    kind: Kind::Values {
        check: checks::policy_arn,
        max: MANAGED_POLICIES_PER_ROLE,
    },
    default: Default::Empty,
    effect: Effect::TaskRole,
    doc: "managed policies attached to the task role; each must be among the template's \
         TaskRoleAllowedPolicyArns, and the role's permissions boundary still applies (IAM's \
         quota is 10 per role by default)",
};
/// The `TaskRolePolicy` property.
pub const TASK_ROLE_POLICY: Property = Property {
    name: "TaskRolePolicy",
    kind: Kind::PolicyDocument,
    default: Default::Empty,
    effect: Effect::TaskRole,
    doc: "an inline IAM policy for the task role (a JSON object, or a string of one, with \
         `\"Version\": \"2012-10-17\"`); what it grants beyond the template's \
         TaskRoleAllowedActions has no effect",
};
/// IAM's ceiling on managed policies attached to one role (10 by default, adjustable to 20:
/// IAM User Guide, "IAM and AWS STS quotas").
const MANAGED_POLICIES_PER_ROLE: usize = 20;
/// The `RepositoryCredentials` property.
pub const REPOSITORY_CREDENTIALS: Property = Property {
    name: "RepositoryCredentials",
    kind: Kind::Object {
        fields: RepositoryCredentials::FIELDS,
        check: |o| credentials(&o.into()),
    },
    default: Default::Empty,
    effect: Effect::Secrets,
    doc: "a private registry's credentials for Image (Docker Hub, GHCR, Quay…), ECS's \
         `repositoryCredentials`: `{\"CredentialsParameter\": <Secrets Manager secret ARN>}`; \
         only the execution role may read that secret, within the template's SecretsAllowedArns",
};
object! {
    /// `RepositoryCredentials` (CloudFormation's and ECS's `RepositoryCredentials`).
    pub struct RepositoryCredentials {
        credentials_parameter: String = "CredentialsParameter",
            field_text(checks::secret_arn, None),
            "the ARN of the Secrets Manager secret holding `username` and `password`";
    }
}

/// `RepositoryCredentials` names its secret.
fn credentials(o: &RepositoryCredentials) -> Result<(), String> {
    match o.credentials_parameter.is_empty() {
        true => Err("CredentialsParameter is required".to_string()),
        false => Ok(()),
    }
}
/// The `SecretsKmsKeyArn` property.
pub const SECRETS_KMS_KEY_ARN: Property = Property {
    name: "SecretsKmsKeyArn",
    kind: text(checks::kms_key_arn, "^arn:.+:kms:.+:key/.+$"),
    default: Default::Empty,
    effect: Effect::SecretsKey,
    doc: "the customer-managed KMS key of the secrets, if any (the execution role may decrypt \
         with it)",
};

/// The `TaskDefinitionOverrides` property.
pub const TASK_DEFINITION_OVERRIDES: Property = Property {
    name: "TaskDefinitionOverrides",
    kind: Kind::Overrides {
        check: overrides::task_definition,
    },
    default: Default::Empty,
    effect: Effect::TaskDefinition,
    doc: "the escape hatch: RegisterTaskDefinition members, in ECS's own names (pidMode, \
         volumes, …), merged into the request prod-e sends; `containerDefinitions` items merge \
         into the container their `name` names (ulimits, linuxParameters, dockerLabels, …); \
         what prod-e owns or a property sets is refused, naming it",
};

/// This file's properties as fields of [`crate::spec::Spec`], `field: Type = CONST`, in the
/// README's order, handed on down the chain that `spec!` (in `crate::spec`) ends: a property
/// is its `CONST` above and its line here.
macro_rules! task_fields {
    ([$next:ident $(, $rest:ident)*] $($fields:tt)*) => {
        $next! { [$($rest),*] $($fields)*
            task_family: String = TASK_FAMILY,
            container_name: String = CONTAINER_NAME,
            image: String = IMAGE,
            /// The container's command, as in an ECS container definition (empty: see
            /// [`crate::default_server::command`]).
            command: Vec<String> = COMMAND,
            /// The container's entry point (empty: the image's own).
            entry_point: Vec<String> = ENTRY_POINT,
            /// Run before each new revision deploys (empty: none): [`crate::plan`]'s
            /// migration.
            migration_command: Vec<String> = MIGRATION_COMMAND,
            container_port: u16 = CONTAINER_PORT,
            /// Fargate CPU units.
            cpu: u32 = CPU,
            /// Fargate memory, MiB.
            memory: u32 = MEMORY,
            /// `X86_64` or `ARM64`.
            cpu_architecture: String = CPU_ARCHITECTURE,
            /// `None`: Fargate's 20 GiB.
            #[serde(rename = "EphemeralStorageGiB")]
            ephemeral_storage_gib: Option<u32> = EPHEMERAL_STORAGE_GIB,
            readonly_root_filesystem: bool = READONLY_ROOT_FILESYSTEM,
            /// Seconds.
            stop_timeout: u32 = STOP_TIMEOUT,
            container_health_check: Option<ContainerHealthCheck> = CONTAINER_HEALTH_CHECK,
            environment: BTreeMap<String, String> = ENVIRONMENT,
            /// Variable name → secret or parameter ARN.
            secrets: BTreeMap<String, String> = SECRETS,
            /// `""`: none.
            secrets_kms_key_arn: String = SECRETS_KMS_KEY_ARN,
            repository_credentials: Option<RepositoryCredentials> = REPOSITORY_CREDENTIALS,
            task_role_policy_arns: Vec<String> = TASK_ROLE_POLICY_ARNS,
            /// As compact JSON (`None`: none).
            task_role_policy: Option<String> = TASK_ROLE_POLICY,
            /// Compact JSON, `None`: none.
            task_definition_overrides: Option<String> = TASK_DEFINITION_OVERRIDES,
        }
    };
}
pub(crate) use task_fields;
