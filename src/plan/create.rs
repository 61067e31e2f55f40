//! Create, and the building of a new set in a replacement: `prepare` makes every resource but
//! the rule in dependency order (independent ones concurrently, adopting what an earlier
//! attempt made) and waits for the service; `commit` then routes traffic to it. A failed
//! Create removes everything it made again.

use std::future::Future;

use super::{delete, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{is_already_exists, Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::{
    borrow, claim, cluster, listener_rule, log_group, role, security_group, service, target_group,
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
/// A wait that must go on in another invocation ([`Error::pending`]) removes nothing.
pub async fn create(c: &Clients, owner: &Owner, spec: &Spec) -> Result<Outputs, CreateFailed> {
    let set_up = async {
        let built = Box::pin(prepare(c, owner, spec, spec.wait_for_steady_state)).await?;
        Box::pin(commit(c, owner, spec, built)).await
    };
    match set_up.await {
        Ok(outputs) => Ok(outputs),
        Err(error) => Err(remove_unless_pending(c, owner, spec, error).await),
    }
}

/// What [`create`] and a replacement do when building fails: remove what the new set owns
/// (never what it borrowed from the set it replaces), unless the work only has to go on later.
pub(super) async fn remove_unless_pending(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    error: Error,
) -> CreateFailed {
    if error.pending().is_some() {
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

/// A set built but not yet receiving traffic.
pub(super) struct Built {
    execution_role: role::Role,
    task_role: role::Role,
    task_definition: task_definition::TaskDefinition,
    target_group: target_group::TargetGroup,
    security_group: security_group::SecurityGroup,
    cluster: cluster::Cluster,
    service: service::Service,
    log_group_name: String,
    /// The listener rule of this set, or of a sibling, as found while the service rolled out.
    rule: Option<listener_rule::ListenerRule>,
}

/// Builds every resource but the listener rule, in dependency order and concurrently where
/// independent, then (if `wait`) waits until the service is steady. What exists and is ours
/// is adopted, so a repeated or continued attempt converges. The cluster of another set of
/// the same stack resource (same ClusterName) is used as it is and handed over in [`commit`].
pub(super) async fn prepare(c: &Clients, owner: &Owner, spec: &Spec, wait: bool) -> Result<Built> {
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

    let tg_name = d.target_group();
    let target_group = step(
        format!("creating target group ({tg_name})"),
        ensure(
            d,
            || target_group::find(&c.elb, &tg_name),
            || target_group::create(&c.elb, &tg_name, spec, &tags),
        ),
    );

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
        async {
            let find = || cluster::find(&c.ecs, &spec.cluster_name);
            match borrow(d, find().await?)? {
                Some(shared) => Ok(shared),
                None => {
                    let create = || cluster::create(&c.ecs, &spec.cluster_name, &tags);
                    create_or_adopt(d, find, create).await
                }
            }
        },
    );

    let (defs, tg, sg, cluster) =
        tokio::join!(task_definition, target_group, security_group, cluster);
    let errors = [
        defs.as_ref().err().cloned(),
        tg.as_ref().err().cloned(),
        sg.as_ref().err().cloned(),
        cluster.as_ref().err().cloned(),
    ];
    if let Some(err) = Error::all(errors) {
        return Err(err);
    }
    let ((exec, task, def), tg, sg, cluster) = (defs?, tg?, sg?, cluster?);

    let links = service::Links {
        cluster: &cluster.name,
        task_definition_arn: &def.arn,
        security_group_id: &sg.id,
        target_group_arn: &tg.arn,
    };
    let service = async {
        let svc = step(
            format!("creating ECS service ({})", spec.service_name),
            ensure_service(c, d, spec, links, &tags),
        )
        .await?;
        if wait {
            step(
                format!("waiting for ECS service ({}) to be steady", svc.name),
                service::wait_steady(&c.ecs, &cluster.name, &svc.name),
            )
            .await?;
        }
        Ok::<_, Error>(svc)
    };
    // The rule is only read here (commit writes it), at the same time as the service.
    let (svc, rule) = tokio::join!(service, listener_rule::find(&c.elb, &spec.listener_arn, d));
    if let Some(err) = Error::all([svc.as_ref().err().cloned(), rule.as_ref().err().cloned()]) {
        return Err(err);
    }
    Ok(Built {
        rule: rule?,
        execution_role: exec,
        task_role: task,
        task_definition: def,
        target_group: tg,
        security_group: sg,
        cluster,
        service: svc?,
        log_group_name,
    })
}

/// Routes traffic to a built set: the listener rule forwards to its target group (created,
/// or taken over from the set it replaces in one ModifyRule, so traffic switches at once),
/// and a borrowed cluster becomes this set's. Converges when repeated.
pub(super) async fn commit(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    built: Built,
) -> Result<Outputs> {
    let d = &owner.deployment;
    let tags = owner.tags(&spec.tags);
    let listener = &spec.listener_arn;
    let tg = &built.target_group.arn;
    let rule = step(
        format!(
            "routing rule at priority {} on listener ({listener}) to ({})",
            spec.rule_priority, built.target_group.name
        ),
        async {
            let find = || listener_rule::find(&c.elb, listener, d);
            let Some(rule) = built.rule else {
                let create = || {
                    let (priority, path) = (spec.rule_priority, &spec.path_pattern);
                    listener_rule::create(&c.elb, listener, priority, path, tg, &tags)
                };
                return create_or_adopt(d, find, create).await;
            };
            if rule.target_group_arns != [tg.clone()]
                || rule.path_patterns != [spec.path_pattern.clone()]
            {
                listener_rule::point(&c.elb, &rule, &spec.path_pattern, tg).await?;
            }
            if rule.priority != spec.rule_priority.to_string() {
                listener_rule::set_priority(&c.elb, &rule, spec.rule_priority).await?;
            }
            if !d.owns(&rule.tags) {
                target_group::update_tags(&c.elb, &rule.arn, &rule.tags, &tags).await?;
            }
            Ok(rule)
        },
    )
    .await?;
    let cluster = built.cluster;
    if !d.owns(&cluster.tags) {
        step(
            format!("handing ECS cluster ({}) over", cluster.name),
            cluster::update_tags(&c.ecs, &cluster.arn, &cluster.tags, &tags),
        )
        .await?;
    }
    Ok(Outputs {
        cluster_arn: cluster.arn,
        cluster_name: cluster.name,
        service_arn: built.service.arn,
        service_name: built.service.name,
        task_definition_arn: built.task_definition.arn,
        target_group_arn: built.target_group.arn,
        listener_rule_arn: rule.arn,
        security_group_id: built.security_group.id,
        execution_role_arn: built.execution_role.arn,
        task_role_arn: built.task_role.arn,
        log_group_name: built.log_group_name,
    })
}

/// The set's service: ours if it exists; else created under the user's name, or, if another
/// set of this stack resource holds that name in the cluster, under the name with this set's
/// fingerprint ([`Deployment::service_names`]).
async fn ensure_service(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    links: service::Links<'_>,
    tags: &crate::naming::Tags,
) -> Result<service::Service> {
    let names = d.service_names(&spec.service_name);
    let found = service::find_named(&c.ecs, links.cluster, &names).await?;
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
    create_or_adopt(
        d,
        || service::find(&c.ecs, links.cluster, name),
        || service::create(&c.ecs, name, spec, links, tags, d.physical_id()),
    )
    .await
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
    match claim(d, find().await?)? {
        Some(existing) => Ok(existing),
        None => create_or_adopt(d, find, create).await,
    }
}

/// Creates what a find has just shown to be absent; if a concurrent attempt of the same
/// deployment created it in between ("already exists"), adopts that one.
async fn create_or_adopt<T, F, FFut, C, CFut>(d: &Deployment, find: F, create: C) -> Result<T>
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
