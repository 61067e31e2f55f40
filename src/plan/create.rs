//! Create: every resource in dependency order, independent ones concurrently; adopts what a
//! previous attempt of the same deployment made, and removes everything again on failure.

use std::future::Future;

use super::{delete, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{is_already_exists, Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::{
    claim, cluster, listener_rule, log_group, role, security_group, service, target_group,
    task_definition, Tagged,
};
use crate::retry::{poll_until, ADOPT_AFTER_CONFLICT};
use crate::spec::{Locator, Spec};

/// A failed Create: the cause, and whether everything it made has been removed again.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFailed {
    pub error: Error,
    /// `None` if the rollback removed everything; otherwise why it could not.
    pub rollback_error: Option<Error>,
}

/// Creates the deployment; on failure removes what this deployment owns before returning.
pub async fn create(c: &Clients, owner: &Owner, spec: &Spec) -> Result<Outputs, CreateFailed> {
    match build(c, owner, spec).await {
        Ok(outputs) => Ok(outputs),
        Err(error) => {
            tracing::warn!(%error, "create failed: removing what it made");
            let rollback = delete(c, &owner.deployment, &Locator::from(spec)).await;
            Err(CreateFailed {
                error,
                rollback_error: rollback.err(),
            })
        }
    }
}

async fn build(c: &Clients, owner: &Owner, spec: &Spec) -> Result<Outputs> {
    let d = &owner.deployment;
    let tags = owner.tags(&spec.tags);
    let execution_policy = format!(
        "arn:{}:iam::aws:policy/{}",
        owner.partition(),
        role::EXECUTION_POLICY
    );
    let log_group_name = d.log_group();

    // Roles and log group → task definition.
    let task_definition = async {
        let exec_name = d.execution_role();
        let task_name = d.task_role();
        let (exec, task, logs) = tokio::join!(
            step(format!("creating IAM role ({exec_name})"), async {
                let find = || role::find(&c.iam, &exec_name);
                let r = ensure(d, find, || role::create(&c.iam, &exec_name, &tags)).await?;
                role::attach_policy(&c.iam, &exec_name, &execution_policy).await?;
                Ok(r)
            }),
            step(
                format!("creating IAM role ({task_name})"),
                ensure(
                    d,
                    || role::find(&c.iam, &task_name),
                    || role::create(&c.iam, &task_name, &tags)
                ),
            ),
            step(
                format!("creating log group ({log_group_name})"),
                ensure_log_group(c, d, &log_group_name, spec.log_retention_days, &tags),
            ),
        );
        let errors = [
            exec.as_ref().err().cloned(),
            task.as_ref().err().cloned(),
            logs.err(),
        ];
        if let Some(err) = Error::all(errors) {
            return Err(err);
        }
        let (exec, task) = (exec?, task?);
        let links = task_definition::Links {
            execution_role_arn: &exec.arn,
            task_role_arn: &task.arn,
            log_group: &log_group_name,
        };
        let def = step(
            format!("registering task definition ({})", spec.task_family),
            task_definition_once(c, d, spec, links, &tags),
        )
        .await?;
        Ok((exec, task, def))
    };

    // Target group → listener rule.
    let traffic = async {
        let name = d.target_group();
        let tg = step(
            format!("creating target group ({name})"),
            ensure(
                d,
                || target_group::find(&c.elb, &name),
                || target_group::create(&c.elb, &name, spec, &tags),
            ),
        )
        .await?;
        let listener = &spec.listener_arn;
        let rule = step(
            format!(
                "creating rule at priority {} on listener ({listener})",
                spec.rule_priority
            ),
            ensure(
                d,
                || listener_rule::find(&c.elb, listener, d),
                || {
                    listener_rule::create(
                        &c.elb,
                        listener,
                        spec.rule_priority,
                        &spec.path_pattern,
                        &tg.arn,
                        &tags,
                    )
                },
            ),
        )
        .await?;
        Ok::<_, Error>((tg, rule))
    };

    let security_group = step(
        format!("creating security group ({})", d.security_group()),
        async {
            let name = d.security_group();
            let vpc = Some(spec.vpc_id.as_str());
            let port = i32::from(spec.container_port);
            let source = spec.load_balancer_security_group_id.as_str();
            let sg = ensure(
                d,
                || security_group::find(&c.ec2, vpc, &name),
                || security_group::create(&c.ec2, &spec.vpc_id, &name, port, source, &tags),
            )
            .await?;
            if !sg.ingress.contains(&(port, source.to_string())) {
                security_group::allow(&c.ec2, &sg, port, source).await?;
            }
            Ok(sg)
        },
    );

    let cluster = step(
        format!("creating ECS cluster ({})", spec.cluster_name),
        ensure(
            d,
            || cluster::find(&c.ecs, &spec.cluster_name),
            || cluster::create(&c.ecs, &spec.cluster_name, &tags),
        ),
    );

    let (defs, traffic, sg, cluster) =
        tokio::join!(task_definition, traffic, security_group, cluster);
    let errors = [
        defs.as_ref().err().cloned(),
        traffic.as_ref().err().cloned(),
        sg.as_ref().err().cloned(),
        cluster.as_ref().err().cloned(),
    ];
    if let Some(err) = Error::all(errors) {
        return Err(err);
    }
    let ((exec, task, def), (tg, rule), sg, cluster) = (defs?, traffic?, sg?, cluster?);

    let links = service::Links {
        cluster: &cluster.name,
        task_definition_arn: &def.arn,
        security_group_id: &sg.id,
        target_group_arn: &tg.arn,
    };
    let svc = step(
        format!("creating ECS service ({})", spec.service_name),
        ensure(
            d,
            || service::find(&c.ecs, &cluster.name, &spec.service_name),
            || service::create(&c.ecs, spec, links, &tags, d.physical_id()),
        ),
    )
    .await?;

    Ok(Outputs {
        cluster_arn: cluster.arn,
        cluster_name: cluster.name,
        service_arn: svc.arn,
        service_name: svc.name,
        task_definition_arn: def.arn,
        target_group_arn: tg.arn,
        listener_rule_arn: rule.arn,
        security_group_id: sg.id,
        execution_role_arn: exec.arn,
        task_role_arn: task.arn,
        log_group_name,
    })
}

/// The log group with its retention; a group made by a concurrent attempt is adopted.
async fn ensure_log_group(
    c: &Clients,
    d: &Deployment,
    name: &str,
    days: i32,
    tags: &crate::naming::Tags,
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
async fn task_definition_once(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    links: task_definition::Links<'_>,
    tags: &crate::naming::Tags,
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

/// Find, then claim or create. A create that loses a race to a concurrent attempt of the
/// same deployment ("already exists") adopts the winner's resource if it is ours.
async fn ensure<T, F, FFut, C, CFut>(d: &Deployment, find: F, create: C) -> Result<T>
where
    T: Tagged,
    F: Fn() -> FFut,
    FFut: Future<Output = Result<Option<T>>>,
    C: FnOnce() -> CFut,
    CFut: Future<Output = Result<T>>,
{
    if let Some(existing) = claim(d, find().await?)? {
        return Ok(existing);
    }
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
