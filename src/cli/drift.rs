//! `prod-e status --properties`: where the live resources differ from the properties, one
//! line each ("DesiredCount is 1, the properties say 3"): the service, its network and tags,
//! the scaling and alarms, the rule, the target group, the log group, the security group, every
//! setting of the revision the service runs, and the task role's grants.

use super::{exit, read_properties, Failure};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::{for_ecs, Inventory};
use crate::resources::settings::{compare, shown, Pair};
use crate::resources::{cluster, listener_rule, log_group, role, security_group, service};
use crate::resources::{target_group, task_definition};
use crate::spec::{egress, Spec};

mod reads;

/// Where the live resources, and the revision the service runs, differ from the properties
/// in `path`.
pub(super) async fn drifted(
    c: &Clients,
    d: &Deployment,
    path: &std::path::Path,
    inv: &Inventory,
) -> Result<Vec<String>, Failure> {
    let spec = Spec::parse(&read_properties(path)?).map_err(|e| Failure {
        code: exit::INVALID,
        message: e.to_string(),
    })?;
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
    let revision = async {
        match &inv.service {
            Some(svc) => task_definition::describe(&c.ecs, &svc.task_definition).await,
            None => Ok(None),
        }
    };
    let role = async {
        match &inv.task_role {
            Some(r) => role_drift(c, spec, r).await,
            None => Ok(Vec::new()),
        }
    };
    let delay = async {
        match &inv.target_group {
            Some(tg) => target_group::deregistration_delay(&c.elb, &tg.arn).await,
            None => Ok(None),
        }
    };
    let (revision, role, delay, read) =
        tokio::join!(revision, role, delay, reads::pairs(c, d, spec, inv));
    let target_group = inv
        .target_group
        .clone()
        .map(|tg| target_group::TargetGroup {
            deregistration_delay_seconds: delay.clone().ok().flatten(),
            ..tg
        });
    delay?;
    let mut pairs = resources(d, spec, inv, target_group.as_ref())?;
    pairs.extend(alarm_drift(d, spec, inv));
    if let Some(live) = revision? {
        pairs.extend(task_drift(spec, &live)?);
    }
    pairs.extend(role?);
    pairs.extend(read?);
    Ok(pairs)
}

/// The pairs of each resource of the set the inventory holds, through its kind's table: the
/// live resource and the kind's expand of `spec`, flattened alike. Left out of the live ones:
/// the set's own group among the service's (the spec names the others), and the tasks'
/// group's IPv6 outbound rules while `Egress` is not set ([`egress::left_alone`]); the target
/// group is `target_group`, its deregistration delay read.
/// Errors: the properties make no service (a member the SDK requires is missing).
fn resources(
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
    target_group: Option<&target_group::TargetGroup>,
) -> Result<Vec<Pair>, Failure> {
    let service = service::expand(&for_ecs(d, spec)).map_err(|e| Failure {
        code: exit::INVALID,
        message: format!("the properties make no ECS service: {e}"),
    })?;
    // `SecurityGroupIds` are the groups beside the set's own.
    let own_group = inv.security_group.as_ref().map(|g| g.id.as_str());
    let live_service = inv.service.clone().map(|mut s| {
        let groups = &mut s.network.security_groups;
        groups.retain(|g| Some(g.as_str()) != own_group);
        s
    });
    let group = inv.security_group.clone().map(|mut g| {
        let rules = g.egress.iter().flat_map(|e| e.rules());
        let kept = rules.filter(|r| !egress::left_alone(&spec.egress, r));
        g.egress = kept.map(|r| security_group::Egress::of(&r)).collect();
        g
    });
    let mut pairs = compare(service::SETTINGS, spec, live_service.as_ref(), &service);
    let cluster = cluster::expand(spec);
    pairs.extend(compare(
        cluster::SETTINGS,
        spec,
        inv.cluster.as_ref(),
        &cluster,
    ));
    let rule = listener_rule::expand(spec);
    let live_rule = inv.listener_rule.as_ref();
    pairs.extend(compare(listener_rule::SETTINGS, spec, live_rule, &rule));
    let tg = target_group::expand(spec);
    pairs.extend(compare(target_group::SETTINGS, spec, target_group, &tg));
    let logs = log_group::expand(spec);
    pairs.extend(compare(
        log_group::SETTINGS,
        spec,
        inv.log_group.as_ref(),
        &logs,
    ));
    let sg = security_group::expand(spec);
    pairs.extend(compare(security_group::SETTINGS, spec, group.as_ref(), &sg));
    Ok(pairs)
}

/// The properties `prod-e status` does not compare, and why: they are no setting of an AWS
/// resource, or they say where the set is (another value finds another set, or none, and
/// `status` shows its parts missing).
pub const NOT_COMPARED: [(&str, &str); 7] = [
    ("VpcId", "where the set is"),
    ("ListenerArn", "where the set is"),
    ("ClusterName", "where the set is"),
    ("ServiceName", "where the set is"),
    ("AllowSingleAz", "a check before Create and Update"),
    ("ShadowedRuleArns", "a consent to shadow other rules"),
    ("WaitForSteadyState", "how an operation waits"),
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

/// Where the task role's grants differ from the properties, and whether it lacks a boundary
/// (a role made before boundaries gets one at its next grant).
async fn role_drift(c: &Clients, spec: &Spec, r: &role::Role) -> Result<Vec<Pair>, Failure> {
    let (attached, document) = tokio::join!(
        role::attached_policies(&c.iam, &r.name),
        role::policy_document(&c.iam, &r.name, role::TASK_POLICY_NAME),
    );
    let (mut attached, document) = (attached?, document?);
    attached.sort();
    let mut want = spec.task_role_policy_arns.clone();
    want.sort();
    let compact = |d: Option<String>| {
        let parsed = d.and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok());
        parsed.map_or("none".to_string(), |v| v.to_string())
    };
    // A role made before boundaries gets one at its next grant.
    let boundary = r.boundary.as_ref().map_or("none", |_| "set");
    Ok(vec![
        (
            "TaskRolePolicyArns",
            Some(attached.join(",")),
            want.join(","),
        ),
        (
            "TaskRolePolicy",
            Some(compact(document)),
            compact(spec.task_role_policy.clone()),
        ),
        (
            "task role's permissions boundary",
            Some(boundary.into()),
            "set".into(),
        ),
    ])
}

/// Where the revision the service runs differs from the properties: every setting prod-e
/// registers ([`task_definition::SETTINGS`]), flattened from the spec's revision and from the
/// live one.
/// Errors: the properties make no revision (a member the SDK requires is missing).
fn task_drift(spec: &Spec, live: &task_definition::Revision) -> Result<Vec<Pair>, Failure> {
    let links = task_definition::Links {
        execution_role_arn: "",
        task_role_arn: "",
        log_group: "",
    };
    let want = task_definition::expand(spec, links, "")?;
    Ok(compare(task_definition::SETTINGS, spec, Some(live), &want))
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

/// The pair of the baseline alarms (the deployment alarms are the service's).
fn alarm_drift(d: &Deployment, spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let kinds = crate::spec::alarms::KINDS.len();
    let alarms = match inv.alarms.iter().filter(|a| d.owns(&a.tags)).count() {
        0 => "false".to_string(),
        n if n == kinds => "true".to_string(),
        n => format!("{n} of the {kinds} baseline alarms"),
    };
    vec![("Alarms", Some(alarms), spec.alarms.to_string())]
}

#[cfg(test)]
mod tests;
