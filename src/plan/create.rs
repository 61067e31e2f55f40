//! Create, and the building of a new set in a replacement: `prepare` makes every resource in
//! dependency order (independent ones concurrently, adopting what an earlier attempt made),
//! with the target group joined to the listener but sent no traffic, and waits for the
//! service; `commit` then routes traffic to it. A failed Create removes everything it made.

use super::adopt::{cluster_for, ensure_service, security_group_for};
use super::commit::commit;
use super::set::{Built, Start};
use super::traffic::{traffic, without_strays};
use super::watch::{still_awaited, Awaited};
use super::{alarms, revisions, scaling};
use super::{delete, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::naming::Tags;
use crate::preflight;
use crate::progress::step;
use crate::resources::{
    alarm, cluster, listener_rule, role, security_group, service, target_group, task_definition,
};
use crate::spec::scaling::starting_count;
use crate::spec::{Locator, Spec};

/// A failed Create: the cause, and whether everything it made has been removed again.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFailed {
    /// Why the Create failed.
    pub error: Error,
    /// `None` if the rollback removed everything; otherwise why it could not.
    pub rollback_error: Option<Error>,
}

/// Creates the deployment; on failure removes what this deployment owns before returning.
/// A wait that must go on in another invocation ([`Error::pending`]) removes nothing.
/// CloudFormation is asked whether it still waits ([`still_awaited`]) first of all (a Lambda
/// retry of a Create it has since cancelled, or a continued invocation) and before traffic is
/// routed: a Create it gave up on removes what it made.
pub async fn create(c: &Clients, owner: &Owner, spec: &Spec) -> Result<Outputs, CreateFailed> {
    let set_up = async {
        still_awaited(c, owner, &Awaited::Create).await?;
        let (priority, rule) = check(c, owner, spec).await?;
        let start = Start {
            priority,
            rule,
            running: None,
            fresh: true,
            from: None,
        };
        let wait = spec.wait_for_steady_state;
        let built = Box::pin(prepare(c, owner, spec, start, wait)).await?;
        still_awaited(c, owner, &Awaited::Create).await?;
        Box::pin(commit(c, owner, spec, built)).await
    };
    match set_up.await {
        Ok(outputs) => Ok(outputs),
        Err(error) => Err(remove_unless_pending(c, owner, spec, error).await),
    }
}

/// Preflight ([`crate::preflight`]): every problem at once, before any write. Returns the
/// priority a new listener rule gets, and the stack resource's rule if preflight found one.
pub(super) async fn check(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
) -> Result<(u32, Option<listener_rule::ListenerRule>)> {
    step(
        "checking the account and network (preflight)",
        preflight::run(c, &owner.deployment, spec),
    )
    .await?
    .accept()
}

/// Whether building that failed with `error` removes what it made (the revision it registered,
/// then the set): the one decision [`prepare`], [`remove_unless_pending`] and the answer share.
/// Not when the work only goes on in another invocation; not on a preflight's word (it wrote
/// nothing, and what exists is an earlier invocation's or, on a late re-delivery, the live set,
/// left for CloudFormation's Delete or rollback); and not while someone else is removing the
/// set (its service DRAINING under the wait: CloudFormation's Delete or rollback): a second
/// removal beside it only races it, and the second retirement of a revision is refused once
/// the first has removed the tag the function's policy requires.
pub fn removes_what_it_made(error: &Error) -> bool {
    error.pending().is_none() && !matches!(error, Error::Preflight { .. } | Error::Draining { .. })
}

/// What [`create`] and a replacement do when building fails: remove what the new set owns
/// (never what it borrowed from the set it replaces), if [`removes_what_it_made`].
pub(super) async fn remove_unless_pending(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    error: Error,
) -> CreateFailed {
    if !removes_what_it_made(&error) {
        return CreateFailed {
            error,
            rollback_error: None,
        };
    }
    tracing::warn!(%error, "building the set failed: removing what it made");
    let rollback = Box::pin(delete(c, &owner.deployment, &Locator::from(spec))).await;
    CreateFailed {
        error,
        rollback_error: rollback.err(),
    }
}

/// Builds every resource in dependency order, concurrently where independent: the target
/// group joins the listener before the service is created (AWS requires it), but receives no
/// traffic until [`commit`]. Then (if `wait`) waits until the service is steady. What exists
/// and is ours is adopted, so a repeated or continued attempt converges. The cluster of
/// another set of the same stack resource (same ClusterName) is used as it is and handed over
/// in [`commit`].
/// A new listener rule gets `start.priority`; a new service starts at `start.running` tasks
/// (the count of the service a replacement replaces) when scaling is on, else at DesiredCount
/// (within the scaling bounds). The baseline alarms are made before the service (deployment
/// alarms may name them), the scaling once it is steady.
pub(super) async fn prepare(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    start: Start,
    wait: bool,
) -> Result<Built> {
    let d = &owner.deployment;
    let tags = owner.tags(&spec.tags);
    // Boxed: these futures are deep, and debug builds keep them on the stack.
    let (defs, routed, sg, cluster) = tokio::join!(
        Box::pin(revisions::task_definition_set(
            c,
            owner,
            (spec, start.heir()),
            &tags
        )),
        Box::pin(traffic(c, d, spec, &start, &tags)),
        Box::pin(security_group_for(c, d, (spec, start.heir()), &tags)),
        Box::pin(cluster_for(c, d, spec, &tags)),
    );
    // The revision this attempt registered: a failure retires it by its ARN (the teardown's
    // finding by tag may not see a revision registered seconds ago).
    let registered = defs.as_ref().ok().map(|(_, _, def)| def.arn.clone());
    let built = async {
        let parts = (defs, routed, sg, cluster).all_ok()?;
        Box::pin(finish(c, owner, spec, (&start, wait), parts)).await
    };
    match built.await {
        Err(err) if removes_what_it_made(&err) => {
            Err(revisions::retire_early(c, registered, err).await)
        }
        other => other,
    }
}

/// The set's resources but the service, as [`prepare`] made them.
type Parts = (
    (role::Role, role::Role, task_definition::TaskDefinition),
    (target_group::TargetGroup, listener_rule::ListenerRule),
    security_group::SecurityGroup,
    cluster::Cluster,
);

/// The service (and, meanwhile, the rule a fresh Create settles on), the wait, the scaling.
async fn finish(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (start, wait): (&Start, bool),
    ((exec, task, def), (tg, rule), sg, cluster): Parts,
) -> Result<Built> {
    let (d, tags) = (&owner.deployment, owner.tags(&spec.tags));
    let links = service::Links {
        cluster: &cluster.name,
        task_definition_arn: &def.arn,
        security_group_id: &sg.id,
        target_group_arn: &tg.arn,
    };
    let steady = Box::pin(started(c, owner, spec, (links, start, wait), &tags));
    // A rule created without a read of the listener: another of ours may stand elsewhere
    // (see `traffic`); the listener is read while the service starts.
    let settled = async {
        match start.fresh && start.rule.is_none() {
            true => without_strays(c, d, &spec.listener_arn, rule).await,
            false => Ok(rule),
        }
    };
    let (svc, rule) = tokio::join!(steady, settled).all_ok()?;
    // The service an earlier attempt made, adopted, runs that attempt's revision.
    let def = task_definition::TaskDefinition {
        arn: svc.task_definition.clone(),
        ..def
    };
    let place = scaling::Place {
        cluster: &cluster.name,
        service: &svc.name,
        target_group_arn: &tg.arn,
    };
    scaling::ensure(c, d, spec, place, &tags).await?;
    Ok(Built {
        rule,
        execution_role: exec,
        task_role: task,
        task_definition: def,
        target_group: tg,
        security_group: sg,
        cluster,
        service: svc,
        log_group_name: d.log_group(),
        fresh: start.fresh,
    })
}

/// The service, made or adopted ([`service_for`]); then, at once, the wait until it is steady
/// (if `wait`) and the retirement of our revisions it does not run.
async fn started(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (links, start, wait): (service::Links<'_>, &Start, bool),
    tags: &Tags,
) -> Result<service::Service> {
    let cluster = links.cluster;
    let svc = service_for(c, owner, spec, (links, start), tags).await?;
    let waited = async {
        match wait {
            true => step(
                format!("waiting for ECS service ({}) to be steady", svc.name),
                service::wait_steady(&c.ecs, cluster, &svc.name, &svc.task_definition),
            )
            .await
            .map(|_| ()),
            false => Ok(()),
        }
    };
    let retired = revisions::retire_unused(c, &owner.deployment, &svc);
    tokio::join!(waited, retired).all_ok()?;
    Ok(svc)
}

/// The baseline alarms first (deployment alarms may name them), then the service, started
/// at its [`starting_count`] and told the set's alarm names; alarms whose service ended up
/// under the other name ([`Deployment::service_names`]) are put again to watch it.
async fn service_for(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    (links, start): (service::Links<'_>, &Start),
    tags: &Tags,
) -> Result<service::Service> {
    let d = &owner.deployment;
    let watched = alarms::Watched {
        cluster: links.cluster,
        service: &spec.service_name,
        target_group_arn: links.target_group_arn,
    };
    if spec.alarms {
        let found = alarm::find_all(&c.cloudwatch, &alarms::names(d)).await?;
        alarms::ensure(c, d, spec, watched, &found, tags).await?;
    }
    let seeded = Spec {
        desired_count: starting_count(
            spec.auto_scaling.as_ref(),
            spec.desired_count,
            start.running,
        ),
        ..alarms::for_ecs(d, spec)
    };
    let svc = step(
        format!("creating ECS service ({})", spec.service_name),
        ensure_service(c, owner, &seeded, (links, start.fresh), tags),
    )
    .await?;
    if spec.alarms && svc.name != spec.service_name {
        let watched = alarms::Watched {
            service: &svc.name,
            ..watched
        };
        alarms::ensure(c, d, spec, watched, &[], tags).await?;
    }
    Ok(svc)
}
