//! Create first, then on "already exists" read, claim and adopt: how every step of building a
//! set converges when it is repeated (a continuation, a re-delivered event) or raced by a
//! concurrent attempt of the same deployment, with no read on the way of a fresh Create.

use std::future::Future;

use super::{Heir, Owner};
use crate::aws::Clients;
use crate::error::{
    is_already_exists, is_service_draining, is_service_name_taken, AllOk, Error, Result,
};
use crate::naming::{Deployment, Tags, OWNER_TAG};
use crate::progress::step;
use crate::resources::{
    borrow, claim, cluster, log_group, security_group, service, service_linked_role, Tagged,
};
use crate::retry::{poll_until, ADOPT_AFTER_CONFLICT};
use crate::spec::Spec;

/// The log group with its retention; a group made by an earlier or concurrent attempt is
/// adopted.
pub(super) async fn ensure_log_group(
    c: &Clients,
    d: &Deployment,
    name: &str,
    days: i32,
    tags: &Tags,
) -> Result<()> {
    let find = || log_group::find(&c.logs, name);
    let existing = match log_group::create(&c.logs, name, days, tags).await {
        Err(e) if is_already_exists(&e) => adopt(d, find, e).await?,
        created => return created,
    };
    match existing.retention_days == Some(days) {
        true => Ok(()),
        false => log_group::set_retention(&c.logs, name, days).await,
    }
}

/// The service's security group, open to the load balancer's group on the container port:
/// the set's own, else the one it takes over in the same VPC ([`Heir`]), else created.
pub(super) async fn security_group_for(
    c: &Clients,
    d: &Deployment,
    (spec, heir): (&Spec, Heir<'_>),
    tags: &Tags,
) -> Result<security_group::SecurityGroup> {
    let name = d.security_group();
    let vpc = Some(spec.vpc_id.as_str());
    let port = i32::from(spec.container_port);
    let source = spec.load_balancer_security_group_id.as_str();
    step(format!("creating security group ({name})"), async {
        let mut sg = match held_group(c, d, vpc, heir).await? {
            Some(held) => held,
            None => {
                create_or_adopt(
                    d,
                    || security_group::find(&c.ec2, vpc, &name),
                    || security_group::create(&c.ec2, &spec.vpc_id, &name, port, source, tags),
                )
                .await?
            }
        };
        if !sg.ingress.contains(&(port, source.to_string())) {
            // An earlier attempt may have created it a moment ago.
            security_group::allow_new(&c.ec2, &sg, port, source).await?;
        }
        super::network::ensure_egress(c, spec, &sg.id, tags).await?;
        let narrow = d.owns(&sg.tags);
        sg.egress = super::network::converge_egress(c, spec, &sg, narrow).await?;
        Ok(sg)
    })
    .await
}

/// The security group in `vpc` that `d` holds or takes over ([`Heir`]); none on a Create.
async fn held_group(
    c: &Clients,
    d: &Deployment,
    vpc: Option<&str>,
    heir: Heir<'_>,
) -> Result<Option<security_group::SecurityGroup>> {
    if heir.fresh {
        return Ok(None);
    }
    let ids: Vec<&str> = [Some(d), heir.from]
        .into_iter()
        .flatten()
        .map(Deployment::physical_id)
        .collect();
    let found = security_group::find_owned(&c.ec2, vpc, (OWNER_TAG, &ids)).await?;
    Ok(heir.held(d, found))
}

/// The ECS service-linked role (the account's; made if missing) while the cluster is read,
/// then the cluster: ours, a sibling's (borrowed), or created. The cluster is read first:
/// CreateCluster of an existing name returns that cluster unchanged, whoever owns it (rule 6
/// of the test proxy), so its answer cannot tell ours from someone else's.
pub(super) async fn cluster_for(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    tags: &Tags,
) -> Result<cluster::Cluster> {
    let find = || cluster::find(&c.ecs, &spec.cluster_name);
    let (found, ()) = tokio::join!(
        find(),
        step(
            format!(
                "ensuring the ECS service-linked role ({})",
                service_linked_role::ECS_ROLE_NAME
            ),
            service_linked_role::ensure(&c.iam),
        ),
    )
    .all_ok()?;
    step(
        format!("creating ECS cluster ({})", spec.cluster_name),
        async {
            let cluster = match borrow(d, found)? {
                Some(shared) => shared,
                None => {
                    let insights = spec.container_insights.as_deref();
                    let create = || cluster::create(&c.ecs, &spec.cluster_name, tags, insights);
                    create_or_adopt(d, find, create).await?
                }
            };
            capacity_for(c, &cluster, spec).await?;
            insights_for(c, &cluster, spec).await?;
            Ok(cluster)
        },
    )
    .await
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
        .map(|i| i.capacity_provider.clone())
        .filter(|p| !cluster.capacity_providers.contains(p))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => cluster::add_capacity_providers(&c.ecs, &cluster.name, &missing).await,
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

/// Creates first; if it exists already ("already exists": an earlier or concurrent attempt of
/// the same deployment, or someone else), reads it and adopts it if it carries our tag.
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
/// A new stack resource (`fresh`: a Create, which has no sibling set) tries CreateService
/// first and reads only when ECS refuses the name (an earlier attempt's service with another
/// clientToken, someone else's, or one DRAINING); the same clientToken and request return the
/// earlier attempt's service (ECS API reference, "Idempotency").
pub(super) async fn ensure_service(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (links, fresh): (service::Links<'_>, bool),
    tags: &Tags,
) -> Result<service::Service> {
    let d = &owner.deployment;
    let names = d.service_names(&spec.service_name);
    if fresh {
        let token = owner.client_token(links.task_definition_arn);
        let find = || service::find(&c.ecs, links.cluster, &names[0]);
        match service::create(&c.ecs, &names[0], spec, links, tags, &token).await {
            // An ACTIVE service holds the name: ours (an earlier attempt with another request)
            // once it is readable, else the conflict stands.
            Err(err) if is_service_name_taken(&err) => return adopt(d, find, err).await,
            Err(err) if is_service_draining(&err) => {}
            other => return other,
        }
    }
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
    let token = owner.client_token(links.task_definition_arn);
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
