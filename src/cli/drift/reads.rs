//! The live side of drift beyond the inventory, read at once: the revision the service runs,
//! the roles' grants, the target group's deregistration delay, the scaling, and prod-e's rule
//! in the load balancer's group.

use serde_json::Value;

use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::Deployment;
use crate::plan::Inventory;
use crate::resources::scaling::schedule::{self, Scheduled};
use crate::resources::scaling::{policy, ScalableTarget, Scaling};
use crate::resources::security_group_rule::{self, Made};
use crate::resources::target_group;
use crate::resources::{role, service, task_definition};
use crate::spec::Spec;

/// The live resources of a set that the inventory does not hold as compared (`None`: the
/// resource they belong to was not found).
pub(super) struct Live {
    /// The revision the service runs.
    pub revision: Option<task_definition::Revision>,
    /// The task role's grants (its inline policy [`role::TASK_POLICY_NAME`]).
    pub task_role: Option<role::Grants>,
    /// The execution role's grants (its inline policy [`role::SECRETS_POLICY_NAME`]).
    pub execution_role: Option<role::Grants>,
    /// The target group's settings, its deregistration delay read.
    pub target_group: Option<target_group::Settings>,
    /// The service's scaling as the set has it (scaling off without the set's target).
    pub scaling: Scaling,
    /// prod-e's rules from the load balancer's group to the tasks' group.
    pub load_balancer_rules: Option<Vec<Made>>,
    /// The revision and the service as ECS's JSON has them (the service's read only if
    /// `ServiceOverrides` is set), for comparing the overrides.
    pub overridden: (Option<Value>, Option<Value>),
}

/// Reads what [`Live`] holds for `inv`'s set, at once (prod-e's rules from the load balancer's
/// group that `spec` names).
pub(super) async fn read(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
) -> Result<Live> {
    let ((revision, revision_json), task_role, execution_role, target_group, scaling, rules, json) =
        tokio::join!(
            revision(c, inv),
            grants(c, inv.task_role.as_ref(), role::TASK_POLICY_NAME),
            grants(c, inv.execution_role.as_ref(), role::SECRETS_POLICY_NAME),
            delay(c, inv),
            scaling(c, d, inv),
            load_balancer_rules(c, spec, inv),
            service_json(c, spec, inv),
        )
        .all_ok()?;
    Ok(Live {
        revision,
        task_role,
        execution_role,
        target_group,
        scaling,
        load_balancer_rules: rules,
        overridden: (revision_json, json),
    })
}

/// The revision the service runs, as the SDK reads it and as ECS's JSON has it.
async fn revision(
    c: &Clients,
    inv: &Inventory,
) -> Result<(Option<task_definition::Revision>, Option<Value>)> {
    match &inv.service {
        Some(svc) => task_definition::describe(&c.ecs, &svc.task_definition).await,
        None => Ok((None, None)),
    }
}

/// The service as ECS's JSON has it, only if the properties override it.
async fn service_json(c: &Clients, spec: &Spec, inv: &Inventory) -> Result<Option<Value>> {
    match (&inv.service, &spec.service_overrides) {
        (Some(svc), Some(_)) => service::describe_json(&c.ecs, &spec.cluster_name, &svc.name).await,
        _ => Ok(None),
    }
}

async fn grants(c: &Clients, r: Option<&role::Role>, policy: &str) -> Result<Option<role::Grants>> {
    match r {
        Some(r) => role::grants(&c.iam, r, policy).await.map(Some),
        None => Ok(None),
    }
}

/// The settings of the inventory's target group, its attributes read.
async fn delay(c: &Clients, inv: &Inventory) -> Result<Option<target_group::Settings>> {
    let Some(tg) = &inv.target_group else {
        return Ok(None);
    };
    Ok(Some(target_group::Settings {
        protocol: tg.protocol.clone(),
        protocol_version: tg.protocol_version.clone(),
        health_check: tg.health_check.clone(),
        attributes: target_group::attributes(&c.elb, &tg.arn).await?,
    }))
}

/// The rules prod-e made from the load balancer's group `spec` names to the tasks' group.
async fn load_balancer_rules(
    c: &Clients,
    spec: &Spec,
    inv: &Inventory,
) -> Result<Option<Vec<Made>>> {
    let Some(sg) = &inv.security_group else {
        return Ok(None);
    };
    let from = &spec.load_balancer_security_group_id;
    security_group_rule::find_made(&c.ec2, from, &sg.id)
        .await
        .map(Some)
}

/// The set's scalable target, with the set's policies and scheduled actions on it (their
/// names as `AutoScaling` and `ScheduledActions` give them).
async fn scaling(c: &Clients, d: &Deployment, inv: &Inventory) -> Result<Scaling> {
    let Some(t) = inv.scalable_target.as_ref().filter(|t| d.owns(&t.tags)) else {
        return Ok(Scaling::default());
    };
    let (policies, actions) = tokio::join!(
        policy::find_all(&c.scaling, &t.resource_id),
        actions(c, d, t)
    )
    .all_ok()?;
    Ok(Scaling {
        bounds: Some((t.min_capacity, t.max_capacity)),
        policies: policies
            .into_iter()
            .filter(|p| d.owns_name(&p.name))
            .collect(),
        actions,
        scheduled: false,
    })
}

/// The set's scheduled actions on `t`, by the name `ScheduledActions` gives them.
async fn actions(c: &Clients, d: &Deployment, t: &ScalableTarget) -> Result<Vec<Scheduled>> {
    let found = schedule::find_all(&c.scaling, &t.resource_id).await?;
    let prefix = d.scheduled_action("");
    let ours = |a: Scheduled| {
        let name = a.name.strip_prefix(&prefix)?.to_string();
        Some(Scheduled { name, ..a })
    };
    Ok(found.into_iter().filter_map(ours).collect())
}
