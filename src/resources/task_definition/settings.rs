//! What a revision runs with, in the words of the properties: one table ([`SETTINGS`]) with,
//! beside each property the task definition carries, its expand (how the request prod-e
//! registers sets it) and its flatten (how a revision reports it, as text). The revision prod-e
//! registers is [`expand`]ed from the spec through the table, and `prod-e status` compares the
//! flatten of that revision with the flatten of the one the service runs: one generic
//! comparison, covering every property in the table.

use aws_sdk_ecs::error::BuildError;
use aws_sdk_ecs::types::builders::{ContainerDefinitionBuilder, TaskDefinitionBuilder};
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, EphemeralStorage, HealthCheck,
    KeyValuePair, LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping,
    RepositoryCredentials, RuntimePlatform, Secret, TaskDefinition as Revision, TransportProtocol,
};

use super::Links;
use crate::default_server;
use crate::resources::settings::{self, listed};
use crate::spec::Spec;

/// How one property reaches the request prod-e registers.
#[derive(Clone, Copy)]
pub enum Expand {
    /// A setting of the task definition itself.
    Task(fn(&Spec, TaskDefinitionBuilder) -> TaskDefinitionBuilder),
    /// A setting of its one container.
    Container(
        fn(&Spec, ContainerDefinitionBuilder) -> Result<ContainerDefinitionBuilder, BuildError>,
    ),
}

/// One property the revision carries: its flatten (the revision's value as text, with ECS's
/// default where the revision names none) and its [`Expand`].
pub type Setting = settings::Setting<Revision, Expand>;

/// A flatten of the revision, to which [`settings::Setting::expanding`] adds its [`Expand`].
type Flattened = settings::Setting<Revision>;

use Expand::{Container, Task};

/// Every property the task definition carries, expand beside flatten.
pub const SETTINGS: &[Setting] = &[
    Flattened::new("TaskFamily", |td| text(td.family()))
        .expanding(Task(|s, t| t.family(&s.task_family))),
    Flattened::new("ContainerName", |td| {
        text(container(td).and_then(|c| c.name()))
    })
    .expanding(Container(|s, c| Ok(c.name(&s.container_name)))),
    Flattened::new("Image", |td| text(container(td).and_then(|c| c.image())))
        .expanding(Container(|s, c| Ok(c.image(&s.image)))),
    Flattened::new("ContainerPort", |td| {
        let mappings = container(td).map(|c| c.port_mappings());
        let port = mappings.and_then(|m| m.first()?.container_port());
        port.map(|p| p.to_string()).unwrap_or_default()
    })
    .expanding(Container(|s, c| {
        Ok(c.port_mappings(port_mapping(s.container_port)))
    })),
    Flattened::new("Cpu", |td| text(td.cpu())).expanding(Task(|s, t| t.cpu(s.cpu.to_string()))),
    Flattened::new("Memory", |td| text(td.memory()))
        .expanding(Task(|s, t| t.memory(s.memory.to_string()))),
    Flattened::new("Command", |td| {
        container(td)
            .map(|c| c.command().join(" "))
            .unwrap_or_default()
    })
    .expanding(Container(|s, c| {
        let command = default_server::command(s);
        Ok(c.set_command(Some(command).filter(|c| !c.is_empty())))
    })),
    Flattened::new("EntryPoint", |td| {
        container(td)
            .map(|c| c.entry_point().join(" "))
            .unwrap_or_default()
    })
    .expanding(Container(|s, c| {
        Ok(c.set_entry_point(Some(s.entry_point.clone()).filter(|e| !e.is_empty())))
    })),
    Flattened::new("Environment", |td| {
        let pairs = container(td).map(|c| c.environment()).unwrap_or_default();
        let pair = |p: &KeyValuePair| format!("{}={}", text(p.name()), text(p.value()));
        listed(pairs.iter().map(pair).collect())
    })
    .expanding(Container(|s, c| {
        let pairs = default_server::environment(s).into_iter();
        let pair = |(k, v)| KeyValuePair::builder().name(k).value(v).build();
        Ok(c.set_environment(Some(pairs.map(pair).collect())))
    })),
    Flattened::new("CpuArchitecture", |td| {
        let platform = td.runtime_platform().and_then(|p| p.cpu_architecture());
        platform.map_or("X86_64", |a| a.as_str()).to_string()
    })
    .expanding(Task(|s, t| {
        let platform = RuntimePlatform::builder()
            .cpu_architecture(CpuArchitecture::from(s.cpu_architecture.as_str()))
            .operating_system_family(OsFamily::Linux);
        t.runtime_platform(platform.build())
    })),
    // Fargate's default: ECS Developer Guide, "Fargate task ephemeral storage".
    Flattened::new("EphemeralStorageGiB", |td| {
        td.ephemeral_storage()
            .map_or(20, |e| e.size_in_gib())
            .to_string()
    })
    .expanding(Task(|s, t| {
        let gib = s.ephemeral_storage_gib.and_then(|g| i32::try_from(g).ok());
        t.set_ephemeral_storage(gib.map(|g| EphemeralStorage::builder().size_in_gib(g).build()))
    })),
    Flattened::new("ReadonlyRootFilesystem", |td| {
        let readonly = container(td).and_then(|c| c.readonly_root_filesystem());
        readonly.unwrap_or(false).to_string()
    })
    .expanding(Container(|s, c| {
        Ok(c.readonly_root_filesystem(s.readonly_root_filesystem))
    })),
    // ECS's default for Fargate: ContainerDefinition, stopTimeout.
    Flattened::new("StopTimeout", |td| {
        let timeout = container(td).and_then(|c| c.stop_timeout());
        timeout.unwrap_or(30).to_string()
    })
    .expanding(Container(|s, c| {
        Ok(c.set_stop_timeout(i32::try_from(s.stop_timeout).ok()))
    })),
    Flattened::new("ContainerHealthCheck", |td| {
        let check = container(td).and_then(|c| c.health_check());
        check.map_or("none".into(), health_check_text)
    })
    .expanding(Container(|s, c| Ok(c.set_health_check(health_check(s)?)))),
    Flattened::new("Secrets", |td| {
        let secrets = container(td).map(|c| c.secrets()).unwrap_or_default();
        let secret = |s: &Secret| format!("{}={}", s.name(), s.value_from());
        listed(secrets.iter().map(secret).collect())
    })
    .expanding(Container(|s, c| {
        let secret = |(name, from): (&String, &String)| {
            Secret::builder().name(name).value_from(from).build()
        };
        let secrets: Vec<Secret> = s.secrets.iter().map(secret).collect::<Result<_, _>>()?;
        Ok(c.set_secrets(Some(secrets).filter(|s| !s.is_empty())))
    })),
    Flattened::new("RepositoryCredentials", |td| {
        let credentials = container(td).and_then(|c| c.repository_credentials());
        credentials
            .map_or("none", |c| c.credentials_parameter())
            .to_string()
    })
    .expanding(Container(|s, c| {
        let Some(o) = s.repository_credentials.as_ref() else {
            return Ok(c);
        };
        let arn = &o.credentials_parameter;
        let credentials = RepositoryCredentials::builder().credentials_parameter(arn);
        Ok(c.repository_credentials(credentials.build()?))
    })),
];

/// The awslogs stream prefix of the container: its task's stream is
/// `<prefix>/<container>/<task id>` (ECS Developer Guide, "Using the awslogs log driver").
pub const AWSLOGS_STREAM_PREFIX: &str = "ecs";

/// The revision prod-e registers for `spec`: Fargate, awsvpc, the two roles, one essential
/// container logging to the set's log group in `region`, and every [`SETTINGS`] entry's
/// expand. Errors: a part the SDK refuses to build (a required member missing).
pub fn expand(spec: &Spec, links: Links<'_>, region: &str) -> Result<Revision, BuildError> {
    let logging = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", links.log_group)
        .options("awslogs-region", region)
        .options("awslogs-stream-prefix", AWSLOGS_STREAM_PREFIX)
        .build()?;
    let mut task = Revision::builder()
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .execution_role_arn(links.execution_role_arn)
        .task_role_arn(links.task_role_arn);
    let mut one = ContainerDefinition::builder()
        .essential(true)
        .log_configuration(logging);
    for setting in SETTINGS {
        match setting.expand {
            Task(set) => task = set(spec, task),
            Container(set) => one = set(spec, one)?,
        }
    }
    Ok(task.container_definitions(one.build()).build())
}

/// The container's port, the same on the host (awsvpc).
fn port_mapping(port: u16) -> PortMapping {
    PortMapping::builder()
        .container_port(i32::from(port))
        .host_port(i32::from(port))
        .protocol(TransportProtocol::Tcp)
        .build()
}

/// The container's health check (`ContainerHealthCheck`), if the spec has one.
fn health_check(spec: &Spec) -> Result<Option<HealthCheck>, BuildError> {
    let Some(o) = &spec.container_health_check else {
        return Ok(None);
    };
    HealthCheck::builder()
        .set_command(Some(o.command.clone()))
        .interval(o.interval)
        .timeout(o.timeout)
        .retries(o.retries)
        .set_start_period(o.start_period)
        .build()
        .map(Some)
}

/// A health check as text, ECS's defaults filled in (interval 30 s, timeout 5 s, 3 retries,
/// no start period: ECS API Reference, HealthCheck).
fn health_check_text(check: &HealthCheck) -> String {
    format!(
        "{} every {} s, timeout {} s, {} retries, start period {} s",
        check.command().join(" "),
        check.interval().unwrap_or(30),
        check.timeout().unwrap_or(5),
        check.retries().unwrap_or(3),
        check.start_period().unwrap_or(0),
    )
}

/// The revision's first (prod-e's only) container.
fn container(td: &Revision) -> Option<&ContainerDefinition> {
    td.container_definitions().first()
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_string()
}
