//! Rule 28: one-off tasks (RunTask), played here: moto 5's RunTask fails (HTTP 500) on a
//! Fargate task definition whose containers give no memory of their own, and never ends a
//! task. RunTask needs an ACTIVE revision and an existing cluster (read from moto). The task
//! runs for a
//! few DescribeTasks reads ([`AwsRules::one_offs_run_for`]), then stops: its container exits
//! 0, or the code a test gave its command ([`AwsRules::one_off_exits`]), or 1 when its image
//! crashes ([`crate::rollout::Rollouts::crash_image`]). ListTasks by `startedBy` lists the
//! running ones and refuses any other filter beside it; ListTasks by family and desired status
//! lists them too (moto's ListTasks knows none as stopped); StopTask stops one; DeleteCluster
//! of a cluster with one running is refused (`ClusterContainsTasksException`).
//!
//! Sources: ECS API reference, RunTask, ListTasks (`startedBy`: "When you specify startedBy as
//! the filter, it must be the only filter that you use"; `desiredStatus`: "The default status
//! filter is RUNNING"), DescribeTasks (`Container.exitCode`, `Task.stopCode`), StopTask,
//! DeleteCluster (`ClusterContainsTasksException`: "You can't delete a cluster that has active
//! tasks").

use std::collections::HashMap;

use serde_json::{json, Value};

use super::ecs::cluster_of;
use super::smoke;
use super::wire::{short, text};
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};

/// How many DescribeTasks reads a one-off task is shown RUNNING before it stops, by default.
pub const RUNS_FOR: u32 = 1;

/// The one-off tasks of one account, and how the next ones end.
#[derive(Debug)]
pub struct Memory {
    /// Task ARN → the task.
    tasks: HashMap<String, OneOff>,
    /// A command → the exit code of a task that runs it.
    exits: HashMap<Vec<String>, i64>,
    /// DescribeTasks reads a new task is shown RUNNING.
    runs_for: u32,
    /// (image, path) → the status a revision running that image answers a smoke check of
    /// that path with ("200" when not set).
    pub(super) answers: HashMap<(String, String), String>,
    /// Seconds before now that new tasks are shown created (their `createdAt`).
    created_ago: f64,
}

impl Default for Memory {
    fn default() -> Self {
        Memory {
            tasks: HashMap::new(),
            exits: HashMap::new(),
            runs_for: RUNS_FOR,
            answers: HashMap::new(),
            created_ago: 0.0,
        }
    }
}

impl AwsRules {
    /// One-off tasks whose overridden command is `command` exit with `code`.
    pub fn one_off_exits(&self, command: &[&str], code: i64) {
        let command = command.iter().map(|c| c.to_string()).collect();
        self.with(|s| s.one_offs.exits.insert(command, code));
    }

    /// One-off tasks started from now on are shown RUNNING for `reads` DescribeTasks reads.
    pub fn one_offs_run_for(&self, reads: u32) {
        self.with(|s| s.one_offs.runs_for = reads);
    }

    /// The `prod-e:physical-id` tag one-off task `arn` was started with (the ownership probe's
    /// reading: moto knows none of these tasks).
    pub fn one_off_owner(&self, arn: &str) -> Option<String> {
        self.with(|s| s.one_offs.tasks.get(arn)?.owner.clone())
    }

    /// A revision whose essential container runs `image` ("repo:tag") answers `status` (a
    /// status code, or `no response within 5s`) to a smoke check of `path`.
    pub fn smoke_answers(&self, image: &str, path: &str, status: &str) {
        let key = (image.to_string(), path.to_string());
        self.with(|s| s.one_offs.answers.insert(key, status.to_string()));
    }

    /// One-off tasks started from now on show a `createdAt` `seconds` before they started
    /// (a task that has run that long, without the test waiting for it).
    pub fn one_offs_created_ago(&self, seconds: f64) {
        self.with(|s| s.one_offs.created_ago = seconds);
    }

    /// Every running one-off task stops at its next read.
    pub fn one_offs_end(&self) {
        self.with(|s| s.one_offs.tasks.values_mut().for_each(|t| t.reads_left = 0));
    }
}

/// The ECS ARNs of the test world's account and region.
const ARN_PREFIX: &str = "arn:aws:ecs:us-east-1:123456789012:";

/// A one-off task the rules play.
#[derive(Debug, Clone)]
pub struct OneOff {
    /// Its `prod-e:physical-id` tag, if RunTask gave it one.
    owner: Option<String>,
    cluster: String,
    definition: String,
    started_by: String,
    container: String,
    /// Its container's exit code once it stops (`None`: stopped by StopTask).
    exit_code: Option<i64>,
    /// DescribeTasks reads left before it stops.
    reads_left: u32,
    /// When it was started (seconds since the epoch), its `createdAt`.
    created_at: f64,
    stopped: bool,
    reason: String,
}

/// RunTask: the task starts (an ACTIVE revision, an existing cluster); the rules remember
/// how it will end.
pub async fn run(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::OneOffTasks) {
        return None;
    }
    let asked = json!({"taskDefinition": body["taskDefinition"]});
    let found = moto.ecs("DescribeTaskDefinition", asked).await;
    let definition = found
        .map(|f| f["taskDefinition"].clone())
        .unwrap_or_default();
    if definition["status"] != "ACTIVE" {
        let message = "TaskDefinition not found or not ACTIVE.";
        return Some(Verdict::Refuse(Refusal::new("ClientException", message)));
    }
    let clusters = json!({"clusters": [cluster_of(body)]});
    let found = moto
        .ecs("DescribeClusters", clusters)
        .await
        .unwrap_or_default();
    if found["clusters"].as_array().is_none_or(Vec::is_empty) {
        let message = "Cluster not found.";
        return Some(Verdict::Refuse(Refusal::new(
            "ClusterNotFoundException",
            message,
        )));
    }
    let definition = text(&definition["taskDefinitionArn"]);
    let overridden = &body["overrides"]["containerOverrides"][0];
    let command: Vec<String> = overridden["command"]
        .as_array()
        .map(|c| c.iter().map(text).collect())
        .unwrap_or_default();
    let checked = smoke::outcome(rules, moto, &definition, overridden);
    let exit_code = exit_code(rules, moto, (&definition, &command), checked.as_ref());
    let played = OneOff {
        owner: owner_of(body),
        cluster: cluster_of(body),
        definition,
        started_by: text(&body["startedBy"]),
        container: text(&overridden["name"]),
        exit_code: Some(exit_code),
        reads_left: rules.with(|s| s.one_offs.runs_for),
        created_at: now() - rules.with(|s| s.one_offs.created_ago),
        stopped: false,
        reason: "Essential container in task exited".to_string(),
    };
    let arn = rules.with(|s| {
        let n = s.one_offs.tasks.len();
        let arn = format!("{ARN_PREFIX}task/{}/{:032x}", played.cluster, n + 1);
        s.one_offs.tasks.insert(arn.clone(), played.clone());
        arn
    });
    if let Some((_, lines)) = checked {
        let task = (played.container.as_str(), short(&arn));
        smoke::log(moto, &played.definition, task, &lines).await;
    }
    let answer = json!({"tasks": [shown_as(&arn, &played)], "failures": []});
    Some(Verdict::Answer(answer.to_string()))
}

/// The `prod-e:physical-id` tag RunTask `body` gives the task, if any.
fn owner_of(body: &Value) -> Option<String> {
    let mut tags = body["tags"].as_array().into_iter().flatten();
    let owner = tags.find(|t| t["key"] == "prod-e:physical-id");
    owner.map(|t| text(&t["value"]))
}

/// How a one-off task of `definition` running `command` ends: 1 if its image crashes, else
/// the code a test gave the command, else as its smoke checks went (`checked`), else 0.
fn exit_code(
    rules: &AwsRules,
    moto: &Upstream,
    (definition, command): (&str, &Vec<String>),
    checked: Option<&(i64, Vec<String>)>,
) -> i64 {
    let given = rules.with(|s| s.one_offs.exits.get(command).copied());
    match (moto.rollouts().image_crashes(definition), given, checked) {
        (true, _, _) => 1,
        (false, Some(code), _) => code,
        (false, None, Some((code, _))) => *code,
        (false, None, None) => 0,
    }
}

/// ListTasks not by service: by `startedBy` alone (else refused), or by family and desired
/// status, answered from the one-off tasks played.
pub fn list(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::OneOffTasks) || body.get("serviceName").is_some() {
        return None;
    }
    let cluster = cluster_of(body);
    let others = ["family", "desiredStatus", "containerInstance", "launchType"];
    let started_by = body["startedBy"].as_str();
    if started_by.is_some() && others.iter().any(|k| body.get(*k).is_some()) {
        let message = "When you specify startedBy as the filter, it must be the only filter";
        return Some(Verdict::Refuse(Refusal::new(
            "InvalidParameterException",
            message,
        )));
    }
    let stopped = body["desiredStatus"].as_str() == Some("STOPPED");
    let family = body["family"].as_str();
    let arns: Vec<String> = rules.with(|s| {
        let listed = s.one_offs.tasks.iter().filter(|(_, t)| {
            t.cluster == cluster
                && t.stopped == stopped
                && started_by.is_none_or(|by| t.started_by == by)
                && family.is_none_or(|f| family_of(&t.definition) == f)
        });
        listed.map(|(arn, _)| arn.clone()).collect()
    });
    Some(Verdict::Answer(json!({"taskArns": arns}).to_string()))
}

/// DescribeTasks of one-off tasks: RUNNING until their reads run out, then STOPPED.
pub fn describe(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let asked: Vec<String> = body["tasks"].as_array()?.iter().map(text).collect();
    let tasks = rules.with(|s| {
        let mut shown = Vec::new();
        for arn in &asked {
            let task = s.one_offs.tasks.get_mut(arn)?;
            match task.reads_left {
                0 => task.stopped = true,
                n => task.reads_left = n - 1,
            }
            shown.push(shown_as(arn, task));
        }
        Some(shown)
    })?;
    let answer = json!({"tasks": tasks, "failures": []});
    Some(Verdict::Answer(answer.to_string()))
}

fn shown_as(arn: &str, t: &OneOff) -> Value {
    let status = if t.stopped { "STOPPED" } else { "RUNNING" };
    let mut container = json!({"name": t.container, "lastStatus": status});
    let mut task = json!({
        "taskArn": arn, "taskDefinitionArn": t.definition, "startedBy": t.started_by,
        "lastStatus": status, "desiredStatus": status, "launchType": "FARGATE",
        "createdAt": t.created_at,
        "clusterArn": format!("{ARN_PREFIX}cluster/{}", t.cluster),
    });
    if t.stopped {
        let (stop_code, exit) = match t.exit_code {
            Some(code) => ("EssentialContainerExited", json!(code)),
            None => ("UserInitiated", Value::Null),
        };
        container["exitCode"] = exit;
        task["stopCode"] = json!(stop_code);
        task["stoppedReason"] = json!(t.reason);
    }
    task["containers"] = json!([container]);
    task
}

/// StopTask of a one-off task: stopped, without an exit code.
pub fn stop(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let arn = text(&body["task"]);
    let shown = rules.with(|s| {
        let task = s.one_offs.tasks.get_mut(&arn)?;
        task.stopped = true;
        task.exit_code = None;
        task.reason = text(&body["reason"]);
        Some(shown_as(&arn, task))
    })?;
    Some(Verdict::Answer(json!({"task": shown}).to_string()))
}

/// DeleteCluster of a cluster where a one-off task runs: `ClusterContainsTasksException`.
pub fn cluster_with_tasks(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let cluster = cluster_of(body);
    let running = rules.with(|s| {
        let mut tasks = s.one_offs.tasks.values();
        tasks.any(|t| t.cluster == cluster && !t.stopped)
    });
    let message = "The Cluster cannot be deleted while Tasks are active.";
    (running && rules.on(Rule::OneOffTasks))
        .then(|| Verdict::Refuse(Refusal::new("ClusterContainsTasksException", message)))
}

/// Seconds since the epoch, now.
fn now() -> f64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0.0, |d| d.as_secs_f64())
}

/// The family of a task definition ARN (`…:task-definition/<family>:<revision>`).
fn family_of(arn: &str) -> &str {
    let tail = short(arn);
    tail.split(':').next().unwrap_or(tail)
}
