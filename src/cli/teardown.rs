//! `prod-e teardown`: show everything a deployment owns, confirm, then delete it in reverse
//! order with the Lambda's own Delete (same ownership and retry rules), one line per resource.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{exit, Failure, Outcome, Output, Target};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::{delete_found, inventory, Inventory};
use crate::progress::{Event, Steps};
use crate::report;

/// Delete a deployment's resources after showing them and asking for a typed `yes`.
#[derive(Debug, clap::Args)]
pub struct Teardown {
    #[command(flatten)]
    pub target: Target,
    /// The Properties it was deployed with (else its resources are found by their tags).
    #[arg(long, value_name = "FILE")]
    pub properties: Option<PathBuf>,
    /// Only list what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask; needed when there is no terminal to ask on.
    #[arg(long)]
    pub yes: bool,
}

impl Teardown {
    pub async fn run(&self, c: &Clients, output: Output) -> Result<Outcome, Failure> {
        let (d, at) = self.target.resolve(c, self.properties.as_deref()).await?;
        let inv = inventory(c, &d, &at).await?;
        let (doomed, spared) = order(&d, &inv);
        let mut text = format!(
            "deployment {}: {} resource(s) to delete, in this order:\n",
            d.physical_id(),
            doomed.len()
        );
        for (i, (kind, name)) in doomed.iter().enumerate() {
            text.push_str(&format!("  {:>2}. {kind} {name}\n", i + 1));
        }
        for (kind, name) in &spared {
            text.push_str(&format!("  left alone (not ours): {kind} {name}\n"));
        }
        let listed =
            json!({"physical_id": d.physical_id(), "delete": doomed, "left_alone": spared});
        if doomed.is_empty() || self.dry_run {
            let note = if doomed.is_empty() {
                "nothing to delete\n"
            } else {
                "dry run: nothing deleted\n"
            };
            return Ok(Outcome {
                code: exit::OK,
                text: text + note,
                json: listed,
            });
        }
        let speak = |s: &str| match output {
            Output::Text => print!("{s}"),
            Output::Json => eprint!("{s}"),
        };
        speak(&text);
        if !self.yes {
            if !std::io::stdin().is_terminal() {
                return Err(Failure {
                    code: exit::DECLINED,
                    message: "refusing to delete without a terminal to confirm on: pass --yes"
                        .into(),
                });
            }
            speak(&format!(
                "Type yes to delete these {} resources: ",
                doomed.len()
            ));
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if answer.trim() != "yes" {
                return Ok(Outcome {
                    code: exit::DECLINED,
                    text: "nothing deleted\n".into(),
                    json: listed,
                });
            }
        }
        let started = Instant::now();
        let result = with_progress(output, delete_found(c, &d, &at, inv)).await;
        let left = inventory(c, &d, &at).await?;
        let (remaining, _) = order(&d, &left);
        let took = started.elapsed().as_secs_f64();
        let json = json!({"physical_id": d.physical_id(), "deleted": doomed, "remaining": remaining, "seconds": took});
        match result {
            Ok(()) if remaining.is_empty() => Ok(Outcome {
                code: exit::OK,
                text: format!(
                    "deleted {} resource(s) in {took:.1} s; nothing of {} is left\n",
                    doomed.len(),
                    d.physical_id()
                ),
                json,
            }),
            Ok(()) => Err(format!("still there after teardown: {remaining:?}").into()),
            Err(e) => Err(e.into()),
        }
    }
}

/// (kind, name) of resources, in order.
type Listed = Vec<(String, String)>;

/// Ours in deletion order, and what carries our names but is not ours.
fn order(d: &Deployment, inv: &Inventory) -> (Listed, Listed) {
    let rows = report::rows(d, inv);
    let rank = |kind: &str| match kind {
        "ECS service" => 0,
        "listener rule" => 1,
        "target group" => 2,
        "task definition" => 3,
        k if k.starts_with("IAM role") => 4,
        "ECS cluster" => 5,
        "security group" => 6,
        _ => 7,
    };
    let mut present: Vec<&report::Row> = rows.iter().filter(|r| r.detail != "missing").collect();
    present.sort_by_key(|r| rank(r.kind));
    let pick = |owned: bool| {
        present
            .iter()
            .filter(|r| r.owned == owned)
            .map(|r| (r.kind.to_string(), r.name.clone()))
            .collect()
    };
    (pick(true), pick(false))
}

/// Runs `work` printing a line per finished step; on a terminal a spinner shows what is in
/// flight and for how long.
async fn with_progress<T>(output: Output, work: impl std::future::Future<Output = T>) -> T {
    let terminal = output == Output::Text && std::io::stdout().is_terminal();
    let started = Instant::now();
    let line = move |s: String| match output {
        Output::Text if terminal => print!("\r\x1b[2K{s}\n"),
        Output::Text => println!("{s}"),
        Output::Json => eprintln!("{s}"),
    };
    let steps = Steps::with_listener(move |e| {
        if let Event::Finished { step, took, ok } = e {
            let mark = if *ok { "done" } else { "FAILED" };
            line(format!("{mark}: {step} ({:.1} s)", took.as_secs_f64()));
        }
    });
    let spinning = Arc::new(Mutex::new(true));
    let spinner = terminal.then(|| {
        let (steps, spinning) = (steps.clone(), spinning.clone());
        tokio::spawn(async move {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            for frame in frames.iter().cycle() {
                if !spinning.lock().map(|s| *s).unwrap_or(false) {
                    break;
                }
                let doing = steps.in_flight().join(", ");
                print!(
                    "\r\x1b[2K{frame} {:.1} s {doing}",
                    started.elapsed().as_secs_f64()
                );
                let _ = std::io::stdout().flush();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    let out = steps.scope(work).await;
    if let Ok(mut s) = spinning.lock() {
        *s = false;
    }
    if let Some(spinner) = spinner {
        let _ = spinner.await;
        print!("\r\x1b[2K");
    }
    out
}
