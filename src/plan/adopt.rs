//! Find, then claim, adopt or create: how every step of building a set converges when it is
//! repeated (a continuation, a re-delivered event) or raced by a concurrent attempt of the
//! same deployment ("already exists" → adopt the winner's resource if it carries our tag).

use std::future::Future;

use super::Owner;
use crate::aws::Clients;
use crate::error::{is_already_exists, is_service_draining, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::resources::{claim, cluster, log_group, service, task_definition, Tagged};
use crate::retry::{poll_until, ADOPT_AFTER_CONFLICT};
use crate::spec::Spec;

/// The log group with its retention; a group made by a concurrent attempt is adopted.
pub(super) async fn ensure_log_group(
    c: &Clients,
    d: &Deployment,
    name: &str,
    days: i32,
    tags: &Tags,
) -> Result<()> {
    let find = || log_group::find(&c.logs, name);
    let existing = match claim(d, find().await?)? {
        Some(group) => group,
        None => match log_group::create(&c.logs, name, days, tags).await {
            Err(e) if is_already_exists(&e) => adopt(d, find, e).await?,
            other => return other,
        },
    };
    match existing.retention_days == Some(days) {
        true => Ok(()),
        false => log_group::set_retention(&c.logs, name, days).await,
    }
}

/// The deployment's task definition: the oldest revision of ours, registering one if there is
/// none. Concurrent attempts each register one, then all settle on the oldest and retire
/// their own extra revision, so they converge to one.
pub(super) async fn task_definition_once(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    links: task_definition::Links<'_>,
    tags: &Tags,
) -> Result<task_definition::TaskDefinition> {
    let ours =
        |all: Vec<task_definition::TaskDefinition>| all.into_iter().rev().find(|t| d.owns(&t.tags));
    if let Some(oldest) = ours(task_definition::find_all(&c.ecs, &spec.task_family).await?) {
        return Ok(oldest);
    }
    let mine = task_definition::create(&c.ecs, spec, links, tags).await?;
    match ours(task_definition::find_all(&c.ecs, &spec.task_family).await?) {
        Some(oldest) if oldest.arn != mine.arn => {
            task_definition::delete(&c.ecs, &mine.arn).await?;
            Ok(oldest)
        }
        _ => Ok(mine),
    }
}

/// The capacity providers `spec`'s strategy names, associated with `cluster` if it lacks any
/// (a strategy may only name providers of its cluster).
pub(super) async fn capacity_for(
    c: &Clients,
    cluster: &cluster::Cluster,
    spec: &Spec,
) -> Result<()> {
    let missing: Vec<String> = spec
        .capacity_provider_strategy
        .iter()
        .map(|i| i.text("CapacityProvider"))
        .filter(|p| !cluster.capacity_providers.contains(p))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => cluster::add_capacity_providers(&c.ecs, cluster, &missing).await,
    }
}

/// Sets the cluster's Container Insights to `spec`'s if it gives one and the cluster differs
/// (the sets of one stack resource that share a cluster during a replacement share it).
pub(super) async fn insights_for(
    c: &Clients,
    cluster: &cluster::Cluster,
    spec: &Spec,
) -> Result<()> {
    match spec.container_insights.as_deref() {
        Some(v) if cluster.container_insights.as_deref() != Some(v) => {
            cluster::set_container_insights(&c.ecs, &cluster.name, v).await
        }
        _ => Ok(()),
    }
}

/// Find, then claim or create. A create that loses a race to a concurrent attempt of the
/// same deployment ("already exists") adopts the winner's resource if it is ours.
pub(super) async fn ensure<T, F, FFut, C, CFut>(d: &Deployment, find: F, create: C) -> Result<T>
where
    T: Tagged,
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<T>>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = Result<T>>,
{
    match claim(d, find().await?)? {
        Some(existing) => Ok(existing),
        None => create_or_adopt(d, find, create).await,
    }
}

/// Creates what a find has just shown to be absent; if a concurrent attempt of the same
/// deployment created it in between ("already exists"), adopts that one.
pub(super) async fn create_or_adopt<T, F, FFut, C, CFut>(
    d: &Deployment,
    find: F,
    create: C,
) -> Result<T>
where
    T: Tagged,
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<T>>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = Result<T>>,
{
    match create().await {
        Err(err) if is_already_exists(&err) => adopt(d, find, err).await,
        other => other,
    }
}

/// After "already exists": a concurrent attempt of the same deployment got there first. Its
/// resource is adopted once it is visible (reads lag writes) and if it carries our tag;
/// otherwise the conflict stands.
async fn adopt<T, F, Fut>(d: &Deployment, find: F, conflict: Error) -> Result<T>
where
    T: Tagged,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    match poll_until(
        ADOPT_AFTER_CONFLICT,
        "finding the resource a concurrent attempt created",
        &find,
    )
    .await
    {
        Ok(found) => claim(d, Some(found))?.ok_or(conflict),
        Err(Error::GaveUp { .. }) => Err(conflict),
        Err(other) => Err(other),
    }
}

/// The set's service: ours if it exists; else created under the user's name, or, if another
/// set of this stack resource holds that name in the cluster, under the name with this set's
/// fingerprint ([`Deployment::service_names`]). A name still held by a DRAINING service (one
/// being deleted) is waited for: ECS refuses it until the service is INACTIVE.
pub(super) async fn ensure_service(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    links: service::Links<'_>,
    tags: &Tags,
) -> Result<service::Service> {
    let d = &owner.deployment;
    let names = d.service_names(&spec.service_name);
    let mut found = service::find_named(&c.ecs, links.cluster, &names).await?;
    for draining in found.iter().filter(|s| s.status == "DRAINING") {
        service::wait_inactive(&c.ecs, links.cluster, &draining.name).await?;
    }
    found.retain(|s| s.status != "DRAINING");
    if let Some(ours) = found.iter().find(|s| d.owns(&s.tags)) {
        return Ok(ours.clone());
    }
    let holder = |name: &str| found.iter().find(|s| s.name == name);
    let not_ours = |s: &service::Service| Error::NotOurs {
        kind: service::Service::KIND,
        name: s.name.clone(),
    };
    let name = match holder(&names[0]) {
        Some(held) if d.sibling_owns(&held.tags) => &names[1],
        Some(foreign) => return Err(not_ours(foreign)),
        None => &names[0],
    };
    if let Some(foreign) = holder(name) {
        return Err(not_ours(foreign));
    }
    let token = owner.client_token();
    let find = || service::find(&c.ecs, links.cluster, name);
    let create = || service::create(&c.ecs, name, spec, links, tags, &token);
    match create_or_adopt(d, find, create).await {
        // DRAINING since the read above: wait until ECS lets the name go, then create.
        Err(err) if is_service_draining(&err) => {
            service::wait_inactive(&c.ecs, links.cluster, name).await?;
            create_or_adopt(d, find, create).await
        }
        other => other,
    }
}
