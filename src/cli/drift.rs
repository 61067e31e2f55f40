//! `prod-e status --properties`: where the live resources differ from the properties, one
//! line each ("DesiredCount is 1, the properties say 3"): the service, its network and tags,
//! the scaling and alarms, the rule, the target group, the log group, the security group, every
//! setting of the revision the service runs, and the task role's grants.

use serde_json::Value;

use super::{exit, no_request, read_properties, Failure};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::{for_ecs, with_defaults_of, Inventory};
use crate::resources::settings::{compare, shown, Pair};
use crate::resources::{alarm, cluster, listener_rule, log_group, role, scaling};
use crate::resources::{overrides, task_definition};
use crate::resources::{security_group, security_group_rule, service, target_group};
use crate::spec::{egress, Spec};

mod reads;

/// Where the live resources, and the revision the service runs, differ from the properties
/// in `path` (with the defaults the set was made with, as an Update has them:
/// [`Spec::without_gate`]).
pub(super) async fn drifted(
    c: &Clients,
    d: &Deployment,
    path: &std::path::Path,
    inv: &Inventory,
) -> Result<Vec<String>, Failure> {
    let mut spec = Spec::parse(&read_properties(path)?).map_err(|e| Failure {
        code: exit::INVALID,
        message: e.to_string(),
    })?;
    with_defaults_of(d, inv.service.as_ref(), &mut spec);
    Ok(differences(compared(c, d, &spec, inv).await?))
}

/// (property, live value if it was found, the properties' value) of every property that is a
/// setting of an AWS resource of the set: all but [`NOT_COMPARED`].
async fn compared(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
) -> Result<Vec<Pair>, Failure> {
    let live = reads::read(c, d, spec, inv).await?;
    let alarms = inv.alarms.iter().filter(|a| d.owns(&a.tags)).cloned();
    let alarms: Vec<alarm::Alarm> = alarms.collect();
    let tg = live.target_group.as_ref();
    let (task, execution) = (live.task_role.as_ref(), live.execution_role.as_ref());
    Ok([
        services(d, spec, inv)?,
        network(spec, inv, &live),
        compare(
            target_group::SETTINGS,
            spec,
            tg,
            &target_group::expand(spec),
        ),
        compare(
            log_group::SETTINGS,
            spec,
            inv.log_group.as_ref(),
            &log_group::expand(spec),
        ),
        compare(
            alarm::SETTINGS,
            spec,
            Some(&alarms),
            &alarm::expand(spec, d),
        ),
        compare(role::TASK_ROLE, spec, task, &role::task_role(spec)),
        compare(
            role::EXECUTION_ROLE,
            spec,
            execution,
            &role::execution_role(spec),
        ),
        overrides_drift(spec, &live.overridden),
        scaling_drift(d, spec, live.scaling),
        task_drift(spec, live.revision.as_ref())?,
    ]
    .concat())
}

/// The pairs of `TaskDefinitionOverrides` and `ServiceOverrides`, if set: each override, and
/// what the live revision or service (`found`, ECS's JSON) has at its members.
fn overrides_drift(spec: &Spec, found: &(Option<Value>, Option<Value>)) -> Vec<Pair> {
    let pair = |name: &'static str, set: &Option<String>, live: &Option<Value>| {
        let want: Value = serde_json::from_str(set.as_deref()?).ok()?;
        let live = live
            .as_ref()
            .map(|l| overrides::live_at(&want, l).to_string());
        Some((name, live, want.to_string()))
    };
    [
        pair(
            "TaskDefinitionOverrides",
            &spec.task_definition_overrides,
            &found.0,
        ),
        pair("ServiceOverrides", &spec.service_overrides, &found.1),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The pairs of the scaling; with scheduled actions, the bounds are theirs to change, and only
/// the policies of `AutoScaling` are compared ([`scaling::Scaling::scheduled`]).
fn scaling_drift(d: &Deployment, spec: &Spec, live: scaling::Scaling) -> Vec<Pair> {
    let scheduled = !spec.scheduled_actions.is_empty();
    let live = scaling::Scaling { scheduled, ..live };
    let want = scaling::Scaling {
        scheduled,
        ..scaling::expand(spec, d)
    };
    compare(scaling::SETTINGS, spec, Some(&live), &want)
}

/// The pairs of the service, its cluster and its rules. `SecurityGroupIds` are the groups
/// beside the set's own, which is left out of the live service's.
/// Errors: the properties make no service (a member the SDK requires is missing).
fn services(d: &Deployment, spec: &Spec, inv: &Inventory) -> Result<Vec<Pair>, Failure> {
    let service = service::expand(&for_ecs(d, spec)).map_err(no_request)?;
    let own_group = inv.security_group.as_ref().map(|g| g.id.as_str());
    let live_service = inv.service.clone().map(|mut s| {
        let groups = &mut s.network.security_groups;
        groups.retain(|g| Some(g.as_str()) != own_group);
        s
    });
    let rule = inv.listener_rule.as_ref();
    Ok([
        compare(service::SETTINGS, spec, live_service.as_ref(), &service),
        compare(
            cluster::SETTINGS,
            spec,
            inv.cluster.as_ref(),
            &cluster::expand(spec),
        ),
        compare(
            listener_rule::SETTINGS,
            spec,
            rule,
            &listener_rule::expand(spec),
        ),
        compare(
            listener_rule::TEST_SETTINGS,
            spec,
            inv.test_listener_rules.first(),
            &listener_rule::expand_test(spec),
        ),
    ]
    .concat())
}

/// The pairs of the tasks' group (its IPv6 outbound rules left out of the live one while
/// `Egress` is not set: [`egress::left_alone`]) and of prod-e's rule in the load balancer's.
fn network(spec: &Spec, inv: &Inventory, live: &reads::Live) -> Vec<Pair> {
    let group = inv.security_group.clone().map(|mut g| {
        let rules = g.egress.iter().flat_map(|e| e.rules());
        let kept = rules.filter(|r| !egress::left_alone(&spec.egress, r));
        g.egress = kept.map(|r| security_group::Egress::of(&r)).collect();
        g
    });
    let (sg, made) = (
        security_group::expand(spec),
        security_group_rule::expand(spec),
    );
    let live_made = live.load_balancer_rules.as_ref();
    [
        compare(security_group::SETTINGS, spec, group.as_ref(), &sg),
        compare(security_group_rule::SETTINGS, spec, live_made, &made),
    ]
    .concat()
}

/// The properties `prod-e status` does not compare, and why: they are no setting of an AWS
/// resource, or they say where the set is (another value finds another set, or none, and
/// `status` shows its parts missing).
pub const NOT_COMPARED: [(&str, &str); 8] = [
    ("VpcId", "where the set is"),
    ("ListenerArn", "where the set is"),
    ("ClusterName", "where the set is"),
    ("ServiceName", "where the set is"),
    ("AllowSingleAz", "a check before Create and Update"),
    ("ShadowedRuleArns", "a consent to shadow other rules"),
    ("WaitForSteadyState", "how an operation waits"),
    (
        "MigrationCommand",
        "a one-off task's command, run before a deployment",
    ),
];

/// [`NOT_COMPARED`] for people (one line) and as JSON (property → why).
pub(super) fn not_compared() -> (String, serde_json::Value) {
    let names = NOT_COMPARED.map(|(name, _)| name).join(", ");
    let line = format!(
        "properties compared with AWS: all but {names} (where the set is, or no AWS setting)\n"
    );
    let reasons: serde_json::Map<_, _> = NOT_COMPARED
        .iter()
        .map(|(name, why)| (name.to_string(), serde_json::json!(why)))
        .collect();
    (line, reasons.into())
}

/// Where the revision the service runs differs from the properties: every setting prod-e
/// registers ([`task_definition::SETTINGS`]), flattened from the spec's revision and from the
/// live one.
/// Errors: the properties make no revision (a member the SDK requires is missing).
fn task_drift(spec: &Spec, live: Option<&task_definition::Revision>) -> Result<Vec<Pair>, Failure> {
    let want =
        task_definition::expand(spec, task_definition::Links::NONE, "").map_err(no_request)?;
    Ok(compare(task_definition::SETTINGS, spec, live, &want))
}

/// "X is live, the properties say want", for each (X, live, want) found that differ.
fn differences(pairs: Vec<Pair>) -> Vec<String> {
    pairs
        .into_iter()
        .filter_map(|(what, live, want)| {
            let live = live.filter(|l| *l != want)?;
            // Compared whole, shown shortened.
            let (live, want) = (shown(live), shown(want));
            Some(format!("{what} is {live}, the properties say {want}"))
        })
        .collect()
}

#[cfg(test)]
mod tests;
