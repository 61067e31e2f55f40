//! The Fargate task definition: one container, awsvpc networking, awslogs logging, our two roles.

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, EphemeralStorage, HealthCheck,
    KeyValuePair, LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping,
    RepositoryCredentials, RuntimePlatform, Secret, TransportProtocol,
};
use aws_sdk_ecs::Client;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_sdk_resourcegroupstagging::Client as TaggingClient;

use super::tags;
use super::{build_error, gone, required, Tagged};
use crate::default_server;
use crate::error::{is_fresh_role_unusable, is_task_definition_retired, Error, Result};
use crate::naming::{Tags, LOGICAL_TAG, OWNER_TAG, STACK_TAG};
use crate::retry::{retry, ROLE_PROPAGATION};
use crate::spec::Spec;

mod settings;
pub use settings::{settings, Settings};

#[derive(Debug, Clone, PartialEq)]
/// A task definition revision as found or registered.
pub struct TaskDefinition {
    /// Its ARN.
    pub arn: String,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(TaskDefinition, "task definition", arn);

/// What the task definition references besides the spec.
#[derive(Debug, Clone, Copy)]
pub struct Links<'a> {
    /// The role ECS pulls images and writes logs with.
    pub execution_role_arn: &'a str,
    /// The role the application runs with.
    pub task_role_arn: &'a str,
    /// The log group the container writes to.
    pub log_group: &'a str,
}

/// This deployment's revisions, in any family, newest first, found by their ownership tag
/// (`owner_tag` = `owner`) with one Resource Groups Tagging API GetResources per page of 100:
/// the cost is independent of other deployments and of their revisions in a shared family.
/// They are ACTIVE, or deregistered by an Update whose successor retires them ([`delete`]
/// removes the tags); deregistering one again is harmless. GetResources is eventually
/// consistent: a revision registered seconds ago may be missing, which only matters after a
/// crash between registering and using it. Source: Resource Groups Tagging API Reference,
/// GetResources (resource type `ecs:task-definition`).
pub async fn find_ours(
    tagging: &TaggingClient,
    (owner_tag, owner): (&str, &str),
) -> Result<Vec<TaskDefinition>> {
    let filter = TagFilter::builder().key(owner_tag).values(owner).build();
    let pages: Vec<_> = tagging
        .get_resources()
        .tag_filters(filter)
        .resource_type_filters(RESOURCE_TYPE)
        .resources_per_page(PAGE)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| Error::aws(format!("finding the task definitions tagged {owner}"), e))?;
    let mut found: Vec<TaskDefinition> = pages
        .iter()
        .flat_map(|p| p.resource_tag_mapping_list())
        .filter_map(|m| {
            let arn = m.resource_arn()?.to_string();
            let tags = m
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()));
            Some(TaskDefinition {
                tags: tags.collect(),
                arn,
            })
        })
        .collect();
    found.sort_by_key(|t| std::cmp::Reverse(revision_of(&t.arn)));
    Ok(found)
}

/// The Tagging API's resource type of a task definition revision.
const RESOURCE_TYPE: &str = "ecs:task-definition";
/// Resources per GetResources page (the API's maximum).
const PAGE: i32 = 100;

/// Registers a new revision, retrying (bounded) while ECS cannot yet use a fresh role
/// (not assumable, or `iam:PassRole` not yet granted on it).
pub async fn create(
    ecs: &Client,
    spec: &Spec,
    links: Links<'_>,
    tags: &Tags,
) -> Result<TaskDefinition> {
    let doing = format!("registering task definition ({})", spec.task_family);
    let region = ecs.config().region().map(|r| r.to_string());
    let container =
        container(spec, links, &region.unwrap_or_default()).map_err(|e| build_error(&doing, e))?;
    let platform = RuntimePlatform::builder()
        .cpu_architecture(CpuArchitecture::from(spec.cpu_architecture.as_str()))
        .operating_system_family(OsFamily::Linux)
        .build();
    let storage = spec
        .ephemeral_storage_gib
        .map(|gib| EphemeralStorage::builder().size_in_gib(gib as i32).build());
    retry(ROLE_PROPAGATION, is_fresh_role_unusable, || async {
        let out = ecs
            .register_task_definition()
            .family(&spec.task_family)
            .requires_compatibilities(Compatibility::Fargate)
            .network_mode(NetworkMode::Awsvpc)
            .cpu(spec.cpu.to_string())
            .memory(spec.memory.to_string())
            .execution_role_arn(links.execution_role_arn)
            .task_role_arn(links.task_role_arn)
            .runtime_platform(platform.clone())
            .set_ephemeral_storage(storage.clone())
            .container_definitions(container.clone())
            .set_tags(Some(tags::ecs::list(tags)))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
        let arn = out.task_definition().and_then(|t| t.task_definition_arn());
        Ok(TaskDefinition {
            arn: required(arn, TaskDefinition::KIND, "taskDefinitionArn")?,
            tags: tags.clone(),
        })
    })
    .await
}

/// The one container: the image, its command (see [`default_server`]), the port, the
/// environment, and awslogs into the set's log group.
fn container(
    spec: &Spec,
    links: Links<'_>,
    region: &str,
) -> Result<ContainerDefinition, aws_sdk_ecs::error::BuildError> {
    let logging = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options("awslogs-group", links.log_group)
        .options("awslogs-region", region)
        .options("awslogs-stream-prefix", "ecs")
        .build()?;
    let port = i32::from(spec.container_port);
    let environment = default_server::environment(spec)
        .into_iter()
        .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
        .collect();
    Ok(ContainerDefinition::builder()
        .name(&spec.container_name)
        .image(&spec.image)
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(port)
                .host_port(port)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .set_command(Some(default_server::command(spec)).filter(|c| !c.is_empty()))
        .set_entry_point(Some(spec.entry_point.clone()).filter(|e| !e.is_empty()))
        .set_environment(Some(environment))
        .log_configuration(logging)
        .set_secrets(Some(secrets(spec)?).filter(|s| !s.is_empty()))
        .set_repository_credentials(credentials(spec)?)
        .readonly_root_filesystem(spec.readonly_root_filesystem)
        .stop_timeout(spec.stop_timeout as i32)
        .set_health_check(health_check(spec)?)
        .build())
}

/// The private registry's credentials (`RepositoryCredentials`), if any: ECS reads the secret
/// with the execution role to pull the image.
fn credentials(
    spec: &Spec,
) -> Result<Option<RepositoryCredentials>, aws_sdk_ecs::error::BuildError> {
    let Some(o) = spec.repository_credentials.as_ref() else {
        return Ok(None);
    };
    let arn = o.text("CredentialsParameter");
    RepositoryCredentials::builder()
        .credentials_parameter(arn)
        .build()
        .map(Some)
}

/// The container's secrets: each variable from its secret or parameter ARN (never read here).
fn secrets(spec: &Spec) -> Result<Vec<Secret>, aws_sdk_ecs::error::BuildError> {
    spec.secrets
        .iter()
        .map(|(name, from)| Secret::builder().name(name).value_from(from).build())
        .collect()
}

/// The container's health check (`ContainerHealthCheck`), if the spec has one.
fn health_check(spec: &Spec) -> Result<Option<HealthCheck>, aws_sdk_ecs::error::BuildError> {
    let Some(o) = &spec.container_health_check else {
        return Ok(None);
    };
    let seconds = |f: &str| o.optional_integer(f).map(|n| n as i32);
    HealthCheck::builder()
        .set_command(Some(o.strings("Command")))
        .set_interval(seconds("Interval"))
        .set_timeout(seconds("Timeout"))
        .set_retries(seconds("Retries"))
        .set_start_period(seconds("StartPeriod"))
        .build()
        .map(Some)
}

/// Retires a revision: [`deregister`], then [`untag`]. In that order: a revision that lost
/// its tags while still ACTIVE would be an orphan no one finds. One that no longer carries the
/// ownership tag (read first, ListTagsForResource) was retired already, by another removal of
/// the same set (CloudFormation's Delete beside the Create it gave up on, a re-delivered
/// Delete): nothing is left to do, and IAM would refuse the untag (the function may untag only
/// what carries the tag). A failure to untag is logged, not returned: the revision is
/// INACTIVE already, and a later retirement finds it so.
pub async fn delete(ecs: &Client, arn: &str) -> Result<()> {
    let tags = match tags::ecs::of(ecs, arn).await {
        Err(err) if is_task_definition_retired(&err) => return Ok(()),
        other => other?,
    };
    if !tags.contains_key(OWNER_TAG) {
        return Ok(());
    }
    deregister(ecs, arn).await?;
    if let Err(err) = untag(ecs, arn).await {
        tracing::warn!(%err, "a retired task definition keeps its ownership tags");
    }
    Ok(())
}

/// Deregisters a revision (INACTIVE: tasks already running keep it until they are
/// replaced). One that is no longer there to retire ([`is_task_definition_retired`]) or
/// gone counts as done.
pub async fn deregister(ecs: &Client, arn: &str) -> Result<()> {
    let deregistered = ecs
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(format!("deregistering task definition ({arn})"), e));
    match deregistered {
        Err(err) if is_task_definition_retired(&err) => Ok(()),
        other => gone(other),
    }
}

/// Removes a revision's ownership tags, so that [`find_ours`] no longer finds it (INACTIVE
/// revisions stay discoverable: ECS API reference, DeregisterTaskDefinition).
pub async fn untag(ecs: &Client, arn: &str) -> Result<()> {
    let keys = [OWNER_TAG, STACK_TAG, LOGICAL_TAG].map(String::from);
    ecs.untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(format!("untagging task definition ({arn})"), e))
}

/// `arn:…:task-definition/FAMILY:REV` → `REV` (0 if unreadable).
fn revision_of(arn: &str) -> u64 {
    arn.rsplit(':')
        .next()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// `arn:…:task-definition/FAMILY:REV` → `FAMILY`.
pub fn family_of(arn: &str) -> &str {
    let tail = arn.rsplit('/').next().unwrap_or(arn);
    tail.rsplit_once(':').map_or(tail, |(family, _)| family)
}

#[cfg(test)]
mod tests {
    #[test]
    fn revisions_sort_numerically() {
        assert_eq!(
            super::revision_of("arn:aws:ecs:us-east-1:1:task-definition/f:12"),
            12
        );
        assert!(super::revision_of("x:f:9") < super::revision_of("x:f:10"));
    }

    #[test]
    fn family_is_exact() {
        assert_eq!(
            super::family_of("arn:aws:ecs:us-east-1:1:task-definition/prod-e-task:12"),
            "prod-e-task"
        );
        assert_ne!(
            super::family_of("arn:aws:ecs:us-east-1:1:task-definition/prod-e-task2:1"),
            "prod-e-task"
        );
    }
}
