//! `prod-e status --properties`: where the live resources differ from the properties, one
//! line each ("DesiredCount is 1, the properties say 3"): the service, its network and tags,
//! the scaling and alarms, the rule, the target group, the log group, the security group, every
//! setting of the revision the service runs, and the task role's grants.

use super::{exit, read_properties, Failure};
use crate::aws::Clients;
use crate::naming::{reserved_prefix, Deployment, Tags};
use crate::resources::{role, task_definition};
use crate::spec::Spec;

/// Where the live resources, and the revision the service runs, differ from the properties
/// in `path`.
pub(super) async fn drifted(
    c: &Clients,
    d: &Deployment,
    path: &std::path::Path,
    inv: &crate::plan::Inventory,
) -> Result<Vec<String>, Failure> {
    let spec = Spec::parse(&read_properties(path)?).map_err(|e| Failure {
        code: exit::INVALID,
        message: e.to_string(),
    })?;
    let mut problems = drift(d, &spec, inv);
    if let Some(svc) = &inv.service {
        if let Some(live) = task_definition::describe(&c.ecs, &svc.task_definition).await? {
            problems.extend(task_drift(&spec, &live));
        }
    }
    if let Some(r) = &inv.task_role {
        problems.extend(role_drift(c, &spec, r).await?);
    }
    Ok(problems)
}

/// Where the task role's grants differ from the properties, and whether it lacks a boundary
/// (a role made before boundaries gets one at its next grant).
async fn role_drift(c: &Clients, spec: &Spec, r: &role::Role) -> Result<Vec<String>, Failure> {
    let mut attached = role::attached_policies(&c.iam, &r.name).await?;
    attached.sort();
    let mut want = spec.task_role_policy_arns.clone();
    want.sort();
    let document = role::policy_document(&c.iam, &r.name, role::TASK_POLICY_NAME).await?;
    let compact = |d: Option<String>| {
        let parsed = d.and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok());
        parsed.map_or("none".to_string(), |v| v.to_string())
    };
    let pairs = [
        ("TaskRolePolicyArns", attached.join(","), want.join(",")),
        (
            "TaskRolePolicy",
            compact(document),
            compact(spec.task_role_policy.clone()),
        ),
    ];
    let mut problems = differences(pairs);
    if r.boundary.is_none() {
        problems.push(format!("task role {} has no permissions boundary", r.name));
    }
    Ok(problems)
}

/// Where the live resources differ from the properties.
fn drift(d: &Deployment, spec: &Spec, inv: &crate::plan::Inventory) -> Vec<String> {
    let mut pairs = service_drift(spec, inv);
    pairs.extend(network_drift(spec, inv));
    pairs.extend(scaling_drift(d, spec, inv));
    if let Some(priority) = spec.rule_priority {
        let live = inv.listener_rule.as_ref().map(|r| r.priority.clone());
        pairs.push(("RulePriority", live, priority.to_string()));
    }
    let routing = inv.listener_rule.as_ref().map(|r| r.routing.to_string());
    pairs.push((
        "listener rule conditions",
        routing,
        spec.routing().to_string(),
    ));
    let check = inv
        .target_group
        .as_ref()
        .map(|t| t.health_check.to_string());
    pairs.push(("HealthCheck", check, spec.target_health_check().to_string()));
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
        .into_iter()
        .filter_map(|(what, live, want)| {
            let live = live.filter(|l| *l != want)?;
            Some(format!("{what} is {live}, the properties say {want}"))
        })
        .collect()
}

/// Where the revision the service runs differs from the properties: every setting prod-e
/// registers ([`task_definition::SETTINGS`]), flattened from the spec's revision and from the
/// live one.
fn task_drift(spec: &Spec, live: &task_definition::Revision) -> Vec<String> {
    let links = task_definition::Links {
        execution_role_arn: "",
        task_role_arn: "",
        log_group: "",
    };
    let Ok(want) = task_definition::expand(spec, links, "") else {
        return vec!["the properties make no task definition".into()];
    };
    let pairs = task_definition::SETTINGS.iter().map(|s| {
        let (live, want) = ((s.flatten)(live), (s.flatten)(&want));
        (s.property, shorter(live), shorter(want))
    });
    differences(pairs)
}

/// A value for a line of drift: at most 80 characters (the default server's command is long).
fn shorter(value: String) -> String {
    match value.chars().count() > 80 {
        true => format!("{}…", value.chars().take(79).collect::<String>()),
        false => value,
    }
}

/// "X is live, the properties say want", for each (X, live, want) that differ.
fn differences<'a>(pairs: impl IntoIterator<Item = (&'a str, String, String)>) -> Vec<String> {
    pairs
        .into_iter()
        .filter(|(_, live, want)| live != want)
        .map(|(what, live, want)| format!("{what} is {live}, the properties say {want}"))
        .collect()
}

/// (property, live value, the properties' value) of the scaling and the alarms.
fn scaling_drift(
    d: &Deployment,
    spec: &Spec,
    inv: &crate::plan::Inventory,
) -> Vec<(&'static str, Option<String>, String)> {
    let live = inv.scalable_target.as_ref().filter(|t| d.owns(&t.tags));
    let bounds = live.map_or("off".into(), |t| {
        format!("{}–{}", t.min_capacity, t.max_capacity)
    });
    let want = spec.auto_scaling.as_ref().map_or("off".into(), |o| {
        let (min, max) = crate::spec::scaling::bounds(o);
        format!("{min}–{max}")
    });
    let alarms = inv.alarms.iter().filter(|a| d.owns(&a.tags)).count();
    let want_alarms = if spec.alarms {
        crate::spec::alarms::KINDS.len()
    } else {
        0
    };
    let rolling = inv.service.as_ref().and_then(|s| s.rolling.as_ref());
    let deployment_alarms = crate::spec::alarms::resolved(&spec.deployment_alarms, |k| d.alarm(k));
    vec![
        (
            "DeploymentAlarms",
            rolling.map(|r| r.alarms.join(",")),
            deployment_alarms.join(","),
        ),
        ("AutoScaling bounds", Some(bounds), want),
        (
            "baseline alarms",
            Some(alarms.to_string()),
            want_alarms.to_string(),
        ),
    ]
}

/// (property, live value if the service exists, the properties' value) of the service.
fn service_drift(
    spec: &Spec,
    inv: &crate::plan::Inventory,
) -> Vec<(&'static str, Option<String>, String)> {
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
fn network_drift(
    spec: &Spec,
    inv: &crate::plan::Inventory,
) -> Vec<(&'static str, Option<String>, String)> {
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
