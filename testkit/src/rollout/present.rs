//! How a service looks while its rollout plays: its deployments, counts and events as ECS
//! shows them for a rollout that completes, is stuck, slow or unplaceable, fails, or is rolled
//! back by the circuit breaker to an earlier revision.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

use serde_json::{json, Value};

use super::{completed, Rollout};
use crate::aws_rules::wire::text;

/// Sets deployments, counts and events of one service to what `rollout` shows now.
pub(super) fn present(s: &mut Value, rollout: &Rollout, since: Instant) {
    let desired = s["desiredCount"].as_i64().unwrap_or(0);
    let mut primary = s["deployments"]
        .as_array()
        .and_then(|d| d.first().cloned())
        .unwrap_or_else(|| json!({"status": "PRIMARY"}));
    let (state, running, deployments) = match rollout {
        _ if completed(rollout, since) => ("COMPLETED", desired, 1),
        Rollout::Failed(_) | Rollout::Alarm(_) | Rollout::Hook { .. } => ("FAILED", 0, 1),
        _ => ("IN_PROGRESS", 0, 2),
    };
    primary["rolloutState"] = json!(state);
    primary["runningCount"] = json!(running);
    primary["pendingCount"] = json!(desired - running);
    let mut all = vec![primary];
    if deployments == 2 {
        let id = deployment_id(&text(&s["serviceArn"]), usize::MAX);
        all.push(json!({"id": id, "status": "ACTIVE", "rolloutState": "COMPLETED", "desiredCount": 0, "runningCount": 0}));
    }
    s["deployments"] = json!(all);
    s["runningCount"] = json!(running);
    s["pendingCount"] = json!(desired - running);
    if let Rollout::Failed(messages) = rollout {
        s["events"] = events(messages);
    }
    if let Rollout::Unplaceable { message, .. } = rollout {
        s["events"] = unplaced(
            &text(&s["serviceName"]),
            message,
            since,
            completed(rollout, since),
        );
    }
}

/// The events of a service whose tasks could not be placed since `since`, newest first.
fn unplaced(service: &str, message: &str, since: Instant, recovered: bool) -> Value {
    let epoch = |at: std::time::SystemTime| {
        at.duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    };
    let now = std::time::SystemTime::now();
    let failed_at = epoch(now - since.elapsed());
    let failure = json!({"id": "unplaced", "createdAt": failed_at,
        "message": format!("(service {service}) {message}")});
    match recovered {
        true => json!([{"id": "started", "createdAt": epoch(now),
            "message": format!("(service {service}) has started 1 tasks: (task 1).")}, failure]),
        false => json!([failure]),
    }
}

/// Names the deployments after the revisions they run: PRIMARY the latest, the draining one
/// (if any) the one before.
pub(super) fn on_revisions(
    s: &mut Value,
    service: &str,
    latest: Option<(usize, String)>,
    previous: Option<(usize, String)>,
) {
    let Some((i, task_definition)) = latest else {
        return;
    };
    s["taskDefinition"] = json!(task_definition);
    let runs = [Some((i, task_definition)), previous];
    let deployments = s["deployments"].as_array_mut().into_iter().flatten();
    for (d, revision) in deployments.zip(runs) {
        if let Some((i, task_definition)) = revision {
            d["id"] = json!(deployment_id(service, i));
            d["taskDefinition"] = json!(task_definition);
        }
    }
}

/// Lists a deployment the circuit breaker failed earlier, ACTIVE and FAILED, beside the others.
pub(super) fn still_failed(s: &mut Value, service: &str, (i, task_definition): (usize, String)) {
    let failed = json!({
        "id": deployment_id(service, i), "status": "ACTIVE", "taskDefinition": task_definition,
        "rolloutState": "FAILED", "desiredCount": 0, "runningCount": 0, "pendingCount": 0,
    });
    if let Some(all) = s["deployments"].as_array_mut() {
        all.push(failed);
    }
}

/// A create whose tasks crash: one PRIMARY deployment, FAILED, nothing running.
pub(super) fn failed(s: &mut Value, service: &str, (i, task_definition): (usize, String)) {
    let (name, desired) = (text(&s["serviceName"]), s["desiredCount"].clone());
    let id = deployment_id(service, i);
    let task = format!("{:016x}{:016x}", digits(&(service, i, "task")), digits(&i));
    s["deployments"] = json!([{
        "id": id, "status": "PRIMARY", "taskDefinition": task_definition,
        "rolloutState": "FAILED", "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
        "desiredCount": desired, "runningCount": 0, "pendingCount": 0, "failedTasks": 1,
    }]);
    s["taskDefinition"] = json!(task_definition);
    s["runningCount"] = json!(0);
    s["pendingCount"] = json!(0);
    s["events"] = events(&[
        format!("(service {name}) (deployment {id}) deployment failed: tasks failed to start."),
        format!("(service {name}) (task {task}) essential container in task exited"),
    ]);
}

/// An update whose tasks crash, rolled back by the circuit breaker to revision `to`.
pub(super) fn rolls_back(
    s: &mut Value,
    service: &str,
    to: (usize, String),
    from: (usize, String),
    done: bool,
) {
    let (name, desired) = (text(&s["serviceName"]), s["desiredCount"].clone());
    let (to_id, from_id) = (deployment_id(service, to.0), deployment_id(service, from.0));
    let (state, running, pending) = match done {
        true => ("COMPLETED", desired.clone(), json!(0)),
        false => ("IN_PROGRESS", json!(0), desired.clone()),
    };
    let mut deployments = vec![json!({
        "id": to_id, "status": "PRIMARY", "taskDefinition": to.1, "rolloutState": state,
        "desiredCount": desired, "runningCount": running, "pendingCount": pending,
    })];
    let mut messages = vec![
        format!("(service {name}) rolling back to deployment {to_id}."),
        format!(
            "(service {name}) (deployment {from_id}) deployment failed: tasks failed to start."
        ),
    ];
    match done {
        true => messages.insert(0, format!("(service {name}) has reached a steady state.")),
        false => deployments.push(json!({
            "id": from_id, "status": "ACTIVE", "taskDefinition": from.1, "rolloutState": "FAILED",
            "desiredCount": 0, "runningCount": 0, "pendingCount": 0, "failedTasks": 1,
        })),
    }
    s["deployments"] = json!(deployments);
    s["taskDefinition"] = json!(to.1);
    s["runningCount"] = desired;
    s["pendingCount"] = json!(0);
    s["events"] = events(&messages);
}

/// Service events, newest first.
fn events(messages: &[String]) -> Value {
    json!(messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"id": format!("e{i}"), "message": m}))
        .collect::<Vec<_>>())
}

pub(super) fn digits(of: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    of.hash(&mut h);
    h.finish()
}

/// `ecs-svc/` and digits, stable for a service's `i`-th revision.
fn deployment_id(service: &str, i: usize) -> String {
    format!("ecs-svc/{}", digits(&(service, i)) % 10u64.pow(19))
}
