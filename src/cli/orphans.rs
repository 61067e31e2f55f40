//! `prod-e orphans`: deployments whose stack is gone, with the command that removes each.

use serde_json::json;

use super::discover;
use super::{exit, Failure, Outcome};
use crate::aws::Clients;
use crate::resources::stack;

/// List resources carrying prod-e ownership tags whose stack no longer exists.
#[derive(Debug, clap::Args)]
pub struct Orphans {}

impl Orphans {
    /// Lists deployments whose stack is gone or no longer has the resource.
    pub async fn run(&self, c: &Clients) -> Result<Outcome, Failure> {
        let mut text = String::new();
        let mut orphans = Vec::new();
        for found in discover::deployments(c).await? {
            let status = match found.stack_id.as_str() {
                "" => None,
                id => stack::status(&c.cloudformation, id).await?,
            };
            if status.as_deref().is_some_and(|s| s != "DELETE_COMPLETE") {
                continue;
            }
            let why = status.unwrap_or_else(|| "does not exist".to_string());
            text.push_str(&format!(
                "{} (stack {}, {why}; logical id {})\n",
                found.physical_id, found.stack_id, found.logical_id
            ));
            for r in &found.resources {
                text.push_str(&format!("  {r}\n"));
            }
            text.push_str(&format!(
                "  remove with: prod-e teardown --physical-id {}\n",
                found.physical_id
            ));
            orphans.push(json!({"deployment": found, "stack_status": why,
                "teardown": format!("prod-e teardown --physical-id {}", found.physical_id)}));
        }
        if orphans.is_empty() {
            text.push_str("no orphaned prod-e resources\n");
        }
        Ok(Outcome {
            code: exit::OK,
            text,
            json: json!({"orphans": orphans}),
        })
    }
}
