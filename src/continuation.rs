//! Operations longer than one invocation: the payload of the asynchronous self-invocation
//! that continues one, and the overall time limit (`ServiceTimeout`) that bounds them all.
//!
//! The payload is the original CloudFormation event plus one key, [`KEY`], holding
//! [`Progress`] and a MAC over both from the template's KMS key ([`seal`], [`unseal`]): anyone
//! allowed to invoke the function can send a payload, and only one the function sealed is
//! taken as a continuation. Everything else an operation needs to resume it reads back from
//! AWS (every step adopts what exists), so the payload stays the size of the event.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::aws::Clients;
use crate::resources::continuation_key;

/// The key of [`Progress`] in a continuation payload.
pub const KEY: &str = "ProdEContinuation";
/// Lambda's limit for an asynchronous invocation's payload.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
pub use crate::spec::strategy::{service_timeout, DEFAULT_SERVICE_TIMEOUT};
/// Time kept back from `ServiceTimeout` to answer FAILED before CloudFormation gives up:
/// a twentieth of it, between these bounds.
pub const MIN_OVERALL_MARGIN: Duration = Duration::from_secs(1);
/// Default ServiceTimeout (seconds), as CloudFormation's own default for custom resources.
pub const MAX_OVERALL_MARGIN: Duration = Duration::from_secs(60);

/// Lambda's recursive loop detection stops a chain of invocations after this many: "Lambda
/// drops requests after exceeding 16 invocations", also for functions invoking themselves with
/// the Invoke API (AWS Compute Blog, "Detecting and stopping recursive loops in AWS Lambda
/// functions", July 2023; the function's `RecursiveLoop` setting, default `Terminate`).
pub const LAMBDA_RECURSION_LIMIT: u32 = 16;
/// The most invocations one operation may take: the last one answers (FAILED, with the overall
/// limit's reason) instead of handing over again. Well under [`LAMBDA_RECURSION_LIMIT`], so that
/// Lambda never drops a continuation and leaves the stack waiting unanswered.
pub const MAX_INVOCATIONS: u32 = 12;

/// How far an operation got, carried from one invocation to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Progress {
    /// When the first invocation started (epoch milliseconds): the overall limit counts from here.
    pub started_ms: u64,
    /// 1 for the invocation CloudFormation made, 2 for the first continuation, …
    pub invocation: u32,
    /// An in-place Update's writes are done: later invocations only wait (its writes are the
    /// one step that is not safe to repeat: each would register another task definition).
    pub applied: bool,
    /// The operation is CloudFormation's rollback Update (its first invocation saw the stack
    /// `UPDATE_ROLLBACK_IN_PROGRESS`); a forward Update continued into a rollback never is.
    #[serde(default)]
    pub rolling_back: bool,
}

impl Progress {
    /// The progress of an invocation CloudFormation made itself.
    pub fn first() -> Self {
        Progress {
            started_ms: now_ms(),
            invocation: 1,
            applied: false,
            rolling_back: false,
        }
    }

    /// The progress handed to the next invocation: `applied` and `rolling_back` as this one
    /// found them.
    pub fn next(self, applied: bool, rolling_back: bool) -> Self {
        Progress {
            invocation: self.invocation + 1,
            applied: self.applied || applied,
            rolling_back: self.rolling_back || rolling_back,
            ..self
        }
    }

    /// Whether an earlier invocation began the operation.
    pub fn is_continuation(&self) -> bool {
        self.invocation > 1
    }

    /// Whether this invocation must answer rather than hand over ([`MAX_INVOCATIONS`]).
    pub fn is_last_allowed(&self) -> bool {
        self.invocation >= MAX_INVOCATIONS
    }

    /// Time since the first invocation started.
    pub fn elapsed(&self) -> Duration {
        Duration::from_millis(now_ms().saturating_sub(self.started_ms))
    }
}

/// The overall limit of one operation: `ServiceTimeout` from its first invocation, less a margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// How far the operation got in earlier invocations.
    pub progress: Progress,
    /// The resource's `ServiceTimeout`: the overall limit of the operation.
    pub service_timeout: Duration,
}

impl Limit {
    /// Time left before the operation must be answered: `service_timeout` from the first
    /// invocation, less the margin.
    pub fn left(&self) -> Duration {
        let margin = (self.service_timeout / 20).clamp(MIN_OVERALL_MARGIN, MAX_OVERALL_MARGIN);
        self.service_timeout
            .saturating_sub(margin)
            .saturating_sub(self.progress.elapsed())
    }

    /// The Reason of an operation stopped by the limit, `what` saying what was still going on:
    /// `ServiceTimeout`, or past it [`MAX_INVOCATIONS`].
    pub fn gave_up(&self, what: &str) -> String {
        if self.progress.is_last_allowed() && !self.left().is_zero() {
            return format!(
                "gave up after {} invocations, the most one operation may take ({MAX_INVOCATIONS}, \
                 under Lambda's recursion limit of {LAMBDA_RECURSION_LIMIT}): {what}",
                self.progress.invocation
            );
        }
        format!(
            "gave up after {:.0} s over {} invocation(s), the overall limit (ServiceTimeout {} \
                 s, less a margin to answer): {what}",
            self.progress.elapsed().as_secs_f64(),
            self.progress.invocation,
            self.service_timeout.as_secs()
        )
    }
}

/// A continuation as it arrives: the progress it claims and the MAC that must prove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sealed {
    /// What the previous invocation handed over.
    #[serde(flatten)]
    pub progress: Progress,
    /// The KMS MAC of [`message`] for the event and this progress, as hex.
    pub mac: String,
}

/// Takes the continuation out of a payload: `None` for an event straight from CloudFormation.
/// A [`KEY`] that does not parse is kept as a continuation no MAC proves.
pub fn split(mut payload: Value) -> (Value, Option<Sealed>) {
    let carried = payload
        .as_object_mut()
        .and_then(|event| event.remove(KEY))
        .map(|c| {
            serde_json::from_value::<Sealed>(c).unwrap_or(Sealed {
                progress: Progress::first(),
                mac: String::new(),
            })
        });
    (payload, carried)
}

/// What a continuation's MAC covers: a SHA-256 of the event and the progress (32 bytes; KMS
/// takes at most 4096).
pub fn message(event: &Value, progress: Progress) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(serde_json::to_vec(event).unwrap_or_default());
    hash.update(b"\n");
    hash.update(serde_json::to_vec(&progress).unwrap_or_default());
    hash.finalize().to_vec()
}

/// The payload that continues `event` with `progress`, sealed with the continuation key.
/// Errors (as a reason): no key, KMS's, or an event too large to continue.
pub async fn seal(c: &Clients, event: &Value, progress: Progress) -> Result<Vec<u8>, String> {
    let key = c
        .continuation_key
        .as_deref()
        .ok_or("no KMS key to seal the continuation with (PROD_E_CONTINUATION_KEY is unset)")?;
    let message = message(event, progress);
    let mac = continuation_key::mac(&c.kms, key, &message).await;
    payload(event, progress, &mac.map_err(|e| e.to_string())?)
}

/// The progress `sealed` claims, if its MAC proves that this function handed it over with
/// `event`; `Ok(None)` for one it did not seal (forged, or from a version before continuations
/// were sealed), which runs nothing. A failed check (KMS unreachable) is an error: Lambda
/// retries the invocation.
pub async fn unseal(
    c: &Clients,
    event: &Value,
    sealed: Sealed,
) -> Result<Option<Progress>, String> {
    let Some(key) = c.continuation_key.as_deref() else {
        return Ok(None);
    };
    let message = message(event, sealed.progress);
    match continuation_key::verify(&c.kms, key, &message, &sealed.mac).await {
        Ok(true) => Ok(Some(sealed.progress)),
        Ok(false) => Ok(None),
        Err(error) => Err(format!("checking a continuation failed: {error}")),
    }
}

/// The Reason of a continuation [`unseal`] refused.
pub const UNSEALED: &str = "a continuation this function did not seal (its MAC does not verify \
     with the key in PROD_E_CONTINUATION_KEY: forged, or handed over before an upgrade or a \
     change of that key); nothing was run";

/// The payload that continues `event` with `progress` and its `mac`, if it fits Lambda's limit.
pub fn payload(event: &Value, progress: Progress, mac: &str) -> Result<Vec<u8>, String> {
    let mut event = event.clone();
    let sealed = Sealed {
        progress,
        mac: mac.to_string(),
    };
    if let Some(map) = event.as_object_mut() {
        map.insert(
            KEY.into(),
            serde_json::to_value(sealed).unwrap_or(Value::Null),
        );
    }
    let bytes = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
    match bytes.len() <= MAX_PAYLOAD_BYTES {
        true => Ok(bytes),
        false => Err(format!(
            "the event ({} bytes) is too large to continue in another invocation (limit \
                 {MAX_PAYLOAD_BYTES})",
            bytes.len()
        )),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_last_allowed_invocation_answers_naming_the_cap() {
        let progress = Progress {
            invocation: MAX_INVOCATIONS,
            ..Progress::first()
        };
        assert!(progress.is_last_allowed() && !Progress::first().is_last_allowed());
        let limit = Limit {
            progress,
            service_timeout: DEFAULT_SERVICE_TIMEOUT,
        };
        let reason = limit.gave_up("still waiting for x");
        assert!(
            reason.starts_with("gave up after 12 invocations, the most"),
            "{reason}"
        );
    }

    #[test]
    fn the_payload_is_the_event_plus_sealed_progress() {
        let event = json!({"RequestType": "Create", "ResponseURL": "https://s3/x?sig"});
        let progress = Progress::first().next(true, false);
        let bytes = payload(&event, progress, "ab01").unwrap();
        let (back, read) = split(serde_json::from_slice(&bytes).unwrap());
        assert_eq!(back, event);
        let sealed = read.expect("a continuation");
        assert_eq!((sealed.progress, sealed.mac.as_str()), (progress, "ab01"));
        assert_eq!((progress.invocation, progress.applied), (2, true));
        assert_eq!(split(event.clone()), (event.clone(), None));
        let later = Progress {
            started_ms: progress.started_ms + 1,
            ..progress
        };
        assert_ne!(message(&event, progress), message(&event, later));
        let other = json!({"RequestType": "Delete", "ResponseURL": "https://s3/x?sig"});
        assert_ne!(message(&event, progress), message(&other, progress));
        let garbled = json!({"RequestType": "Create", KEY: {"Invocation": "x"}});
        assert_eq!(split(garbled).1.map(|s| s.mac), Some(String::new()));
    }

    #[test]
    fn an_event_too_large_cannot_continue() {
        let event =
            json!({"ResourceProperties": {"Environment": {"A": "x".repeat(MAX_PAYLOAD_BYTES)}}});
        assert!(payload(&event, Progress::first(), "00")
            .unwrap_err()
            .contains("too large"));
    }

    #[test]
    fn the_overall_limit_keeps_a_margin() {
        let p = Progress::first();
        let limit = |progress, seconds| Limit {
            progress,
            service_timeout: Duration::from_secs(seconds),
        };
        let left = limit(p, 3600).left();
        assert!(
            left <= Duration::from_secs(3540) && left > Duration::from_secs(3530),
            "{left:?}"
        );
        let long_ago = Progress {
            started_ms: p.started_ms - 10_000,
            ..p
        };
        assert_eq!(limit(long_ago, 5).left(), Duration::ZERO);
    }
}
