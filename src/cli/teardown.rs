//! `prod-e teardown`: show everything a deployment owns, confirm, then delete it in reverse
//! order with the Lambda's own Delete (same ownership and retry rules), one line per resource.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use serde_json::json;

use super::report;
use super::{exit, Failure, Outcome, Output, Target};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::{delete_found, inventory, Inventory};
use crate::progress::{Event, Steps};

/// Delete a deployment's resources after showing them and asking for a typed `yes`.
#[derive(Debug, clap::Args)]
pub struct Teardown {
    #[command(flatten)]
    /// Which deployment.
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
    /// Lists, confirms, deletes and checks that nothing is left.
    pub async fn run(&self, c: &Clients, output: Output) -> Result<Outcome, Failure> {
        let (d, at) = self.target.resolve(c, self.properties.as_deref()).await?;
        let inv = inventory(c, &d, &at).await?;
        let (doomed, spared) = order(&d, &inv);
        let text = listing(&d, &doomed, &spared);
        let listed =
            json!({"physical_id": d.physical_id(), "delete": doomed, "left_alone": spared});
        if doomed.is_empty() || self.dry_run {
            let note = match doomed.is_empty() {
                true => "nothing to delete\n",
                false => "dry run: nothing deleted\n",
            };
            return Ok(Outcome {
                code: exit::OK,
                text: text + note,
                json: listed,
            });
        }
        match output {
            Output::Text => print!("{text}"),
            Output::Json => eprint!("{text}"),
        }
        if !self.yes && !confirmed(doomed.len(), output)? {
            return Ok(Outcome {
                code: exit::DECLINED,
                text: "nothing deleted\n".into(),
                json: listed,
            });
        }
        let started = Instant::now();
        let result = with_progress(output, delete_found(c, &d, &at, inv)).await;
        let (remaining, _) = order(&d, &inventory(c, &d, &at).await?);
        let took = started.elapsed().as_secs_f64();
        let json = json!({
            "physical_id": d.physical_id(),
            "deleted": doomed,
            "remaining": remaining,
            "seconds": took,
        });
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

/// What will be deleted, in order, and what is left alone.
fn listing(d: &Deployment, doomed: &Listed, spared: &Listed) -> String {
    let mut text = format!(
        "deployment {}: {} resource(s) to delete, in this order:\n",
        d.physical_id(),
        doomed.len()
    );
    for (i, (kind, name)) in doomed.iter().enumerate() {
        text.push_str(&format!("  {:>2}. {kind} {name}\n", i + 1));
    }
    for (kind, name) in spared {
        text.push_str(&format!("  left alone (not ours): {kind} {name}\n"));
    }
    text
}

/// Asks for a typed `yes` on the terminal; without one, refuses ([`exit::DECLINED`]).
fn confirmed(count: usize, output: Output) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure {
            code: exit::DECLINED,
            message: "refusing to delete without a terminal to confirm on: pass --yes".into(),
        });
    }
    let question = format!("Type yes to delete these {count} resources: ");
    match output {
        Output::Text => print!("{question}"),
        Output::Json => eprint!("{question}"),
    }
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// (kind, name) of resources, in order.
type Listed = Vec<(String, String)>;

/// Ours in deletion order ([`crate::plan::PARTS`]), and what carries our names but is not ours.
fn order(d: &Deployment, inv: &Inventory) -> (Listed, Listed) {
    let rows = report::rows(d, inv);
    // By deletion rank; within one, later-made parts (which depend on earlier ones) first.
    let rank = |r: &&report::Row| {
        (
            r.part.info().deletion_rank,
            std::cmp::Reverse(r.part as usize),
        )
    };
    let mut present: Vec<&report::Row> = rows.iter().filter(|r| r.detail != "missing").collect();
    present.sort_by_key(rank);
    let pick = |owned: bool| {
        present
            .iter()
            .filter(|r| r.owned == owned)
            .map(|r| (r.kind.to_string(), r.name.clone()))
            .collect()
    };
    (pick(true), pick(false))
}

/// Runs `work` printing a line per finished step; on a terminal an indicatif spinner shows
/// what is in flight and for how long.
async fn with_progress<T>(output: Output, work: impl std::future::Future<Output = T>) -> T {
    let spinner = match output == Output::Text && std::io::stdout().is_terminal() {
        true => ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout()),
        false => ProgressBar::hidden(),
    };
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        spinner.set_style(style);
    }
    let shown = spinner.clone();
    let steps = Steps::with_listener(move |e| {
        if let Event::Finished { step, took, ok } = e {
            let mark = if *ok { "done" } else { "FAILED" };
            let line = format!("{mark}: {step} ({:.1} s)", took.as_secs_f64());
            match output {
                Output::Json => eprintln!("{line}"),
                Output::Text if shown.is_hidden() => println!("{line}"),
                Output::Text => shown.println(line),
            }
        }
    });
    spinner.enable_steady_tick(Duration::from_millis(100));
    let ticker = {
        let (steps, spinner) = (steps.clone(), spinner.clone());
        tokio::spawn(async move {
            while !spinner.is_finished() {
                spinner.set_message(steps.in_flight().join(", "));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let out = steps.scope(work).await;
    spinner.finish_and_clear();
    let _ = ticker.await;
    out
}
