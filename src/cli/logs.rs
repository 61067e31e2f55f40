//! `prod-e logs`: a deployment's container logs from its log group, oldest first, with the
//! task each line came from; `--follow` polls for new lines until interrupted.

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::{exit, Failure, Outcome, Output, Target};
use crate::aws::Clients;
use crate::resources::log_group::{self, Event};

/// How often `--follow` asks for new lines: FilterLogEvents allows 5 requests per second per
/// account and Region, shared with every other reader (CloudWatch Logs quotas), so one read
/// every 2 s leaves room.
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
    /// Prints the lines since `--since`; with `--follow`, goes on printing until interrupted
    /// (or until its output is closed).
    pub async fn run(&self, c: &Clients, output: Output) -> Result<Outcome, Failure> {
        let group = self.target.deployment(c).await?.log_group();
        let start = millis(
            SystemTime::now()
                .checked_sub(self.since)
                .unwrap_or(UNIX_EPOCH),
        );
        let (events, more) = log_group::events(&c.logs, &group, start).await?;
        if self.follow {
            return self.follow(c, &group, start, events, output).await;
        }
        let shown: Vec<&Event> = events.iter().filter(|e| self.keeps(e)).collect();
        let mut text = match shown.is_empty() {
            true => format!("no lines in {group} since {}\n", stamp(start)),
            false => shown.iter().map(|e| line(e)).collect(),
        };
        if more {
            text.push_str(
                "(more lines than one read returns: the newest are not shown; narrow --since)\n",
            );
        }
        let json = json!({"log_group": group, "events": shown, "truncated": more});
        Ok(Outcome {
            code: exit::OK,
            text,
            json,
        })
    }

    /// Whether `--task` keeps `e`.
    fn keeps(&self, e: &Event) -> bool {
        self.task.as_deref().is_none_or(|t| task_of(e) == t)
    }

    /// Prints `events`, then each new one as it comes (text lines, or one JSON object per
    /// line). A failed read is reported and tried again at the next poll.
    async fn follow(
        &self,
        c: &Clients,
        group: &str,
        mut start: i64,
        mut events: Vec<Event>,
        output: Output,
    ) -> Result<Outcome, Failure> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stdout = std::io::stdout();
        loop {
            for e in events
                .iter()
                .filter(|e| !seen.contains(&e.id) && self.keeps(e))
            {
                let printed = match output {
                    Output::Text => write!(stdout, "{}", line(e)),
                    Output::Json => writeln!(stdout, "{}", json!(e)),
                };
                if printed.and_then(|()| stdout.flush()).is_err() {
                    // The reader went away (`| head`): done.
                    return Ok(closed());
                }
            }
            // The next read starts at the newest timestamp again (inclusive), whatever task
            // logged it: remember the ids seen at that instant only.
            if let Some(last) = events.last().map(|e| e.timestamp) {
                start = last;
                seen = events
                    .iter()
                    .filter(|e| e.timestamp == last)
                    .map(|e| e.id.clone())
                    .collect();
            }
            tokio::time::sleep(FOLLOW_POLL).await;
            events = match log_group::events(&c.logs, group, start).await {
                Ok((events, _)) => events,
                Err(e) => {
                    eprintln!("prod-e logs: {e} (trying again)");
                    Vec::new()
                }
            };
        }
    }
}

/// A follow whose output was closed.
fn closed() -> Outcome {
    Outcome {
        code: exit::OK,
        text: String::new(),
        json: Value::Null,
    }
}

/// "2026-11-30T07:40:11.123Z  <task id>  <message>", the message's control characters
/// escaped ([`printable`]).
fn line(e: &Event) -> String {
    format!(
        "{}  {:<32}  {}\n",
        stamp(e.timestamp),
        task_of(e),
        printable(&e.message)
    )
}

/// `text` with every control character but the tab escaped (`\u{1b}`, `\n`): a container's
/// output is whatever its process wrote, and raw escape sequences would drive the operator's
/// terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c.is_control() && c != '\t' {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_are_escaped() {
        let raw = "ok\u{1b}]0;owned\u{7}\r\ttab\n";
        assert_eq!(super::printable(raw), "ok\\u{1b}]0;owned\\u{7}\\r\ttab\\n");
    }
}
