//! What a revision runs with, in the words of the properties: the settings prod-e registers
//! for a spec ([`Settings::of`], the expand) beside the settings a revision has
//! ([`settings`], the flatten), and their table ([`Settings::fields`]), so that `prod-e status`
//! compares every property the task definition carries, one generic comparison.

use aws_sdk_ecs::types::{ContainerDefinition, TaskDefinition as Revision};
use aws_sdk_ecs::Client;

use crate::default_server;
use crate::error::{Error, Result};
use crate::spec::Spec;

/// What a revision runs with (its first container's settings and the revision's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    /// The container image.
    pub image: String,
    /// Task CPU units and memory (MiB), as ECS keeps them (strings).
    pub cpu: String,
    /// Task memory, MiB.
    pub memory: String,
    /// The container's command (empty: the image's).
    pub command: Vec<String>,
    /// The container's entry point (empty: the image's).
    pub entry_point: Vec<String>,
    /// The container's environment, `NAME=value`, sorted.
    pub environment: Vec<String>,
    /// `X86_64` or `ARM64` (ECS's default, `X86_64`, when the revision names none).
    pub cpu_architecture: String,
    /// GiB of ephemeral storage (20 when the revision names none: Fargate's).
    pub ephemeral_storage_gib: i32,
    /// Whether the container's root filesystem is read-only.
    pub readonly_root_filesystem: bool,
    /// Seconds between SIGTERM and SIGKILL (30 when none is named: ECS's default).
    pub stop_timeout: i32,
    /// The container health check's command, if it has one.
    pub health_check_command: Option<Vec<String>>,
    /// The container's secrets, `NAME=valueFrom`, sorted.
    pub secrets: Vec<String>,
}

impl Settings {
    /// What prod-e registers for `spec` (the same functions `create` builds the revision with).
    pub fn of(spec: &Spec) -> Settings {
        let environment = default_server::environment(spec);
        let secrets = spec.secrets.iter().map(|(n, from)| format!("{n}={from}"));
        let health = spec.container_health_check.as_ref();
        Settings {
            image: spec.image.clone(),
            cpu: spec.cpu.to_string(),
            memory: spec.memory.to_string(),
            command: default_server::command(spec),
            entry_point: spec.entry_point.clone(),
            environment: sorted(environment.iter().map(|(k, v)| format!("{k}={v}"))),
            cpu_architecture: spec.cpu_architecture.clone(),
            ephemeral_storage_gib: spec.ephemeral_storage_gib.map_or(20, |g| g as i32),
            readonly_root_filesystem: spec.readonly_root_filesystem,
            stop_timeout: spec.stop_timeout as i32,
            health_check_command: health.map(|o| o.strings("Command")),
            secrets: sorted(secrets),
        }
    }

    /// (property, value) of each setting, in the table's words.
    pub fn fields(&self) -> [(&'static str, String); 12] {
        let list = |v: &[String]| v.join(" ");
        let command = self.health_check_command.as_deref();
        [
            ("Image", self.image.clone()),
            ("Cpu", self.cpu.clone()),
            ("Memory", self.memory.clone()),
            ("Command", list(&self.command)),
            ("EntryPoint", list(&self.entry_point)),
            ("Environment", self.environment.join(",")),
            ("CpuArchitecture", self.cpu_architecture.clone()),
            (
                "EphemeralStorageGiB",
                self.ephemeral_storage_gib.to_string(),
            ),
            (
                "ReadonlyRootFilesystem",
                self.readonly_root_filesystem.to_string(),
            ),
            ("StopTimeout", self.stop_timeout.to_string()),
            (
                "ContainerHealthCheck.Command",
                command.map_or("none".into(), list),
            ),
            ("Secrets", self.secrets.join(",")),
        ]
    }
}

fn sorted(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut all: Vec<String> = items.collect();
    all.sort();
    all
}

/// The settings of revision `arn` (its first container's and its own).
pub async fn settings(ecs: &Client, arn: &str) -> Result<Settings> {
    let out = ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map_err(|e| Error::aws(format!("reading task definition ({arn})"), e))?;
    Ok(out.task_definition().map(flatten).unwrap_or_default())
}

/// A revision's settings as [`Settings::of`] states them.
fn flatten(td: &Revision) -> Settings {
    let container = td.container_definitions().first();
    let of = |f: fn(&ContainerDefinition) -> Vec<String>| container.map(f).unwrap_or_default();
    let platform = td.runtime_platform().and_then(|p| p.cpu_architecture());
    Settings {
        image: container
            .and_then(|c| c.image())
            .unwrap_or_default()
            .to_string(),
        cpu: td.cpu().unwrap_or_default().to_string(),
        memory: td.memory().unwrap_or_default().to_string(),
        command: of(|c| c.command().to_vec()),
        entry_point: of(|c| c.entry_point().to_vec()),
        environment: sorted(of(environment).into_iter()),
        cpu_architecture: platform.map_or("X86_64".to_string(), |a| a.as_str().to_string()),
        ephemeral_storage_gib: td.ephemeral_storage().map_or(20, |e| e.size_in_gib()),
        readonly_root_filesystem: container
            .and_then(|c| c.readonly_root_filesystem())
            .unwrap_or(false),
        stop_timeout: container.and_then(|c| c.stop_timeout()).unwrap_or(30),
        health_check_command: container
            .and_then(|c| c.health_check())
            .map(|h| h.command().to_vec()),
        secrets: sorted(of(secrets).into_iter()),
    }
}

fn environment(c: &ContainerDefinition) -> Vec<String> {
    let pairs = c.environment().iter();
    let pair = |p: &aws_sdk_ecs::types::KeyValuePair| {
        format!(
            "{}={}",
            p.name().unwrap_or_default(),
            p.value().unwrap_or_default()
        )
    };
    pairs.map(pair).collect()
}

fn secrets(c: &ContainerDefinition) -> Vec<String> {
    let pair = |s: &aws_sdk_ecs::types::Secret| format!("{}={}", s.name(), s.value_from());
    c.secrets().iter().map(pair).collect()
}
