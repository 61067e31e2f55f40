//! Delete: removes exactly what this deployment owns, in reverse dependency order.

use super::inventory;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::resources::{
    cluster, listener_rule, log_group, ours, role, security_group, service, target_group,
    task_definition,
};
use crate::spec::Locator;

/// Deletes every resource of `deployment` that carries its ownership tag. What is gone
/// counts as deleted; what is not ours is logged and left alone.
pub async fn delete(c: &Clients, deployment: &Deployment, at: &Locator) -> Result<()> {
    let found = inventory(c, deployment, at).await?;
    let d = deployment;

    // The service first: nothing else can go while tasks run.
    if let Some(svc) = ours(d, found.service) {
        service::delete(&c.ecs, &at.cluster_name, &svc).await?;
    }

    let (traffic, task, cluster, sg, logs) = tokio::join!(
        async {
            if let Some(rule) = ours(d, found.listener_rule) {
                listener_rule::delete(&c.elb, &rule).await?;
            }
            match ours(d, found.target_group) {
                Some(tg) => target_group::delete(&c.elb, &tg).await,
                None => Ok(()),
            }
        },
        async {
            for def in &found.task_definitions {
                task_definition::delete(&c.ecs, &def.arn).await?;
            }
            let (exec, task) = tokio::join!(
                async {
                    match ours(d, found.execution_role) {
                        Some(r) => role::delete(&c.iam, &r.name).await,
                        None => Ok(()),
                    }
                },
                async {
                    match ours(d, found.task_role) {
                        Some(r) => role::delete(&c.iam, &r.name).await,
                        None => Ok(()),
                    }
                },
            );
            Error::all([exec.err(), task.err()]).map_or(Ok(()), Err)
        },
        async {
            match ours(d, found.cluster) {
                Some(cl) => cluster::delete(&c.ecs, &cl.name).await,
                None => Ok(()),
            }
        },
        async {
            match ours(d, found.security_group) {
                Some(sg) => security_group::delete(&c.ec2, &sg).await,
                None => Ok(()),
            }
        },
        async {
            match ours(d, found.log_group) {
                Some(g) => log_group::delete(&c.logs, &g.name).await,
                None => Ok(()),
            }
        },
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
