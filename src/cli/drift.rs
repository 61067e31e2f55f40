//! `prod-e status --properties`: where the live resources differ from the properties, one
//! line each ("DesiredCount is 1, the properties say 3"): the service, its network and tags,
//! the scaling and alarms, the rule, the target group, the log group, the security group, every
//! setting of the revision the service runs, and the task role's grants.

use super::{exit, read_properties, Failure};
use crate::aws::Clients;
use crate::naming::{reserved_prefix, Deployment, Tags};
use crate::plan::Inventory;
use crate::resources::{role, task_definition};
use crate::spec::routing::Routing;
use crate::spec::Spec;

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
    let (revision, role, read) = tokio::join!(revision, role, reads::pairs(c, d, spec, inv));
    let mut pairs = drift(d, spec, inv);
    if let Some(live) = revision? {
        pairs.extend(task_drift(spec, &live)?);
    }
    pairs.extend(role?);
    pairs.extend(read?);
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

/// (property, live value if found, the properties' value).
type Pair = (&'static str, Option<String>, String);

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

/// The pairs of the resources the inventory holds as read.
fn drift(d: &Deployment, spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let mut pairs = service_drift(spec, inv);
    pairs.extend(network_drift(spec, inv));
    pairs.extend(alarm_drift(d, spec, inv));
    if let Some(priority) = spec.rule_priority {
        let live = inv.listener_rule.as_ref().map(|r| r.priority.clone());
        pairs.push(("RulePriority", live, priority.to_string()));
    }
    pairs.extend(routing_drift(spec, inv));
    let check = inv
        .target_group
        .as_ref()
        .map(|t| t.health_check.to_string());
    pairs.push(("HealthCheck", check, spec.health_check.to_string()));
    let retention = inv
        .log_group
        .as_ref()
        .map(|g| g.retention_days.map_or("none".into(), |d| d.to_string()));
    pairs.push((
        "LogRetentionDays",
        retention,
        spec.log_retention_days.to_string(),
    ));
    let sources = inv.security_group.as_ref().map(|g| {
        let sources: Vec<&str> = g.ingress.iter().map(|(_, s)| s.as_str()).collect();
        sources.join(",")
    });
    let want = spec.load_balancer_security_group_id.clone();
    pairs.push(("LoadBalancerSecurityGroupId", sources, want));
    pairs
}

/// The rule's conditions, one property each.
fn routing_drift(spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let live = inv.listener_rule.as_ref().map(|r| &r.routing);
    let want = spec.routing();
    let header = |r: &Routing| {
        r.http_header
            .as_ref()
            .map_or("none".into(), |h| h.to_string())
    };
    vec![
        (
            "PathPatterns",
            live.map(|r| r.path_patterns.join(",")),
            want.path_patterns.join(","),
        ),
        (
            "HostHeaders",
            live.map(|r| r.host_headers.join(",")),
            want.host_headers.join(","),
        ),
        ("HttpHeader", live.map(header), header(&want)),
        (
            "QueryString",
            live.map(Routing::query_text),
            want.query_text(),
        ),
    ]
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
    let pairs = task_definition::SETTINGS.iter().map(|s| {
        let (live, want) = ((s.flatten)(live), (s.flatten)(&want));
        (s.property, Some(live), want)
    });
    Ok(pairs.collect())
}

/// The most characters of a value a line of drift shows (the default server's command runs to
/// hundreds).
const SHOWN: usize = 160;

/// A value for a line of drift: at most [`SHOWN`] characters.
fn shorter(value: String) -> String {
    match value.chars().count() > SHOWN {
        true => format!("{}…", value.chars().take(SHOWN - 1).collect::<String>()),
        false => value,
    }
}

/// "X is live, the properties say want", for each (X, live, want) found that differ.
fn differences(pairs: Vec<Pair>) -> Vec<String> {
    pairs
        .into_iter()
        .filter_map(|(what, live, want)| {
            let live = live.filter(|l| *l != want)?;
            // Compared whole, shown shortened.
            let shown = |v: String| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    shorter(v)
                }
            };
            let (live, want) = (shown(live), shown(want));
            Some(format!("{what} is {live}, the properties say {want}"))
        })
        .collect()
}

/// The pairs of the alarms: the deployment alarms and the baseline ones.
fn alarm_drift(d: &Deployment, spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let kinds = crate::spec::alarms::KINDS.len();
    let alarms = match inv.alarms.iter().filter(|a| d.owns(&a.tags)).count() {
        0 => "false".to_string(),
        n if n == kinds => "true".to_string(),
        n => format!("{n} of the {kinds} baseline alarms"),
    };
    let rolling = inv.service.as_ref().and_then(|s| s.rolling.as_ref());
    let deployment_alarms = crate::spec::alarms::resolved(&spec.deployment_alarms, |k| d.alarm(k));
    vec![
        (
            "DeploymentAlarms",
            rolling.map(|r| r.alarms.join(",")),
            deployment_alarms.join(","),
        ),
        ("Alarms", Some(alarms), spec.alarms.to_string()),
    ]
}

/// (property, live value if the service exists, the properties' value) of the service.
fn service_drift(spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let svc = inv.service.as_ref();
    let grace = svc.and_then(|s| s.health_check_grace_period_seconds);
    let rolling = svc.and_then(|s| s.rolling.as_ref());
    let insights = inv
        .cluster
        .as_ref()
        .and_then(|c| c.container_insights.clone());
    // With scaling on the count is the scaler's, not drift.
    let count = svc.filter(|_| spec.auto_scaling.is_none());
    let mut pairs = vec![
        (
            "DesiredCount",
            count.map(|s| s.desired_count.to_string()),
            spec.desired_count.to_string(),
        ),
        (
            "EnableExecuteCommand",
            svc.map(|s| s.enable_execute_command.to_string()),
            spec.enable_execute_command.to_string(),
        ),
        (
            "CapacityProviderStrategy",
            svc.map(|s| s.capacity.clone()),
            crate::spec::capacity::describe(&spec.capacity_provider_strategy),
        ),
        (
            "HealthCheckGracePeriodSeconds",
            grace.map(|g| g.to_string()),
            spec.health_check_grace_period_seconds.to_string(),
        ),
        (
            "MinimumHealthyPercent",
            rolling.map(|r| r.minimum_healthy_percent.to_string()),
            spec.minimum_healthy_percent.to_string(),
        ),
        (
            "MaximumPercent",
            rolling.map(|r| r.maximum_percent.to_string()),
            spec.maximum_percent.to_string(),
        ),
        (
            "CircuitBreaker",
            rolling.map(|r| r.circuit_breaker.to_string()),
            spec.circuit_breaker.to_string(),
        ),
    ];
    // Unset, the account's default is as good as any.
    if let Some(want) = &spec.container_insights {
        pairs.push(("ContainerInsights", insights, want.clone()));
    }
    pairs
}

/// (property, live value if the service exists, the properties' value) of the service's
/// network and of the tags on it (the user's: neither `aws:` nor prod-e's own).
fn network_drift(spec: &Spec, inv: &Inventory) -> Vec<Pair> {
    let svc = inv.service.as_ref();
    let own = inv.security_group.as_ref().map(|g| g.id.as_str());
    let listed = |mut items: Vec<String>| {
        items.sort();
        items.join(",")
    };
    let joined = svc.map(|s| {
        s.network
            .security_groups
            .iter()
            .filter(|g| Some(g.as_str()) != own)
    });
    let user_tags = |tags: &Tags| {
        let user = tags.iter().filter(|(k, _)| reserved_prefix(k).is_none());
        listed(user.map(|(k, v)| format!("{k}={v}")).collect())
    };
    vec![
        (
            "SubnetIds",
            svc.map(|s| listed(s.network.subnets.clone())),
            listed(spec.subnet_ids.clone()),
        ),
        (
            "AssignPublicIp",
            svc.map(|s| s.network.assign_public_ip.to_string()),
            spec.assign_public_ip.to_string(),
        ),
        (
            "SecurityGroupIds",
            joined.map(|g| listed(g.cloned().collect())),
            listed(spec.security_group_ids.clone()),
        ),
        (
            "Tags",
            svc.map(|s| user_tags(&s.tags)),
            user_tags(&spec.tags),
        ),
    ]
}

#[cfg(test)]
mod tests;
