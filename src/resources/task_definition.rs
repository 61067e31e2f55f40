//! The Fargate task definition: one container, awsvpc networking, awslogs logging, our two
//! roles (its settings, expand beside flatten: [`settings`]).

use aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;
/// A task definition revision as ECS describes it.
pub use aws_sdk_ecs::types::TaskDefinition as Revision;
use aws_sdk_ecs::Client;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_sdk_resourcegroupstagging::Client as TaggingClient;

use super::tags;
use super::{build_error, gone, required, Tagged};
use crate::error::{is_fresh_role_unusable, is_task_definition_retired, Doing, Every, Result};
use crate::naming::{Tags, LOGICAL_TAG, OWNER_TAG, STACK_TAG};
use crate::retry::{retry, ROLE_PROPAGATION};
use crate::spec::Spec;

mod settings;
pub use settings::{expand, Setting, AWSLOGS_STREAM_PREFIX, SETTINGS};

#[derive(Debug, Clone, PartialEq, Default)]
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

impl Links<'_> {
    /// No links: for a revision that is only described, never registered (`prod-e plan` and
    /// `status` flatten it; the settings they show name no role or log group).
    pub const NONE: Links<'static> = Links {
        execution_role_arn: "",
        task_role_arn: "",
        log_group: "",
    };
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
        .every(format!("finding the task definitions tagged {owner}"))
        .await?;
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

/// Registers a new revision ([`expand`]ed from `spec`, with its `TaskDefinitionOverrides`
/// merged into the request: [`super::overrides`]), retrying (bounded) while ECS cannot
/// yet use a fresh role (not assumable, or `iam:PassRole` not yet granted on it).
pub async fn create(
    ecs: &Client,
    spec: &Spec,
    links: Links<'_>,
    tags: &Tags,
) -> Result<TaskDefinition> {
    let doing = format!("registering task definition ({})", spec.task_family);
    let region = ecs.config().region().map(|r| r.to_string());
    let td =
        expand(spec, links, &region.unwrap_or_default()).map_err(|e| build_error(&doing, e))?;
    let overrides = spec.task_definition_overrides.as_deref();
    retry(ROLE_PROPAGATION, is_fresh_role_unusable, || async {
        let out = register(ecs, &td)
            .set_tags(Some(tags::ecs::list(tags)))
            .customize()
            .mutate_request(super::overrides::merging(overrides))
            .send()
            .await
            .doing(&doing)?;
        let arn = out.task_definition().and_then(|t| t.task_definition_arn());
        Ok(TaskDefinition {
            arn: required(arn, TaskDefinition::KIND, "taskDefinitionArn")?,
            tags: tags.clone(),
        })
    })
    .await
}

/// The RegisterTaskDefinition request for `td`: every member a revision states that the
/// request takes (ECS API Reference, RegisterTaskDefinition; not `inferenceAccelerators`,
/// which ECS no longer offers), so that a setting added to [`SETTINGS`] reaches ECS without
/// another edit here.
fn register(ecs: &Client, td: &Revision) -> RegisterTaskDefinitionFluentBuilder {
    ecs.register_task_definition()
        .set_family(td.family().map(str::to_string))
        .set_task_role_arn(td.task_role_arn().map(str::to_string))
        .set_execution_role_arn(td.execution_role_arn().map(str::to_string))
        .set_network_mode(td.network_mode().cloned())
        .set_container_definitions(Some(td.container_definitions().to_vec()))
        .set_volumes(non_empty(td.volumes()))
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_cpu(td.cpu().map(str::to_string))
        .set_memory(td.memory().map(str::to_string))
        .set_pid_mode(td.pid_mode().cloned())
        .set_ipc_mode(td.ipc_mode().cloned())
        .set_ephemeral_storage(td.ephemeral_storage().cloned())
        .set_runtime_platform(td.runtime_platform().cloned())
        .set_placement_constraints(non_empty(td.placement_constraints()))
        .set_proxy_configuration(td.proxy_configuration().cloned())
        .set_enable_fault_injection(td.enable_fault_injection())
}

/// A list member of a request: `None` (not sent) when empty.
fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    Some(items.to_vec()).filter(|v| !v.is_empty())
}

/// Revision `arn` as ECS describes it (`None` if ECS returns none), and as ECS's JSON has it
/// (`taskDefinition`), for comparing `TaskDefinitionOverrides` with the members the SDK's types
/// cannot show as JSON ([`super::overrides::live_at`]).
pub async fn describe(
    ecs: &Client,
    arn: &str,
) -> Result<(Option<Revision>, Option<serde_json::Value>)> {
    let captured = super::overrides::Captured::default();
    let described = ecs.describe_task_definition().task_definition(arn);
    let described = described.customize().interceptor(captured.clone()).send();
    let out = described
        .await
        .doing(format!("reading task definition ({arn})"))?;
    let json = captured.body().map(|b| b["taskDefinition"].clone());
    Ok((
        out.task_definition().cloned(),
        json.filter(|t| !t.is_null()),
    ))
}

/// Retires a revision: [`deregister`], then [`untag`]. In that order: a revision that lost
/// its tags while still ACTIVE would be an orphan no one finds. One that no longer carries the
/// ownership tag was retired already, by another removal of the same set (CloudFormation's
/// Delete beside the Create it gave up on, a re-delivered Delete): nothing is left to do, and
/// IAM would refuse the untag (the function may untag only what carries the tag). So the tag
/// is read before the deregistration and again before the untag (ListTagsForResource), which
/// leaves two concurrent retirements a moment, not a call, to both untag. A failure to untag
/// is logged, not returned: the revision is INACTIVE already, and a later retirement finds it
/// so.
pub async fn delete(ecs: &Client, arn: &str) -> Result<()> {
    if !owned(ecs, arn).await? {
        return Ok(());
    }
    deregister(ecs, arn).await?;
    if !owned(ecs, arn).await? {
        return Ok(());
    }
    if let Err(err) = untag(ecs, arn).await {
        tracing::warn!(%err, "a retired task definition keeps its ownership tags");
    }
    Ok(())
}

/// Whether revision `arn` still carries the ownership tag (one gone counts as not).
async fn owned(ecs: &Client, arn: &str) -> Result<bool> {
    match tags::ecs::of(ecs, arn).await {
        Err(err) if is_task_definition_retired(&err) => Ok(false),
        other => Ok(other?.contains_key(OWNER_TAG)),
    }
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
        .done(format!("deregistering task definition ({arn})"));
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
        .done(format!("untagging task definition ({arn})"))
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
