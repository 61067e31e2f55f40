//! Rendering a deployment's inventory for people: one line per resource, aligned.

use crate::naming::{Deployment, Tags};
use crate::plan::{Inventory, Part};
use crate::resources::listener_rule::ListenerRule;
use crate::resources::role::Role;
use crate::resources::service::Service;
use crate::resources::task_definition::TaskDefinition;

/// One row: what, which, its state, and whether it is ours.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// What it is, for people ("IAM role (task)").
    pub kind: &'static str,
    /// The part of the set it is.
    #[serde(skip)]
    pub part: Part,
    /// Its name.
    pub name: String,
    /// Its state, or `missing`.
    pub detail: String,
    /// Whether it carries this deployment's ownership tag.
    pub owned: bool,
}

/// A found resource: its name or id, its state, and its tags.
type Found<'a> = Option<(String, String, &'a Tags)>;

impl Row {
    fn new(d: &Deployment, part: Part, found: Found) -> Row {
        let kind = part.info().label;
        match found {
            Some((name, detail, tags)) => Row {
                kind,
                part,
                name,
                detail,
                owned: d.owns(tags),
            },
            None => Row {
                kind,
                part,
                name: "-".into(),
                detail: "missing".into(),
                owned: false,
            },
        }
    }
}

/// Whether the service runs (or rolls to) revision `t`.
fn use_of(inv: &Inventory, t: &TaskDefinition) -> &'static str {
    let runs = |s: &Service| s.task_definition == t.arn || s.revisions.contains(&t.arn);
    match inv.service.as_ref().is_some_and(runs) {
        true => "in use",
        false => "not in use",
    }
}

/// The rows of an inventory, in creation order; a missing resource is a row saying so.
pub fn rows(d: &Deployment, inv: &Inventory) -> Vec<Row> {
    let cluster = inv.cluster.as_ref();
    let mut rows = vec![
        Row::new(d, Part::ExecutionRole, role(inv.execution_role.as_ref())),
        Row::new(d, Part::TaskRole, role(inv.task_role.as_ref())),
        Row::new(d, Part::SecurityGroup, security_group(inv)),
        Row::new(d, Part::LogGroup, log_group(inv)),
        Row::new(
            d,
            Part::Cluster,
            cluster.map(|c| (c.name.clone(), c.arn.clone(), &c.tags)),
        ),
    ];
    let revision = |t: &TaskDefinition| t.arn.rsplit('/').next().unwrap_or(&t.arn).to_string();
    let revisions = inv.task_definitions.iter();
    let found: Vec<Found> = match inv.task_definitions.is_empty() {
        true => vec![None],
        // Found by tag: ACTIVE, or deregistered by the last Update and retired by the next.
        false => revisions
            .map(|t| Some((revision(t), use_of(inv, t).into(), &t.tags)))
            .collect(),
    };
    for f in found {
        rows.push(Row::new(d, Part::TaskDefinition, f));
    }
    rows.extend([
        Row::new(d, Part::TargetGroup, target_group(inv)),
        Row::new(
            d,
            Part::ListenerRule,
            listener_rule(inv.listener_rule.as_ref()),
        ),
        Row::new(d, Part::Service, service(inv)),
    ]);
    // Optional parts (AutoScaling, Alarms): listed only when they exist.
    if let Some(t) = &inv.scalable_target {
        let bounds = format!("{}–{} tasks", t.min_capacity, t.max_capacity);
        let found = Some((t.resource_id.clone(), bounds, &t.tags));
        rows.push(Row::new(d, Part::ScalableTarget, found));
    }
    for a in &inv.alarms {
        let found = Some((a.name.clone(), a.state.clone(), &a.tags));
        rows.push(Row::new(d, Part::Alarm, found));
    }
    if let Some(g) = &inv.alternate_target_group {
        let found = Some((g.name.clone(), g.arn.clone(), &g.tags));
        rows.push(Row::new(d, Part::AlternateTargetGroup, found));
    }
    if let Some(r) = &inv.traffic_role {
        rows.push(Row::new(d, Part::TrafficRole, role(Some(r))));
    }
    for r in &inv.test_listener_rules {
        rows.push(Row::new(d, Part::TestListenerRule, listener_rule(Some(r))));
    }
    rows
}

fn role(r: Option<&Role>) -> Found<'_> {
    r.map(|r| (r.name.clone(), r.arn.clone(), &r.tags))
}

fn security_group(inv: &Inventory) -> Found<'_> {
    let g = inv.security_group.as_ref()?;
    let ingress: Vec<String> = g
        .ingress
        .iter()
        .map(|(port, src)| format!("tcp/{port} from {src}"))
        .collect();
    let detail = format!("{} ({})", g.name, ingress.join(", "));
    Some((g.id.clone(), detail, &g.tags))
}

fn log_group(inv: &Inventory) -> Found<'_> {
    let g = inv.log_group.as_ref()?;
    let retention = g.retention_days.map_or("never expires".to_string(), |d| {
        format!("retention {d} days")
    });
    Some((g.name.clone(), retention, &g.tags))
}

fn target_group(inv: &Inventory) -> Found<'_> {
    let t = inv.target_group.as_ref()?;
    let detail = format!("health check {}", t.health_check.path);
    Some((t.name.clone(), detail, &t.tags))
}

fn listener_rule(r: Option<&ListenerRule>) -> Found<'_> {
    let r = r?;
    let tail = r.arn.rsplit('/').next().unwrap_or(&r.arn).to_string();
    let detail = format!("priority {} {}", r.priority, r.routing);
    Some((tail, detail, &r.tags))
}

fn service(inv: &Inventory) -> Found<'_> {
    let s = inv.service.as_ref()?;
    let state = format!(
        "{} running {}/{} desired{}",
        s.status,
        s.running_count,
        s.desired_count,
        native(inv).unwrap_or_default()
    );
    Some((s.name.clone(), state, &s.tags))
}

/// `, CANARY, serving <group>` for a service on a native strategy: the group of its two that
/// the rule weighs (ECS moves the weights at each deployment).
fn native(inv: &Inventory) -> Option<String> {
    let s = inv.service.as_ref()?;
    let alternate = s.alternate_target_group_arn.as_ref()?;
    let strategy = s.rolling.as_ref().map_or("", |r| r.strategy.as_str());
    let rule = inv.listener_rule.as_ref()?;
    let weighted = rule.target_group_arns.iter().zip(&rule.weights);
    let mut serving =
        weighted.filter(|(a, w)| **w > 0 && (**a == s.target_group_arn || *a == alternate));
    let name = |arn: &str| arn.split('/').nth(1).unwrap_or(arn).to_string();
    let group = serving
        .next()
        .map_or("neither group".to_string(), |(a, _)| name(a));
    Some(format!(", {strategy}, serving {group}"))
}

/// The rows as an aligned text table (comfy-table, without borders).
pub fn table(rows: &[Row]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::NOTHING).set_header([
        "RESOURCE",
        "NAME / ID",
        "OURS",
        "STATE",
    ]);
    for r in rows {
        let ours = match (r.detail.as_str(), r.owned) {
            ("missing", _) => "",
            (_, true) => "yes",
            (_, false) => "NO",
        };
        table.add_row([r.kind, r.name.as_str(), ours, r.detail.as_str()]);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let text: Vec<String> = table
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect();
    text.join("\n") + "\n"
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
