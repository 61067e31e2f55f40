//! `prod-e plan`: validate properties offline and show what Create, or an Update, would do;
//! with `--check`, also run Create's preflight checks against the account.

use std::path::PathBuf;

use serde_json::json;

mod graph;

use graph::{stages, Names};

use super::{exit, read_properties, Failure, Outcome};
use crate::aws::Clients;
use crate::plan::effects;
use crate::preflight;
use crate::spec::{documents, Diff, Spec};

/// Validate a properties file and show the resources Create would make, in order; or print
/// the Properties' JSON Schema or README table.
#[derive(Debug, clap::Args)]
pub struct Plan {
    /// The custom resource's Properties, as YAML or JSON.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["schema", "properties_table"])]
    pub properties: Option<PathBuf>,
    /// Print the JSON Schema of the Properties (schema/prod-e-service.schema.json) and exit.
    #[arg(long, conflicts_with = "properties")]
    pub schema: bool,
    /// Print the README's table of properties (Markdown) and exit.
    #[arg(long, conflicts_with_all = ["properties", "schema"])]
    pub properties_table: bool,
    /// The previous Properties: show what an Update from them would do.
    #[arg(long, value_name = "FILE")]
    pub old: Option<PathBuf>,
    /// The stack ARN, to show the real derived names.
    #[arg(long, value_name = "ARN")]
    pub stack_id: Option<String>,
    /// The custom resource's logical id in the stack.
    #[arg(long, default_value = "ProdEService")]
    pub logical_id: String,
    /// Also run Create's preflight checks against the account (read-only; needs AWS access)
    /// and print them as a checklist; exit 6 if any fails.
    #[arg(long, requires = "properties")]
    pub check: bool,
}

impl Plan {
    /// Validates and plans, or prints the schema or the table.
    pub fn run(&self) -> Result<Outcome, Failure> {
        let Some(properties) = &self.properties else {
            return Ok(self.reference());
        };
        let spec = match Spec::parse(&read_properties(properties)?) {
            Ok(spec) => spec,
            Err(invalid) => {
                let problems: Vec<_> = invalid
                    .0
                    .iter()
                    .map(|p| json!({"property": p.property, "problem": p.message}))
                    .collect();
                return Ok(Outcome {
                    code: exit::INVALID,
                    text: format!("{invalid}\n"),
                    json: json!({"valid": false, "problems": problems}),
                });
            }
        };
        let names = Names::new(
            self.stack_id.as_deref(),
            &self.logical_id,
            &spec.fingerprint(),
        );
        let stages = stages(&names, &spec)?;
        let mut text = format!("Properties are valid. PhysicalResourceId: {}\n", names.id);
        if self.stack_id.is_none() {
            text.push_str(
                "(names use <id>, a hash of the stack ARN and logical id: pass \
                 --stack-id to see them)\n",
            );
        }
        text.push_str(
            "Create makes, stage by stage (the resources of one stage are made concurrently):\n",
        );
        for (i, stage) in stages.iter().enumerate() {
            text.push_str(&format!("  {}. {}\n", i + 1, stage.join("\n     ")));
        }
        let mut out = json!({"valid": true, "physical_id": names.id, "create": stages});
        if let Some(old) = &self.old {
            let old = Spec::parse(&read_properties(old)?).map_err(|e| Failure {
                code: exit::INVALID,
                message: format!("--old: {e}"),
            })?;
            let (update_text, update_json) = update(&old.diff(&spec));
            text.push_str(&update_text);
            out["update"] = update_json;
        }
        Ok(Outcome {
            code: exit::OK,
            text,
            json: out,
        })
    }
}

impl Plan {
    /// [`Plan::run`], then (with `--check`) the preflight checks of Create against the
    /// account behind `c`, as a checklist.
    pub async fn run_checked(&self, c: &Clients) -> Result<Outcome, Failure> {
        let mut outcome = self.run()?;
        let Some(properties) = self.properties.as_ref().filter(|_| self.check) else {
            return Ok(outcome);
        };
        let Ok(spec) = Spec::parse(&read_properties(properties)?) else {
            return Ok(outcome);
        };
        let names = Names::new(
            self.stack_id.as_deref(),
            &self.logical_id,
            &spec.fingerprint(),
        );
        let report = preflight::run(c, &names.d, &spec).await?;
        outcome
            .text
            .push_str("Preflight (read-only checks of the account and network):\n");
        for check in &report.checks {
            outcome.text.push_str(&match &check.problem {
                None => format!("  ✓ {}\n", check.what),
                Some(problem) => format!("  ✗ {}: {problem}\n", check.what),
            });
        }
        let failed = report.checks.iter().filter(|c| c.problem.is_some()).count();
        outcome.json["preflight"] = json!(report
            .checks
            .iter()
            .map(|c| json!({"check": c.what, "problem": c.problem}))
            .collect::<Vec<_>>());
        if failed > 0 {
            outcome.code = exit::CHECKS_FAILED;
            outcome
                .text
                .push_str(&format!("{failed} check(s) failed.\n"));
        }
        Ok(outcome)
    }
}

/// What an Update with `diff` would do: in words, and as JSON.
fn update(diff: &Diff) -> (String, serde_json::Value) {
    let replaced = diff.needs_replacement();
    let changes = effects(diff);
    let text = match (diff.is_empty(), replaced.is_empty()) {
        (true, _) => "Update: nothing changed; no AWS writes.\n".to_string(),
        (false, false) => format!(
            "Update: replacement, because {} cannot change in place: a new set with a new \
             PhysicalResourceId is built beside the old one, traffic moves to it once its \
             service is steady, and CloudFormation then deletes the old set.\n",
            replaced.join(", ")
        ),
        (false, true) => {
            let lines: Vec<String> = changes
                .iter()
                .map(|(resource, action, why)| {
                    format!("  {resource}: {action} ({})", why.join(", "))
                })
                .collect();
            format!(
                "Update in place, same PhysicalResourceId:\n{}\n",
                lines.join("\n")
            )
        }
    };
    let in_place: Vec<_> = match replaced.is_empty() {
        true => changes
            .iter()
            .map(|(resource, action, why)| {
                json!({"resource": resource, "action": action, "because": why})
            })
            .collect(),
        false => Vec::new(),
    };
    let json = json!({
        "changed": diff.changed,
        "replacement": !replaced.is_empty(),
        "replacement_because": replaced,
        "in_place": in_place,
    });
    (text, json)
}

impl Plan {
    /// The JSON Schema (`--schema`) or the README's table (`--properties-table`).
    fn reference(&self) -> Outcome {
        let schema = documents::json_schema();
        let text = match self.properties_table {
            true => documents::markdown_table(),
            false => format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            ),
        };
        Outcome {
            code: exit::OK,
            text,
            json: schema,
        }
    }
}
