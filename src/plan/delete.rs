//! Delete: removes exactly what this deployment owns, in reverse dependency order.

use std::future::Future;

use super::{inventory, Inventory};
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::listener_rule::ListenerRule;
use crate::resources::target_group::TargetGroup;
use crate::resources::{
    cluster, listener_rule, log_group, ours, role, security_group, service, target_group,
    task_definition, Tagged,
};
use crate::spec::Locator;

/// Deletes every resource of `deployment` that carries its ownership tag. What is gone
/// counts as deleted; what is not ours is logged and left alone.
pub async fn delete(c: &Clients, deployment: &Deployment, at: &Locator) -> Result<()> {
    delete_found(c, deployment, at, inventory(c, deployment, at).await?).await
}

/// [`delete`] of resources already found (the CLI shows them before it deletes them).
pub async fn delete_found(
    c: &Clients,
    d: &Deployment,
    at: &Locator,
    found: Inventory,
) -> Result<()> {
    // The service first: nothing else can go while tasks run.
    remove(d, found.service, |svc| async move {
        service::delete(&c.ecs, &at.cluster_name, &svc).await
    })
    .await?;

    let traffic = async {
        release_target_group(
            c,
            d,
            found.listener_rule.as_ref(),
            found.target_group.as_ref(),
        )
        .await?;
        remove(d, found.listener_rule, |rule| async move {
            listener_rule::delete(&c.elb, &rule).await
        })
        .await?;
        remove(d, found.target_group, |tg| async move {
            target_group::delete(&c.elb, &tg).await
        })
        .await
    };
    let task = async {
        for def in found.task_definitions {
            remove(d, Some(def), |def| async move {
                task_definition::delete(&c.ecs, &def.arn).await
            })
            .await?;
        }
        let (exec, task) = tokio::join!(
            remove(d, found.execution_role, |r| async move {
                role::delete(&c.iam, &r.name).await
            }),
            remove(d, found.task_role, |r| async move {
                role::delete(&c.iam, &r.name).await
            }),
        );
        Error::all([exec.err(), task.err()]).map_or(Ok(()), Err)
    };
    let (traffic, task, cluster, sg, logs) = tokio::join!(
        traffic,
        task,
        remove(d, found.cluster, |cl| async move {
            cluster::delete(&c.ecs, &cl.name).await
        }),
        remove(d, found.security_group, |sg| async move {
            security_group::wait_unused(&c.ec2, &sg).await?;
            security_group::delete(&c.ec2, &sg).await
        }),
        remove(d, found.log_group, |g| async move {
            log_group::delete(&c.logs, &g.name).await
        }),
    );
    Error::all([
        traffic.err(),
        task.err(),
        cluster.err(),
        sg.err(),
        logs.err(),
    ])
    .map_or(Ok(()), Err)
}

/// A half-built replacement's target group sits at weight 0 in the rule of the set it was to
/// replace (see `create::traffic`); ELBv2 refuses to delete a group that a rule forwards to
/// (DeleteTargetGroup reference: `ResourceInUse`), so it is taken out of that rule first.
async fn release_target_group(
    c: &Clients,
    d: &Deployment,
    rule: Option<&ListenerRule>,
    tg: Option<&TargetGroup>,
) -> Result<()> {
    let (Some(rule), Some(tg)) = (rule, tg) else {
        return Ok(());
    };
    if d.owns(&rule.tags) || !d.owns(&tg.tags) || !rule.target_group_arns.contains(&tg.arn) {
        return Ok(());
    }
    step(
        format!(
            "taking target group ({}) out of rule ({})",
            tg.name, rule.arn
        ),
        listener_rule::release(&c.elb, rule, &tg.arn),
    )
    .await
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
