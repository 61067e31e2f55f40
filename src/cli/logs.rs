//! `prod-e logs`: a deployment's container logs from its log group, oldest first, with the
//! task each line came from; `--follow` polls for new lines until interrupted.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;

use super::{exit, Failure, Outcome, Output, Target};
use crate::aws::Clients;
use crate::resources::log_group::{self, Event};

/// How often `--follow` asks for new lines: FilterLogEvents shares a per-account quota of a
/// few requests per second (CloudWatch Logs quotas), so one request per 2 s leaves room.
pub const FOLLOW_POLL: Duration = Duration::from_secs(2);

/// Show a deployment's container logs, oldest first.
#[derive(Debug, clap::Args)]
pub struct Logs {
    #[command(flatten)]
    /// Which deployment.
    pub target: Target,
    /// Keep printing new lines (asking every 2 s) until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// Only lines newer than this: 30s, 10m, 2h, 1d…
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub since: Duration,
    /// Only the lines of this task (its id, the last part of its ARN).
    #[arg(long)]
    pub task: Option<String>,
}

impl Logs {
    /// Prints the lines since `--since`; with `--follow`, goes on printing until interrupted.
    pub async fn run(&self, c: &Clients, output: Output) -> Result<Outcome, Failure> {
        let group = self.target.deployment(c).await?.log_group();
        let since = SystemTime::now()
            .checked_sub(self.since)
            .unwrap_or(UNIX_EPOCH);
        let events = self.read(c, &group, millis(since)).await?;
        if self.follow {
            return self.follow(c, &group, events, output).await;
        }
        let text = match events.is_empty() {
            true => format!("no lines in {group} since {}\n", stamp(millis(since))),
            false => events.iter().map(line).collect(),
        };
        let json = json!({"log_group": group, "events": events});
        Ok(Outcome {
            code: exit::OK,
            text,
            json,
        })
    }

    /// The events of `group` from `start` on, of `--task`'s task if given.
    async fn read(&self, c: &Clients, group: &str, start: i64) -> Result<Vec<Event>, Failure> {
        let events = log_group::events(&c.logs, group, start).await?;
        Ok(events
            .into_iter()
            .filter(|e| self.task.as_deref().is_none_or(|t| task_of(e) == t))
            .collect())
    }

    /// Prints `events`, then each new one as it comes (text lines, or one JSON object per
    /// line); returns only on a failed read.
    async fn follow(
        &self,
        c: &Clients,
        group: &str,
        mut events: Vec<Event>,
        output: Output,
    ) -> Result<Outcome, Failure> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut start = millis(
            SystemTime::now()
                .checked_sub(self.since)
                .unwrap_or(UNIX_EPOCH),
        );
        loop {
            for e in events.iter().filter(|e| !seen.contains(&e.id)) {
                match output {
                    Output::Text => print!("{}", line(e)),
                    Output::Json => println!("{}", json!(e)),
                }
            }
            // The next read starts at the newest timestamp again (inclusive): remember the
            // ids printed at that instant only.
            if let Some(last) = events.last().map(|e| e.timestamp) {
                start = last;
                seen = events
                    .iter()
                    .filter(|e| e.timestamp == last)
                    .map(|e| e.id.clone())
                    .collect();
            }
            tokio::time::sleep(FOLLOW_POLL).await;
            events = self.read(c, group, start).await?;
        }
    }
}

/// "2026-11-30T07:40:11.123Z  <task id>  <message>".
fn line(e: &Event) -> String {
    format!(
        "{}  {:<32}  {}\n",
        stamp(e.timestamp),
        task_of(e),
        e.message
    )
}

/// The task id of an awslogs stream (`ecs/<container>/<task id>`).
fn task_of(e: &Event) -> &str {
    e.stream.rsplit('/').next().unwrap_or(&e.stream)
}

fn stamp(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(at).to_string()
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
