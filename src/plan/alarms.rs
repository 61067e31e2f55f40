//! The baseline CloudWatch alarms of `Alarms: true` (high CPU, high memory, target 5xx,
//! unhealthy targets): their definitions from the set's names, made before the service (so
//! that `DeploymentAlarms` may name them), re-put on an Update, removed on Delete; and the
//! `DeploymentAlarms` that ECS is given, with `prod-e:<kind>` replaced by the set's names; and
//! which defaults of both a set was made with ([`with_set_defaults`]).
//!
//! Metrics: ECS `CPUUtilization` and `MemoryUtilization` (dimensions ClusterName,
//! ServiceName), ALB `HTTPCode_Target_5XX_Count` and `UnHealthyHostCount` (dimensions
//! TargetGroup, LoadBalancer): "Amazon ECS CloudWatch metrics" and "CloudWatch metrics for
//! your Application Load Balancer".

use std::collections::BTreeMap;

use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::progress::step;
use crate::resources::alarm::{self, Alarm, Definition};
use crate::resources::{claim, load_balancer, ours, service, tags, target_group};
use crate::spec::alarms::KINDS;
use crate::spec::schema::{ALARMS, DEPLOYMENT_ALARMS};
use crate::spec::{Locator, Spec};

/// Minutes in a row that raise an alarm (each period is one minute).
const MINUTES: i32 = 3;

/// What each baseline alarm watches, in the order of [`KINDS`]: (whether its dimensions are
/// the ALB's rather than ECS's, namespace, metric, statistic, threshold, description). CPU and
/// memory at 80 %, 10 target 5xx a minute, one unhealthy target.
const WATCHES: [(bool, &str, &str, &str, f64, &str); 4] = [
    (
        false,
        "AWS/ECS",
        "CPUUtilization",
        "Average",
        80.0,
        "service CPU at or above 80 %",
    ),
    (
        false,
        "AWS/ECS",
        "MemoryUtilization",
        "Average",
        80.0,
        "service memory at or above 80 %",
    ),
    (
        true,
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        10.0,
        "10 or more target 5xx a minute",
    ),
    (
        true,
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "Maximum",
        1.0,
        "an unhealthy target",
    ),
];

/// Where the alarmed service is.
#[derive(Debug, Clone, Copy)]
pub struct Watched<'a> {
    /// The cluster's name.
    pub cluster: &'a str,
    /// The service's name.
    pub service: &'a str,
    /// The target group the service names.
    pub target_group_arn: &'a str,
    /// With a native strategy, the other of the set's two groups: the ALB alarms add its
    /// series to the first.
    pub alternate_target_group_arn: Option<&'a str>,
}

/// The four alarms of the set `d`, in the order of [`KINDS`].
pub fn definitions(d: &Deployment, spec: &Spec, at: Watched<'_>) -> Result<Vec<Definition>> {
    let incomplete = |field| Error::Incomplete {
        kind: "alarm dimension",
        field,
    };
    let lb = load_balancer::metric_dimension_of_listener(&spec.listener_arn)
        .ok_or_else(|| incomplete("ListenerArn"))?;
    let tg = target_group::metric_dimension(at.target_group_arn)
        .ok_or_else(|| incomplete("TargetGroupArn"))?;
    let ecs = vec![
        ("ClusterName", at.cluster.to_string()),
        ("ServiceName", at.service.to_string()),
    ];
    let alb = vec![("TargetGroup", tg), ("LoadBalancer", lb.clone())];
    let alternate = match at.alternate_target_group_arn {
        Some(arn) => {
            Some(target_group::metric_dimension(arn).ok_or_else(|| incomplete("alternate"))?)
        }
        None => None,
    };
    let also = alternate.map(|tg| vec![("TargetGroup", tg), ("LoadBalancer", lb)]);
    let watches = KINDS.iter().zip(WATCHES);
    let made = watches.map(
        |(kind, (on_alb, namespace, metric, statistic, threshold, what))| Definition {
            name: d.alarm(kind),
            namespace,
            metric,
            dimensions: if on_alb { alb.clone() } else { ecs.clone() },
            statistic,
            threshold,
            period_seconds: 60,
            evaluation_periods: MINUTES,
            description: format!("prod-e {}: {what} for {MINUTES} minutes", d.physical_id()),
            also: also.clone().filter(|_| on_alb),
            actions: spec.alarm_actions.clone(),
        },
    );
    Ok(made.collect())
}

/// The names of the set's baseline alarms, as they are looked for.
pub fn names(d: &Deployment) -> Vec<String> {
    KINDS.iter().map(|k| d.alarm(k)).collect()
}

/// The `Data` attributes of the alarms (`CpuHighAlarmName`, …), when `spec` has them.
pub fn attributes(d: &Deployment, spec: &Spec) -> BTreeMap<String, String> {
    const ATTRIBUTES: [&str; 4] = [
        "CpuHighAlarmName",
        "MemoryHighAlarmName",
        "Target5xxAlarmName",
        "UnhealthyTargetsAlarmName",
    ];
    match spec.alarms {
        true => ATTRIBUTES
            .iter()
            .zip(KINDS)
            .map(|(a, k)| (a.to_string(), d.alarm(k)))
            .collect(),
        false => BTreeMap::new(),
    }
}

/// `spec` as ECS is told it: `DeploymentAlarms` with the set's alarm names.
pub fn for_ecs(d: &Deployment, spec: &Spec) -> Spec {
    let names = crate::spec::alarms::resolved(&spec.deployment_alarms, |k| d.alarm(k));
    Spec {
        deployment_alarms: names,
        ..spec.clone()
    }
}

/// Puts every alarm `spec` asks for (none without `Alarms`), created with `tags`; `found` are
/// the set's names as they exist: one not ours is an error ([`Error::NotOurs`]).
pub async fn ensure(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    at: Watched<'_>,
    found: &[Alarm],
    tags: &Tags,
) -> Result<()> {
    if !spec.alarms {
        return Ok(());
    }
    let definitions = definitions(d, spec, at)?;
    let puts = definitions.iter().map(|def| async move {
        claim(d, found.iter().find(|a| a.name == def.name).cloned())?;
        let put = alarm::put(&c.cloudwatch, def, tags);
        step(format!("putting alarm ({})", def.name), put).await
    });
    futures::future::join_all(puts).await.all_ok()?;
    Ok(())
}

/// Gives our alarms in `found` the tags `new` instead of `old` (PutMetricAlarm ignores the
/// tags of an alarm that exists).
pub async fn retag(
    c: &Clients,
    d: &Deployment,
    found: &[Alarm],
    (old, new): (&Tags, &Tags),
) -> Result<()> {
    let ours = found.iter().filter(|a| d.owns(&a.tags));
    let tagging = ours.map(|a| tags::cloudwatch::update(&c.cloudwatch, &a.arn, old, new));
    futures::future::join_all(tagging).await.all_ok()?;
    Ok(())
}

/// Deletes the alarms of `found` that are ours.
pub async fn remove(c: &Clients, d: &Deployment, found: Vec<Alarm>) -> Result<()> {
    let deletes = found
        .into_iter()
        .filter_map(|a| ours(d, Some(a)))
        .map(|a| async move {
            step(
                format!("deleting alarm ({})", a.name),
                alarm::delete(&c.cloudwatch, &a.name),
            )
            .await
        });
    futures::future::join_all(deletes).await.all_ok()?;
    Ok(())
}

/// On a set's ECS service (value `default`): the set was made with the alarm gate's defaults;
/// one without keeps its own, off ([`Spec::without_gate`]).
pub const ALARM_GATE_TAG: &str = "prod-e:alarm-gate";

/// The tags of the set's ECS service: `tags`, with [`ALARM_GATE_TAG`] when `spec` has the
/// alarm gate's defaults (so that an Update knows which defaults the set was made with).
pub fn service_tags(spec: &Spec, tags: &Tags) -> Tags {
    let mut tags = tags.clone();
    if spec.gate {
        tags.insert(ALARM_GATE_TAG.to_string(), "default".to_string());
    }
    tags
}

/// `spec` with the defaults set `d` was made with, as its `service` (found, any owner) shows
/// them: without the alarm gate's ([`Spec::without_gate`]) when the set's own service lacks
/// [`ALARM_GATE_TAG`]. A set whose service is not found keeps a new set's defaults: they only
/// add alarms, never remove them. Update and `prod-e status` read properties so.
pub fn with_defaults_of(d: &Deployment, service: Option<&service::Service>, spec: &mut Spec) {
    let ours = service.filter(|s| d.owns(&s.tags));
    if ours.is_some_and(|s| !s.tags.contains_key(ALARM_GATE_TAG)) {
        spec.without_gate();
    }
}

/// An Update's old properties' spec (`None`: they do not validate) and its `new` one, with the
/// defaults of the set `current` (the one the Update's id names): without the alarm gate's
/// ([`with_defaults_of`]). The set is found from the properties that describe it (the old
/// ones, or the new when the old describe the half-built set of a failed replacement), with
/// one DescribeServices, which the Update's own reads repeat (a cheap call, made before the
/// diff they follow); it is not read for an in-place Update whose properties give both
/// settings.
pub async fn with_set_defaults(
    c: &Clients,
    current: &Deployment,
    old: &serde_json::Value,
    new: &mut Spec,
) -> Result<Option<Spec>> {
    let mut prior = Spec::parse(old).ok();
    let describes = |s: &Spec| current.physical_id().ends_with(&s.fingerprint());
    let names = [ALARMS.name, DEPLOYMENT_ALARMS.name];
    let given = |s: &Spec| names.iter().all(|n| s.states(n));
    let in_place = prior.as_ref().is_some_and(describes) && describes(new);
    if in_place && prior.as_ref().is_some_and(given) && given(new) {
        return Ok(prior);
    }
    let at = match (&prior, describes(new)) {
        (Some(old), _) if describes(old) => Locator::from(old),
        (_, true) => Locator::from(&*new),
        _ => Locator::from_properties(old),
    };
    let names = current.service_names(&at.service_name);
    let found = service::find_named(&c.ecs, &at.cluster_name, &names).await?;
    let ours = found.iter().find(|s| current.owns(&s.tags));
    with_defaults_of(current, ours, new);
    if let Some(old) = prior.as_mut() {
        with_defaults_of(current, ours, old);
    }
    Ok(prior)
}
