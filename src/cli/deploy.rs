//! `prod-e deploy --stack NAME --image IMAGE`: a new image through CloudFormation, as a CI
//! job runs it. UpdateStack keeps the stack's template and every parameter but the one the
//! image comes from (`--parameter`, the template's `Image` by default); then the stack's
//! events and the set's ECS deployment are followed (rollout, tasks, a native strategy's
//! lifecycle stage, bake time left and traffic share, the deployment alarms; with JSON output,
//! each state in `progress`) until the stack's operation ends: exit 0 on `UPDATE_COMPLETE`,
//! else [`exit::FAILED`] with the custom resource's Reason.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use super::{discover, exit, Failure, Outcome, Output};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::alarm_names;
use crate::resources::stack::{self, Event, Stack};
use crate::resources::{alarm, listener_rule, service};
use crate::spec::Locator;

/// How often the stack and the service are read again (the AWS CLI's CloudFormation waiters
/// poll every 30 s; a person watching wants less).
const POLL: Duration = Duration::from_secs(5);

/// Deploy a new image: UpdateStack with only the image parameter changed, then follow it.
#[derive(Debug, clap::Args)]
pub struct Deploy {
    /// The stack (its name or ARN).
    #[arg(long)]
    pub stack: String,
    /// The image to deploy (`repository:tag` or `repository@sha256:…`).
    #[arg(long)]
    pub image: String,
    /// The template parameter the custom resource's `Image` property comes from.
    #[arg(long, default_value = "Image")]
    pub parameter: String,
    /// How long to follow the stack before giving up (CloudFormation goes on), e.g. `90m`.
    #[arg(long, default_value = "2h", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl Deploy {
    /// Starts the update and follows it to its end.
    pub async fn run(&self, c: &Clients, output: Output) -> Result<Outcome, Failure> {
        let cf = &c.cloudformation;
        let found = stack::describe(cf, &self.stack).await?;
        let stack = found.ok_or_else(|| Failure {
            code: exit::DRIFT,
            message: format!("stack {} not found", self.stack),
        })?;
        self.check(&stack)?;
        let since = stack::newest_event_id(cf, &stack.id).await?;
        stack::update_parameter(cf, &stack, (&self.parameter, &self.image)).await?;
        let ended = follow(c, &stack, since, (self.timeout, output)).await?;
        Ok(outcome(&stack, &self.image, ended))
    }

    /// The stack takes the update: no operation running, and the parameter exists.
    fn check(&self, stack: &Stack) -> Result<(), Failure> {
        if stack.status.ends_with("_IN_PROGRESS") {
            let message = format!(
                "stack {} is {}: wait for its operation to end",
                stack.id, stack.status
            );
            return Err(message.into());
        }
        if !stack.parameters.contains(&self.parameter) {
            return Err(Failure {
                code: exit::USAGE,
                message: format!(
                    "stack {} has no parameter {}: name the one its image comes from with \
                     --parameter",
                    stack.id, self.parameter
                ),
            });
        }
        Ok(())
    }
}

/// How the stack's operation ended: its status, the custom resource's failure reason, and
/// each state of the set's deployment seen on the way.
struct Ended {
    status: String,
    reason: Option<String>,
    progress: Vec<String>,
}

/// When the bake of the deployment followed was first seen (ECS's `BAKE_TIME` stage).
#[derive(Default)]
struct Bake {
    since: Option<Instant>,
}

impl Bake {
    /// "bake: at most N min left" while `stage` is BAKE_TIME of a `minutes` bake, counted from
    /// when it was first seen (so at most the time left); `None` otherwise. Another stage
    /// read ends the count; no stage read (an error) keeps it.
    fn left(&mut self, stage: Option<&str>, minutes: Option<i32>) -> Option<String> {
        match stage {
            Some("BAKE_TIME") => {}
            // A read that failed (or no deployment in progress) keeps the count.
            None => return None,
            Some(_) => {
                self.since = None;
                return None;
            }
        }
        let since = *self.since.get_or_insert_with(Instant::now);
        let baked = crate::retry::unscaled(since.elapsed());
        let left = minutes_left(u64::try_from(minutes?).ok()?, baked);
        Some(format!("bake: at most {left} min left"))
    }
}

/// Whole minutes (rounded up) left of a bake of `minutes` after `baked`.
fn minutes_left(minutes: u64, baked: Duration) -> u64 {
    let total = Duration::from_secs(60 * minutes);
    total.saturating_sub(baked).as_secs().div_ceil(60)
}

/// Follows the stack from event `since` on until its operation ends (or `timeout` passes):
/// each new event a line, the set's deployment on a progress line.
async fn follow(
    c: &Clients,
    stack: &Stack,
    mut since: Option<String>,
    (timeout, output): (Duration, Output),
) -> Result<Ended, Failure> {
    let bar = progress(output);
    let (started, mut reason) = (Instant::now(), None);
    let (mut shown, mut progress, mut bake) = (String::new(), Vec::new(), Bake::default());
    // Where the set is: found once (an image Update keeps the set), then read each poll.
    let mut at: Option<(Deployment, Locator)> = None;
    loop {
        let events = stack::events_after(&c.cloudformation, &stack.id, since.as_deref()).await?;
        let set = shown_events(&events, &bar, &mut reason);
        if let (Some(d), None) = (set, &at) {
            at = discover::locate(c, &d).await.ok().map(|l| (d, l));
        }
        since = events.first().map(|e| e.id.clone()).or(since);
        let status = stack::status(&c.cloudformation, &stack.id)
            .await?
            .unwrap_or_default();
        let line = match &at {
            Some(at) => Some(format!(
                "{status} · {}",
                deployment_line(c, at, &mut bake).await
            )),
            None => None,
        };
        if !status.ends_with("_IN_PROGRESS") {
            bar.finish_and_clear();
            // Where the set's deployment ended, for the log.
            if let Some(line) = line {
                if output == Output::Text {
                    eprintln!("{line}");
                }
                progress.push(line);
            }
            return Ok(Ended {
                status,
                reason,
                progress,
            });
        }
        if started.elapsed() > timeout {
            bar.finish_and_clear();
            let message = format!("gave up following stack {} after {timeout:?}", stack.id);
            return Err(message.into());
        }
        if let Some(line) = line.filter(|l| *l != shown) {
            // Without a terminal (a CI log) each new state is a line of its own.
            if bar.is_hidden() && output == Output::Text {
                eprintln!("{line}");
            }
            progress.push(line.clone());
            bar.set_message(line.clone());
            shown = line;
        }
        tokio::time::sleep(crate::retry::scaled(POLL)).await;
    }
}

/// Prints `events` (newest first) oldest first above the spinner; the first failure's reason
/// goes into `reason`. Returns the set a custom resource event names, if any.
fn shown_events(
    events: &[Event],
    bar: &ProgressBar,
    reason: &mut Option<String>,
) -> Option<Deployment> {
    let mut set = None;
    for e in events.iter().rev() {
        bar.suspend(|| eprintln!("{}", event_line(e)));
        if e.status.ends_with("_FAILED") && !e.reason.is_empty() {
            reason.get_or_insert(e.reason.clone());
        }
        set = set.or_else(|| e.physical_id.as_deref().and_then(Deployment::parse));
    }
    set
}

/// A spinner on stderr for people (hidden for `--output json` and without a terminal, where
/// [`follow`] prints each new state as a line).
fn progress(output: Output) -> ProgressBar {
    let bar = match output {
        Output::Text => ProgressBar::new_spinner(),
        Output::Json => ProgressBar::hidden(),
    };
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn event_line(e: &Event) -> String {
    let reason = match e.reason.is_empty() {
        true => String::new(),
        false => format!(": {}", e.reason),
    };
    format!("{} {}{reason}", e.logical_id, e.status)
}

/// The set's deployment in one line: rollout, tasks, its lifecycle stage and the bake time
/// left, traffic share (a native strategy's rule weighs two groups), alarms; what cannot be
/// read is left out.
async fn deployment_line(c: &Clients, (d, at): &(Deployment, Locator), bake: &mut Bake) -> String {
    let mut parts = Vec::new();
    if let Ok(Some(svc)) = service::find(&c.ecs, &at.cluster_name, &at.service_name).await {
        let rollout = svc.rollout.as_deref().unwrap_or("no rollout");
        let tasks = format!("{}/{} tasks", svc.running_count, svc.desired_count);
        parts.push(format!(
            "ECS {rollout}, {tasks}, {} deployment(s)",
            svc.deployments
        ));
        // Only ECS's own strategies report stages worth showing (two more reads a poll).
        let stage = match svc.alternate_target_group_arn.is_some() {
            true => service::stage(&c.ecs, &at.cluster_name, &at.service_name).await,
            false => None,
        };
        let minutes = svc.rolling.as_ref().and_then(|r| r.bake_time_in_minutes);
        let left = bake.left(stage.as_deref(), minutes);
        parts.extend(stage.map(|s| format!("stage {s}")));
        parts.extend(left);
    }
    if let Some(share) = traffic_share(c, d, at).await {
        parts.push(share);
    }
    if let Ok(states) = alarm::states(&c.cloudwatch, &alarm_names(d)).await {
        let alarms: Vec<String> = states.iter().map(|(n, s)| format!("{n} {s}")).collect();
        parts.extend((!alarms.is_empty()).then(|| format!("alarms: {}", alarms.join(", "))));
    }
    parts.join(" · ")
}

/// "traffic 10 % / 90 %" when the set's rule weighs two groups.
async fn traffic_share(c: &Clients, d: &Deployment, at: &Locator) -> Option<String> {
    let listener = at.listener_arn.as_deref()?;
    let rule = listener_rule::find(&c.elb, listener, d).await.ok()??;
    let total: i32 = rule.weights.iter().sum();
    (rule.weights.len() == 2 && total > 0).then(|| {
        let shares: Vec<String> = rule
            .weights
            .iter()
            .map(|w| format!("{} %", w * 100 / total))
            .collect();
        format!("traffic {}", shares.join(" / "))
    })
}

fn outcome(stack: &Stack, image: &str, ended: Ended) -> Outcome {
    let done = ended.status == "UPDATE_COMPLETE";
    let reason = ended
        .reason
        .unwrap_or_else(|| "no reason given".to_string());
    let text = match done {
        true => format!("deployed {image}: stack {} UPDATE_COMPLETE\n", stack.id),
        false => format!(
            "deploying {image} failed: stack {} {}: {reason}\n",
            stack.id, ended.status
        ),
    };
    let json = json!({"stack": stack.id, "image": image, "status": ended.status,
                      "reason": (!done).then_some(reason), "progress": ended.progress});
    let code = if done { exit::OK } else { exit::FAILED };
    Outcome { code, text, json }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bake_left_counts_down_in_whole_minutes_rounded_up() {
        let s = Duration::from_secs;
        assert_eq!(minutes_left(3, s(0)), 3);
        assert_eq!(minutes_left(3, s(61)), 2);
        assert_eq!(minutes_left(3, s(179)), 1);
        assert_eq!(minutes_left(3, s(400)), 0);
        let mut bake = Bake::default();
        assert_eq!(bake.left(Some("SCALE_UP"), Some(3)), None);
        assert!(bake.left(Some("BAKE_TIME"), Some(3)).is_some());
        // A failed read keeps the count; another stage ends it.
        assert_eq!(bake.left(None, Some(3)), None);
        assert!(bake.since.is_some());
        assert_eq!(bake.left(Some("CLEAN_UP"), Some(3)), None);
        assert!(bake.since.is_none());
    }
}
