//! ECS rollouts as AWS runs them, played in front of moto (whose deployments stay
//! IN_PROGRESS forever): the proxy rewrites every DescribeServices answer. A service's
//! rollout is fixed when the proxy first sees it: by default it has completed (one PRIMARY
//! deployment, COMPLETED, every desired task running); a test can make the rollouts of
//! services seen from then on slow, stuck, or failed by the deployment circuit breaker.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How the rollout of a service goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Rollout {
    /// Completed by the time anyone looks.
    #[default]
    Done,
    /// In progress (a second deployment draining, tasks pending) for this long after the
    /// service is first seen, then completed.
    Slow(Duration),
    /// In progress for ever.
    Stuck,
    /// Stopped by the circuit breaker (rolloutState FAILED) with these service events.
    Failed(Vec<String>),
}

#[derive(Debug, Default)]
pub struct Rollouts {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// For services first seen from now on.
    next: Rollout,
    /// Service ARN → (its rollout, when it was first seen).
    seen: HashMap<String, (Rollout, Instant)>,
}

impl Rollouts {
    /// Services first seen from now on roll out like this.
    pub fn set_for_new(&self, rollout: Rollout) {
        self.state.lock().expect("rollouts").next = rollout;
    }

    /// Every service, seen or not, rolls out like this from now on (a new deployment of each).
    pub fn set_for_all(&self, rollout: Rollout) {
        let mut state = self.state.lock().expect("rollouts");
        for seen in state.seen.values_mut() {
            *seen = (rollout.clone(), Instant::now());
        }
        state.next = rollout;
    }

    /// Whether the service with this ARN is, as presented, steady.
    pub fn is_steady(&self, arn: &str) -> bool {
        let state = self.state.lock().expect("rollouts");
        state
            .seen
            .get(arn)
            .is_some_and(|(r, since)| completed(r, *since))
    }

    /// Rewrites a DescribeServices answer (a whole HTTP response) as ECS would have it.
    pub fn rewrite(&self, reply: Vec<u8>) -> Vec<u8> {
        let Some(split) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
            return reply;
        };
        let (head, body) = (&reply[..split], &reply[split + 4..]);
        let Ok(mut doc) = serde_json::from_slice::<Value>(body) else {
            return reply;
        };
        let Some(services) = doc.get_mut("services").and_then(Value::as_array_mut) else {
            return reply;
        };
        let mut state = self.state.lock().expect("rollouts");
        for s in services.iter_mut() {
            let arn = s["serviceArn"].as_str().unwrap_or_default().to_string();
            let next = state.next.clone();
            let (rollout, since) = state
                .seen
                .entry(arn)
                .or_insert_with(|| (next, Instant::now()))
                .clone();
            present(s, &rollout, since);
        }
        drop(state);
        let body = doc.to_string();
        let head: String = String::from_utf8_lossy(head)
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        format!("{head}content-length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }
}

fn completed(rollout: &Rollout, since: Instant) -> bool {
    match rollout {
        Rollout::Done => true,
        Rollout::Slow(d) => since.elapsed() >= *d,
        Rollout::Stuck | Rollout::Failed(_) => false,
    }
}

/// Sets deployments, counts and events of one service to what `rollout` shows now.
fn present(s: &mut Value, rollout: &Rollout, since: Instant) {
    if s["status"] != "ACTIVE" {
        return;
    }
    let desired = s["desiredCount"].as_i64().unwrap_or(0);
    let mut primary = s["deployments"]
        .as_array()
        .and_then(|d| d.first().cloned())
        .unwrap_or_else(|| json!({"status": "PRIMARY"}));
    let (state, running, deployments) = match rollout {
        _ if completed(rollout, since) => ("COMPLETED", desired, 1),
        Rollout::Failed(_) => ("FAILED", 0, 1),
        _ => ("IN_PROGRESS", 0, 2),
    };
    primary["rolloutState"] = json!(state);
    primary["runningCount"] = json!(running);
    primary["pendingCount"] = json!(desired - running);
    let mut all = vec![primary];
    if deployments == 2 {
        all.push(json!({"id": "ecs-svc/previous", "status": "ACTIVE", "rolloutState": "COMPLETED", "desiredCount": 0, "runningCount": 0}));
    }
    s["deployments"] = json!(all);
    s["runningCount"] = json!(running);
    s["pendingCount"] = json!(desired - running);
    if let Rollout::Failed(events) = rollout {
        s["events"] = json!(events
            .iter()
            .enumerate()
            .map(|(i, m)| json!({"id": format!("e{i}"), "message": m}))
            .collect::<Vec<_>>());
    }
}
