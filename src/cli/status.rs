//! `prod-e status`: a deployment's resources, their state, and what is missing or drifted.

use std::path::PathBuf;

use serde_json::json;

use super::report;
use super::{exit, Failure, Outcome, Target};
use crate::aws::Clients;
use crate::plan::inventory;
use crate::resources::{target_group, task};

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
            let health = target_group::health(&c.elb, &tg.arn).await?;
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
            problems.extend(super::drift::drifted(c, &d, path, &inv).await?);
            let (line, reasons) = super::drift::not_compared();
            text.push_str(&line);
            details["not_compared"] = reasons;
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
