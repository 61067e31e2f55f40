//! `prod-e status`: a deployment's resources, their state, and what is missing or drifted.

use std::path::PathBuf;

use serde_json::json;

use super::report;
use super::{exit, read_properties, Failure, Outcome, Target};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::inventory;
use crate::resources::{role, target_group, task, task_definition};
use crate::spec::Spec;

/// Show every resource of a deployment with its state, and flag what is missing or drifted.
#[derive(Debug, clap::Args)]
pub struct Status {
    #[command(flatten)]
    /// Which deployment.
    pub target: Target,
    /// The Properties the deployment should match (else only missing resources are flagged).
    #[arg(long, value_name = "FILE")]
    pub properties: Option<PathBuf>,
}

impl Status {
    /// Shows every resource, the service's rollout and events, target health, the rule, and
    /// what is missing, foreign or (with `--properties`) drifted.
    pub async fn run(&self, c: &Clients) -> Result<Outcome, Failure> {
        let (d, at) = self.target.resolve(c, self.properties.as_deref()).await?;
        let inv = inventory(c, &d, &at).await?;
        let rows = report::rows(&d, &inv);
        let mut problems = unhealthy(&rows);
        let mut text = format!("deployment {}\n{}", d.physical_id(), report::table(&rows));
        let mut details = json!({});
        if let Some(svc) = &inv.service {
            let tasks = task::running(&c.ecs, &at.cluster_name, &svc.name).await?;
            let zones = task::per_zone(&tasks);
            text.push_str(&service_lines(svc, &zones));
            if let Some(t) = tasks.first().filter(|_| svc.enable_execute_command) {
                text.push_str(&exec_line(&at.cluster_name, &t.arn, &svc.container_name));
            }
            details["service"] = json!({
                "running": svc.running_count,
                "desired": svc.desired_count,
                "pending": svc.pending_count,
                "deployments": svc.deployments, "rollout": svc.rollout, "events": svc.events,
                "running_per_zone": zones,
            });
        }
        if let Some(tg) = &inv.target_group {
            let health = target_group::health(&c.elb, tg).await?;
            let counts: Vec<String> = health.iter().map(|(s, n)| format!("{n} {s}")).collect();
            let targets = match counts.is_empty() {
                true => "none registered".to_string(),
                false => counts.join(", "),
            };
            text.push_str(&format!("targets: {targets}\n"));
            details["targets"] = json!(health);
        }
        if let Some(rule) = &inv.listener_rule {
            let routing = &rule.routing;
            text.push_str(&format!("rule: priority {}, {routing}\n", rule.priority));
        }
        if let Some(path) = &self.properties {
            problems.extend(drifted(c, &d, path, &inv).await?);
        }
        for p in &problems {
            text.push_str(&format!("! {p}\n"));
        }
        let code = match problems.is_empty() {
            true => exit::OK,
            false => exit::DRIFT,
        };
        let json = json!({
            "physical_id": d.physical_id(),
            "resources": rows,
            "details": details,
            "problems": problems,
        });
        Ok(Outcome { code, text, json })
    }
}

/// Where the live resources, and the revision the service runs, differ from the properties
/// in `path`.
async fn drifted(
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
        let live = task_definition::settings(&c.ecs, &svc.task_definition).await?;
        problems.extend(task_drift(&spec, &live));
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

/// What is missing or not ours.
fn unhealthy(rows: &[report::Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.detail == "missing" || !r.owned)
        .map(|r| match r.detail.as_str() {
            "missing" => format!("{} is missing", r.kind),
            _ => format!(
                "{} {} is not ours (no matching ownership tag)",
                r.kind, r.name
            ),
        })
        .collect()
}

/// The service's counts, rollout and latest events.
fn service_lines(
    svc: &crate::resources::service::Service,
    zones: &std::collections::BTreeMap<String, usize>,
) -> String {
    let mut text = format!(
        "\nservice: running {} / desired {} / pending {}, {} deployment(s), rollout {}\n",
        svc.running_count,
        svc.desired_count,
        svc.pending_count,
        svc.deployments,
        svc.rollout.as_deref().unwrap_or("unknown")
    );
    let per_zone: Vec<String> = zones.iter().map(|(z, n)| format!("{z} {n}")).collect();
    text.push_str(&match per_zone.is_empty() {
        true => "running tasks per zone: none listed\n".to_string(),
        false => format!("running tasks per zone: {}\n", per_zone.join(", ")),
    });
    for event in &svc.events {
        text.push_str(&format!("  event: {event}\n"));
    }
    text
}

/// The command that opens a shell in `task` with ECS Exec (ECS Developer Guide, "ECS Exec").
fn exec_line(cluster: &str, task: &str, container: &str) -> String {
    let id = task.rsplit('/').next().unwrap_or(task);
    format!(
        "ECS Exec: aws ecs execute-command --cluster {cluster} --task {id} --container \
         {container} --interactive --command \"/bin/sh\"\n"
    )
}

/// Where the live resources differ from the properties.
fn drift(d: &Deployment, spec: &Spec, inv: &crate::plan::Inventory) -> Vec<String> {
    let mut pairs = service_drift(spec, inv);
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

/// Where the revision the service runs differs from the properties.
fn task_drift(spec: &Spec, live: &task_definition::Settings) -> Vec<String> {
    let mut secrets: Vec<String> = spec
        .secrets
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    secrets.sort();
    let command = |c: Option<Vec<String>>| c.map_or("none".to_string(), |c| c.join(" "));
    let want_command = spec
        .container_health_check
        .as_ref()
        .map(|o| o.strings("Command"));
    let pairs = [
        (
            "CpuArchitecture",
            live.cpu_architecture.clone(),
            spec.cpu_architecture.clone(),
        ),
        (
            "EphemeralStorageGiB",
            live.ephemeral_storage_gib.to_string(),
            spec.ephemeral_storage_gib.unwrap_or(20).to_string(),
        ),
        (
            "ReadonlyRootFilesystem",
            live.readonly_root_filesystem.to_string(),
            spec.readonly_root_filesystem.to_string(),
        ),
        (
            "StopTimeout",
            live.stop_timeout.to_string(),
            spec.stop_timeout.to_string(),
        ),
        (
            "ContainerHealthCheck.Command",
            command(live.health_check_command.clone()),
            command(want_command),
        ),
        ("Secrets", live.secrets.join(","), secrets.join(",")),
    ];
    differences(pairs)
}

/// "X is live, the properties say want", for each (X, live, want) that differ.
fn differences<const N: usize>(pairs: [(&str, String, String); N]) -> Vec<String> {
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
