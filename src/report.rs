//! Rendering a deployment's inventory for people: one line per resource, aligned.

use crate::naming::{Deployment, Tags};
use crate::plan::Inventory;

/// One row: what, which, its state, and whether it is ours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    pub kind: &'static str,
    pub name: String,
    pub detail: String,
    pub owned: bool,
}

/// The rows of an inventory, in creation order; a missing resource is a row saying so.
pub fn rows(d: &Deployment, inv: &Inventory) -> Vec<Row> {
    let row = |kind, found: Option<(String, String, &Tags)>| match found {
        Some((name, detail, tags)) => Row {
            kind,
            name,
            detail,
            owned: d.owns(tags),
        },
        None => Row {
            kind,
            name: "-".into(),
            detail: "missing".into(),
            owned: false,
        },
    };
    let mut rows = vec![
        row(
            "IAM role (execution)",
            inv.execution_role
                .as_ref()
                .map(|r| (r.name.clone(), r.arn.clone(), &r.tags)),
        ),
        row(
            "IAM role (task)",
            inv.task_role
                .as_ref()
                .map(|r| (r.name.clone(), r.arn.clone(), &r.tags)),
        ),
        row(
            "security group",
            inv.security_group.as_ref().map(|g| {
                let ingress: Vec<String> = g
                    .ingress
                    .iter()
                    .map(|(port, src)| format!("tcp/{port} from {src}"))
                    .collect();
                (
                    g.id.clone(),
                    format!("{} ({})", g.name, ingress.join(", ")),
                    &g.tags,
                )
            }),
        ),
        row(
            "log group",
            inv.log_group.as_ref().map(|g| {
                let retention = g.retention_days.map_or("never expires".to_string(), |d| {
                    format!("retention {d} days")
                });
                (g.name.clone(), retention, &g.tags)
            }),
        ),
        row(
            "ECS cluster",
            inv.cluster
                .as_ref()
                .map(|c| (c.name.clone(), c.arn.clone(), &c.tags)),
        ),
    ];
    if inv.task_definitions.is_empty() {
        rows.push(row("task definition", None));
    }
    for t in &inv.task_definitions {
        let revision = t.arn.rsplit('/').next().unwrap_or(&t.arn).to_string();
        rows.push(row(
            "task definition",
            Some((revision, "ACTIVE".into(), &t.tags)),
        ));
    }
    rows.extend([
        row(
            "target group",
            inv.target_group.as_ref().map(|t| {
                (
                    t.name.clone(),
                    format!("health check {}", t.health_check_path),
                    &t.tags,
                )
            }),
        ),
        row(
            "listener rule",
            inv.listener_rule.as_ref().map(|r| {
                let tail = r.arn.rsplit('/').next().unwrap_or(&r.arn).to_string();
                (
                    tail,
                    format!("priority {} path {}", r.priority, r.path_patterns.join(",")),
                    &r.tags,
                )
            }),
        ),
        row(
            "ECS service",
            inv.service.as_ref().map(|s| {
                let state = format!(
                    "{} running {}/{} desired",
                    s.status, s.running_count, s.desired_count
                );
                (s.name.clone(), state, &s.tags)
            }),
        ),
    ]);
    rows
}

/// The rows as an aligned text table.
pub fn table(rows: &[Row]) -> String {
    let width =
        |f: fn(&Row) -> usize, title: &str| rows.iter().map(f).max().unwrap_or(0).max(title.len());
    let (k, n) = (
        width(|r| r.kind.len(), "RESOURCE"),
        width(|r| r.name.chars().count(), "NAME / ID"),
    );
    let mut out = format!(
        "{:k$}  {:n$}  {:5}  STATE\n",
        "RESOURCE", "NAME / ID", "OURS"
    );
    for r in rows {
        let ours = if r.detail == "missing" {
            ""
        } else if r.owned {
            "yes"
        } else {
            "NO"
        };
        out.push_str(&format!(
            "{:k$}  {:n$}  {:5}  {}\n",
            r.kind, r.name, ours, r.detail
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_inventory_lists_every_kind_as_missing() {
        let d = Deployment::new(
            "arn:aws:cloudformation:us-east-1:1:stack/s/1",
            "Svc",
            "0123abcd",
        );
        let rows = rows(&d, &Inventory::default());
        assert_eq!(rows.len(), 9);
        assert!(rows.iter().all(|r| r.detail == "missing" && !r.owned));
        let text = table(&rows);
        assert!(text.starts_with("RESOURCE"));
        assert_eq!(text.lines().count(), 10);
    }
}
