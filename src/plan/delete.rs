//! Delete: removes exactly what this deployment owns, in reverse dependency order.

use super::inventory;
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
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
        step(
            format!("deleting ECS service ({})", svc.name),
            service::delete(&c.ecs, &at.cluster_name, &svc),
        )
        .await?;
    }

    let traffic = async {
        if let Some(rule) = ours(d, found.listener_rule) {
            step(
                format!("deleting listener rule ({})", rule.arn),
                listener_rule::delete(&c.elb, &rule),
            )
            .await?;
        }
        match ours(d, found.target_group) {
            Some(tg) => {
                step(
                    format!("deleting target group ({})", tg.name),
                    target_group::delete(&c.elb, &tg),
                )
                .await
            }
            None => Ok(()),
        }
    };
    let task = async {
        for def in &found.task_definitions {
            step(
                format!("deregistering task definition ({})", def.arn),
                task_definition::delete(&c.ecs, &def.arn),
            )
            .await?;
        }
        let roles = [ours(d, found.execution_role), ours(d, found.task_role)];
        let [exec, task] = roles.map(|r| async move {
            match r {
                Some(r) => {
                    step(
                        format!("deleting IAM role ({})", r.name),
                        role::delete(&c.iam, &r.name),
                    )
                    .await
                }
                None => Ok(()),
            }
        });
        let (exec, task) = tokio::join!(exec, task);
        Error::all([exec.err(), task.err()]).map_or(Ok(()), Err)
    };
    let cluster = async {
        match ours(d, found.cluster) {
            Some(cl) => {
                step(
                    format!("deleting ECS cluster ({})", cl.name),
                    cluster::delete(&c.ecs, &cl.name),
                )
                .await
            }
            None => Ok(()),
        }
    };
    let sg = async {
        match ours(d, found.security_group) {
            Some(sg) => {
                step(
                    format!("deleting security group ({})", sg.name),
                    security_group::delete(&c.ec2, &sg),
                )
                .await
            }
            None => Ok(()),
        }
    };
    let logs = async {
        match ours(d, found.log_group) {
            Some(g) => {
                step(
                    format!("deleting log group ({})", g.name),
                    log_group::delete(&c.logs, &g.name),
                )
                .await
            }
            None => Ok(()),
        }
    };
    let (traffic, task, cluster, sg, logs) = tokio::join!(traffic, task, cluster, sg, logs);
    Error::all([
        traffic.err(),
        task.err(),
        cluster.err(),
        sg.err(),
        logs.err(),
    ])
    .map_or(Ok(()), Err)
}
