//! Delete: removes exactly what this deployment owns, in the order of the parts' deletion
//! ranks ([`super::PARTS`]; `delete/tests.rs` holds this code to them).

use std::future::Future;

use super::{inventory, Inventory};
use crate::aws::Clients;
use crate::error::{
    is_cluster_busy, is_cluster_with_services, is_cluster_with_tasks, AllOk, Result,
};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::cluster::Cluster;
use crate::resources::listener_rule::ListenerRule;
use crate::resources::target_group::TargetGroup;
use crate::resources::{
    cluster, listener_rule, log_group, ours, role, security_group, service, target_group,
    task_definition, Tagged,
};
use crate::retry::{retry, CLUSTER_BUSY};
use crate::spec::Locator;

/// Deletes every resource of `deployment` that carries its ownership tag. What is gone
/// counts as deleted; what is not ours is logged and left alone.
pub async fn delete(c: &Clients, deployment: &Deployment, at: &Locator) -> Result<()> {
    delete_found(c, deployment, at, inventory(c, deployment, at).await?).await
}

/// [`delete`] of resources already found (the CLI shows them before it deletes them), rank by
/// rank ([`super::PartInfo::deletion_rank`]): the scalable target, the service (nothing else
/// can go while tasks run) and the set's one-off tasks, then the rest together.
pub async fn delete_found(
    c: &Clients,
    d: &Deployment,
    at: &Locator,
    found: Inventory,
) -> Result<()> {
    let Inventory {
        execution_role,
        task_role,
        security_group,
        log_group,
        cluster,
        task_definitions,
        target_group,
        listener_rule,
        test_listener_rules,
        service: running,
        scalable_target,
        alarms,
        alternate_target_group,
        traffic_role,
    } = found;
    let task_definitions = with_the_services(task_definitions, running.as_ref(), d);
    super::scaling::remove(c, d, scalable_target).await?;
    remove(d, running, |svc| async move {
        service::delete(&c.ecs, &at.cluster_name, &svc).await
    })
    .await?;
    stop_one_offs(c, d, at, cluster.as_ref()).await;
    tokio::join!(
        remove_traffic(
            c,
            d,
            (listener_rule, test_listener_rules),
            [target_group, alternate_target_group]
        ),
        remove_task(
            c,
            d,
            task_definitions,
            [execution_role, task_role, traffic_role]
        ),
        remove(d, cluster, |cl| async move {
            remove_cluster(c, d, at, &cl.name).await
        }),
        remove(d, security_group, |sg| async move {
            if let Some(from) = &at.load_balancer_security_group_id {
                super::network::narrow_egress(c, from, &sg.id, None).await?;
            }
            security_group::wait_unused(&c.ec2, &sg).await?;
            security_group::delete(&c.ec2, &sg).await
        }),
        remove(d, log_group, |g| async move {
            log_group::delete(&c.logs, &g.name).await
        }),
        super::alarms::remove(c, d, alarms),
    )
    .all_ok()
    .map(|_| ())
}

/// One-off tasks of the set (a migration, smoke checks) on a cluster it does not own would
/// hold its security group: stopped now; our own `cluster` stops them when its DeleteCluster
/// is refused ([`remove_cluster`]).
async fn stop_one_offs(c: &Clients, d: &Deployment, at: &Locator, cluster: Option<&Cluster>) {
    if !cluster.is_some_and(|cl| d.owns(&cl.tags)) {
        super::migration::stop_running(c, d, &at.cluster_name, &at.task_family).await;
    }
}

/// The revisions found by tag, and those the service (ours) runs or rolls to that the finding
/// missed: GetResources is eventually consistent (Resource Groups Tagging API Reference,
/// GetResources), so a revision registered moments before a Delete may not be listed yet.
/// Those are taken as ours ([`task_definition::delete`] reads their tags before it retires
/// them).
fn with_the_services(
    mut found: Vec<task_definition::TaskDefinition>,
    running: Option<&service::Service>,
    d: &Deployment,
) -> Vec<task_definition::TaskDefinition> {
    let Some(svc) = running.filter(|s| d.owns(&s.tags)) else {
        return found;
    };
    let named = std::iter::once(&svc.task_definition).chain(&svc.revisions);
    for arn in named.filter(|a| !a.is_empty()) {
        if !found.iter().any(|t| &t.arn == arn) {
            let tags = d.tags(&crate::naming::Tags::new());
            found.push(task_definition::TaskDefinition {
                arn: arn.clone(),
                tags,
            });
        }
    }
    found
}

/// Deletes our cluster. DescribeServices leaves out a service created a moment earlier
/// (`MISSING`: ECS reads are eventually consistent, rule 8 of the test proxy), so a Delete
/// that closely follows a CreateService (CloudFormation's Delete of a Create it cancelled) may
/// not have seen the set's service, and DeleteCluster refuses with
/// `ClusterContainsServicesException`. Each such refusal reads the set's service names again
/// and deletes the service found, if ours. Rounds: `CLUSTER_BUSY`, while services or tasks
/// drain out.
async fn remove_cluster(c: &Clients, d: &Deployment, at: &Locator, name: &str) -> Result<()> {
    // The set's one-off tasks are stopped once, at the first refusal for tasks (the service's
    // own draining tasks refuse it too, round after round).
    let stopped = std::sync::atomic::AtomicBool::new(false);
    retry(CLUSTER_BUSY, is_cluster_busy, || async {
        let refused = match cluster::delete(&c.ecs, name).await {
            Err(e) if is_cluster_with_services(&e) => e,
            Err(e) if is_cluster_with_tasks(&e) => {
                if !stopped.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    super::migration::stop_running(c, d, name, &at.task_family).await;
                }
                return Err(e);
            }
            done => return done,
        };
        let names = d.service_names(&at.service_name);
        for svc in service::find_named(&c.ecs, name, &names).await? {
            if d.owns(&svc.tags) {
                tracing::warn!(service = svc.name, "deleting a service not seen before");
                service::delete(&c.ecs, name, &svc).await?;
            }
        }
        Err(refused)
    })
    .await
}

/// The rules (the production rule if ours, else our target groups' places in a sibling's
/// rule; the test rules), then the target groups (the primary and a native strategy's
/// alternate), which ELBv2 deletes only once no rule forwards to them.
async fn remove_traffic(
    c: &Clients,
    d: &Deployment,
    (rule, tests): (Option<ListenerRule>, Vec<ListenerRule>),
    groups: [Option<TargetGroup>; 2],
) -> Result<()> {
    let mut rule = rule;
    for tg in groups.iter().flatten() {
        rule = release_target_group(c, d, rule, tg).await?;
    }
    for rule in std::iter::once(rule).chain(tests.into_iter().map(Some)) {
        remove(d, rule, |rule| async move {
            listener_rule::delete(&c.elb, &rule).await
        })
        .await?;
    }
    let removed = groups.into_iter().map(|tg| {
        remove(d, tg, |tg| async move {
            target_group::delete(&c.elb, &tg).await
        })
    });
    futures::future::join_all(removed)
        .await
        .all_ok()
        .map(|_| ())
}

/// The task definition revisions and the roles they named, all at once: no task runs any
/// more (the service is gone), and neither IAM nor ECS ties one to the other.
async fn remove_task(
    c: &Clients,
    d: &Deployment,
    revisions: Vec<task_definition::TaskDefinition>,
    roles: [Option<role::Role>; 3],
) -> Result<()> {
    let deregistered = revisions.into_iter().map(|def| {
        remove(d, Some(def), |def| async move {
            task_definition::delete(&c.ecs, &def.arn).await
        })
    });
    let ((), ()) = tokio::join!(
        async {
            futures::future::join_all(deregistered)
                .await
                .all_ok()
                .map(|_| ())
        },
        remove_roles(c, d, roles),
    )
    .all_ok()?;
    Ok(())
}

/// The roles (execution, task, traffic), at once.
async fn remove_roles(c: &Clients, d: &Deployment, roles: [Option<role::Role>; 3]) -> Result<()> {
    let removed = roles.into_iter().map(|found| {
        remove(
            d,
            found,
            |r| async move { role::delete(&c.iam, &r.name).await },
        )
    });
    futures::future::join_all(removed)
        .await
        .all_ok()
        .map(|_| ())
}

/// A half-built replacement's target group sits at weight 0 in the rule of the set it was to
/// replace (see `create::traffic`); ELBv2 refuses to delete a group that a rule forwards to
/// (DeleteTargetGroup reference: `ResourceInUse`), so it is taken out of that rule first.
/// Returns the rule as it then is.
async fn release_target_group(
    c: &Clients,
    d: &Deployment,
    rule: Option<ListenerRule>,
    tg: &TargetGroup,
) -> Result<Option<ListenerRule>> {
    let Some(rule) = rule else {
        return Ok(None);
    };
    if d.owns(&rule.tags) || !d.owns(&tg.tags) || !rule.target_group_arns.contains(&tg.arn) {
        return Ok(Some(rule));
    }
    let released = step(
        format!(
            "taking target group ({}) out of rule ({})",
            tg.name, rule.arn
        ),
        listener_rule::release(&c.elb, &rule, &tg.arn),
    )
    .await?;
    Ok(Some(released))
}

/// Deletes `found` as a named step if it is ours; absent or foreign counts as done.
async fn remove<T, F, Fut>(d: &Deployment, found: Option<T>, delete: F) -> Result<()>
where
    T: Tagged,
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    match ours(d, found) {
        Some(r) => step(format!("deleting {} ({})", T::KIND, r.label()), delete(r)).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
