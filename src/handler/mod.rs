//! The Lambda handler: reads the event, runs the operation under a deadline guard, and
//! answers CloudFormation exactly once, whatever happens (errors, panics, time running out).
//! A wait that outlasts the invocation continues in a new one ([`crate::continuation`]);
//! whichever invocation finishes answers.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

mod operations;

use operations::{execute, fallback_id};

use crate::aws::Clients;
use crate::cfn::{Envelope, Request, Responder, Response};
use crate::continuation::{self, Limit, Progress};
use crate::naming::Deployment;
use crate::progress::Steps;
use crate::resources::function;
use crate::retry;

/// Time kept back from the Lambda deadline for answering: at most this much…
pub const MAX_DEADLINE_MARGIN: Duration = Duration::from_secs(10);
/// …and at least this much (a quarter of the remaining time in between).
pub const MIN_DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// Used when the runtime gives no deadline (Lambda's own maximum).
pub const DEFAULT_TIME: Duration = Duration::from_secs(900);

/// Everything the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct Provider {
    pub clients: Clients,
    pub responder: Responder,
}

impl Provider {
    /// Clients and ResponseURL policy from the standard environment.
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        Ok(Provider {
            clients: Clients::from_env().await,
            responder: Responder::from_env()?,
        })
    }
}

/// How one invocation ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The answer for CloudFormation.
    Answer(Response),
    /// Only waits remain, and this invocation has no time for them: a new one continues.
    Continue(Pending),
}

/// What a continued operation still waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub waiting_for: Vec<String>,
    /// An in-place Update's writes are done (see [`Progress::applied`]).
    pub applied: bool,
    /// The id to answer FAILED with if the operation cannot go on.
    pub physical_id: String,
}

/// Handles one invocation. Returns an error only when no answer could be delivered (so that
/// Lambda retries) or the event cannot be answered at all.
pub async fn handle(
    provider: &Provider,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let (payload, context) = event.into_parts();
    let (payload, progress) = continuation::split(payload);
    let progress = progress.unwrap_or_else(Progress::first);
    let envelope = Envelope::read(&payload).map_err(|reason| {
        tracing::error!(%reason, "event rejected");
        reason
    })?;
    let span = tracing::info_span!(
        "event",
        request_id = %envelope.request_id,
        stack = %envelope.stack_id,
        logical_id = %envelope.logical_id,
        invocation = progress.invocation,
    );
    async {
        if let Err(reason) = provider.responder.check(&envelope.response_url) {
            tracing::error!(%reason, "event rejected");
            return Err(reason.into());
        }
        let log_hint = match context.env_config.log_stream.as_str() {
            "" => "the function's CloudWatch logs".to_string(),
            stream => format!("log stream {stream}"),
        };
        let outcome = match Request::parse(payload.clone(), envelope.clone()) {
            Ok(request) => guarded(provider, request, &context, &log_hint, progress).await,
            Err(reason) => Outcome::Answer(unprocessable(&payload, &envelope, reason)),
        };
        let response = match outcome {
            Outcome::Answer(response) => response,
            Outcome::Continue(pending) => {
                match hand_over(provider, &context, &payload, &envelope, progress, pending).await {
                    Ok(handed_over) => return Ok(handed_over),
                    Err(failed) => failed,
                }
            }
        };
        if let Some(reason) = &response.reason {
            tracing::warn!(status = ?response.status, %reason, "answering");
        }
        let body = response.body(&log_hint);
        provider.responder.send(&envelope.response_url, &response, body).await?;
        Ok(json!({ "Status": response.status, "PhysicalResourceId": response.physical_resource_id }))
    }
    .instrument(span)
    .await
}

/// The answer to an event that cannot be processed: FAILED with `reason`, except a Delete of
/// something that is not a prod-e deployment, which is SUCCESS whatever else is odd about the
/// event, so that a stack can always be deleted (nothing of ours can exist under that id).
fn unprocessable(payload: &Value, envelope: &Envelope, reason: String) -> Response {
    let id = envelope.physical_id.clone();
    let is_delete = crate::cfn::request::is_delete(payload);
    if let Some(id) = id
        .as_deref()
        .filter(|id| is_delete && Deployment::parse(id).is_none())
    {
        tracing::warn!(%reason, physical_id = id, "not a prod-e deployment: nothing to delete");
        return Response::success(envelope, id, Default::default());
    }
    tracing::error!(%reason, "event cannot be processed");
    let id = id.unwrap_or_else(|| Deployment::nothing_created(&envelope.request_id));
    Response::failed(envelope, &id, reason)
}

/// Queues the next invocation of this function with the same event and the next progress;
/// returns what this invocation gives back to Lambda, or, if the operation cannot go on, its
/// FAILED answer.
async fn hand_over(
    provider: &Provider,
    context: &Context,
    event: &Value,
    envelope: &Envelope,
    progress: Progress,
    pending: Pending,
) -> Result<Value, Response> {
    let next = progress.next(pending.applied);
    let queued = match continuation::payload(event, next) {
        Ok(payload) => {
            let arn = context.invoked_function_arn.as_str();
            let invoked = function::invoke_later(&provider.clients.lambda, arn, payload).await;
            invoked.map_err(|e| e.to_string())
        }
        Err(reason) => Err(reason),
    };
    let waiting_for = pending.waiting_for;
    match queued {
        Ok(()) => {
            tracing::info!(
                next = next.invocation,
                ?waiting_for,
                "continuing in a new invocation"
            );
            Ok(json!({ "Continued": next.invocation, "WaitingFor": waiting_for }))
        }
        Err(reason) => {
            tracing::error!(%reason, "cannot continue in a new invocation");
            let reason = format!(
                "still waiting for {}, but continuing in a new invocation failed: {reason}",
                waiting_for.join(", ")
            );
            Err(Response::failed(envelope, &pending.physical_id, reason))
        }
    }
}

/// Runs the request under the deadline guard, with waits stopping in time to hand over, or
/// at the overall limit (`ServiceTimeout`), past which the operation is answered FAILED.
async fn guarded(
    provider: &Provider,
    request: Request,
    context: &Context,
    log_hint: &str,
    progress: Progress,
) -> Outcome {
    let envelope = request.envelope.clone();
    let kind = request.kind();
    let fallback = fallback_id(&request);
    let remaining = remaining(context.deadline);
    let limit = Limit {
        progress,
        service_timeout: continuation::service_timeout(&request.properties),
    };
    let overall_left = limit.left();
    // Waits stop one margin before the guard does, which leaves time to hand over and answer.
    let wait_budget = remaining.saturating_sub(margin(remaining) * 2);
    let last_round = overall_left <= wait_budget;
    tracing::info!(
        remaining_s = remaining.as_secs_f64(),
        overall_left_s = overall_left.as_secs_f64(),
        "time before the Lambda deadline and the overall limit"
    );
    let stop_waiting = Instant::now() + wait_budget.min(overall_left);
    let work = retry::hand_over_at(
        stop_waiting,
        execute(provider.clients.clone(), request, progress.applied),
    );
    let time = Time { remaining, limit };
    let outcome = guard(
        work.in_current_span(),
        time,
        &envelope,
        kind,
        &fallback,
        log_hint,
    );
    match outcome.await {
        Outcome::Continue(pending) if last_round => {
            let what = format!("still waiting for {}", pending.waiting_for.join(", "));
            let reason = limit.gave_up(&what);
            Outcome::Answer(Response::failed(&envelope, &pending.physical_id, reason))
        }
        other => other,
    }
}

/// Time left before the Lambda deadline (`Lambda-Runtime-Deadline-Ms`). Lambda sends epoch
/// milliseconds; `cargo lambda watch` sends a fixed 600000, which can only mean a relative
/// budget, so values before 2001 are read as one. No deadline at all means Lambda's maximum.
pub fn remaining(deadline_ms: u64) -> Duration {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    match deadline_ms {
        0 => DEFAULT_TIME,
        relative if relative < YEAR_2001_MS => Duration::from_millis(relative),
        epoch => (UNIX_EPOCH + Duration::from_millis(epoch))
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    }
}

/// Time kept back from `remaining` for answering.
fn margin(remaining: Duration) -> Duration {
    (remaining / 4).clamp(MIN_DEADLINE_MARGIN, MAX_DEADLINE_MARGIN)
}

/// The time one invocation has: before the Lambda deadline, and before the operation's
/// overall limit.
#[derive(Debug, Clone, Copy)]
pub struct Time {
    pub remaining: Duration,
    pub limit: Limit,
}

/// Runs `work` in its own task, so that a panic becomes FAILED, and stops waiting for it
/// (answering FAILED with `fallback_id`) when less than a safety margin of the remaining time
/// is left, or when the operation's overall limit comes, whichever is first.
pub async fn guard<W>(
    work: W,
    time: Time,
    envelope: &Envelope,
    kind: &str,
    fallback_id: &str,
    log_hint: &str,
) -> Outcome
where
    W: Future<Output = Outcome> + Send + 'static,
{
    let margin = margin(time.remaining);
    let lambda_budget = time.remaining.saturating_sub(margin);
    let overall_budget = time.limit.left();
    let budget = lambda_budget.min(overall_budget);
    let started = Instant::now();
    let steps = Steps::default();
    let task = tokio::spawn(steps.scope(work));
    let abort = task.abort_handle();
    let outcome = match tokio::time::timeout(budget, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(joined)) => {
            let cause = joined
                .try_into_panic()
                .ok()
                .and_then(|p| {
                    p.downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                })
                .unwrap_or_else(|| "task ended abnormally".to_string());
            tracing::error!(%cause, "provisioning panicked");
            Outcome::Answer(Response::failed(
                envelope,
                fallback_id,
                format!("internal error during {kind}: {cause}; see {log_hint}"),
            ))
        }
        Err(_) => {
            abort.abort();
            let elapsed = started.elapsed().as_secs_f64();
            tracing::error!(elapsed_s = elapsed, "deadline near: answering FAILED");
            let pending = steps.in_flight();
            let waiting = match pending.is_empty() {
                true => String::new(),
                false => format!(" while {}", pending.join(", ")),
            };
            let reason = match overall_budget < lambda_budget {
                true => time.limit.gave_up(&format!("still {}", pending.join(", "))),
                false => format!(
                    "timed out during {kind}{waiting} after {elapsed:.1} s, with {:.1} s left before the Lambda deadline; see {log_hint}",
                    margin.as_secs_f64()
                ),
            };
            Outcome::Answer(Response::failed(envelope, fallback_id, reason))
        }
    };
    let duration_s = started.elapsed().as_secs_f64();
    match &outcome {
        Outcome::Answer(r) => {
            tracing::info!(operation = kind, duration_s, status = ?r.status, "done")
        }
        Outcome::Continue(p) => {
            tracing::info!(operation = kind, duration_s, waiting_for = ?p.waiting_for, "to be continued")
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Status;
    use crate::progress::step;
    use std::collections::BTreeMap;

    fn envelope() -> Envelope {
        Envelope {
            response_url: "https://x.s3.amazonaws.com/k".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:1:stack/s/1".into(),
            request_id: "r1".into(),
            logical_id: "Svc".into(),
            physical_id: None,
        }
    }

    #[test]
    fn deadlines_read_as_lambda_and_cargo_lambda_send_them() {
        assert_eq!(remaining(0), DEFAULT_TIME);
        assert_eq!(remaining(600_000), Duration::from_secs(600));
        let in_a_minute = SystemTime::now() + Duration::from_secs(60);
        let ms = in_a_minute
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let left = remaining(ms);
        assert!(
            left > Duration::from_secs(58) && left <= Duration::from_secs(60),
            "{left:?}"
        );
        assert_eq!(remaining(ms - 120_000), Duration::ZERO);
    }

    /// `seconds` before the Lambda deadline, an hour's overall limit.
    fn time(seconds: u64) -> Time {
        Time {
            remaining: Duration::from_secs(seconds),
            limit: Limit {
                progress: Progress::first(),
                service_timeout: continuation::DEFAULT_SERVICE_TIMEOUT,
            },
        }
    }

    fn answer(outcome: Outcome) -> Response {
        match outcome {
            Outcome::Answer(r) => r,
            Outcome::Continue(p) => panic!("continued: {p:?}"),
        }
    }

    #[tokio::test]
    async fn a_panic_becomes_failed_with_the_fallback_id() {
        let work = async {
            let items: Vec<u32> = Vec::new();
            Outcome::Answer(Response::failed(
                &envelope(),
                "never",
                format!("{}", items[3]),
            ))
        };
        let r = answer(
            guard(
                work,
                time(30),
                &envelope(),
                "Create",
                "prod-e-1",
                "log stream L",
            )
            .await,
        );
        assert_eq!(r.status, Status::Failed);
        let reason = r.reason.unwrap_or_default();
        assert!(
            reason.starts_with("internal error during Create: index out of bounds"),
            "{reason}"
        );
        assert!(reason.ends_with("see log stream L"), "{reason}");
        assert_eq!(r.physical_resource_id, "prod-e-1");
    }

    #[tokio::test]
    async fn a_hung_operation_is_answered_before_the_deadline() {
        let started = std::time::Instant::now();
        let work = async {
            let hung = step("creating ECS cluster (c)", async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            });
            let _ = hung.await;
            Outcome::Answer(Response::success(&envelope(), "late", BTreeMap::new()))
        };
        let r = answer(
            guard(
                work,
                time(3),
                &envelope(),
                "Delete",
                "prod-e-1",
                "log stream L",
            )
            .await,
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(r.status, Status::Failed);
        let reason = r.reason.unwrap_or_default();
        assert!(
            reason.starts_with("timed out during Delete while creating ECS cluster (c) after 2"),
            "{reason}"
        );
        assert!(
            reason.contains("s left before the Lambda deadline; see log stream L"),
            "{reason}"
        );
    }

    #[tokio::test]
    async fn the_overall_limit_cuts_the_last_round_short() {
        let started = std::time::Instant::now();
        let work = async {
            let hung = step("creating ECS service (s)", async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            });
            let _ = hung.await;
            Outcome::Answer(Response::success(&envelope(), "late", BTreeMap::new()))
        };
        let mut time = time(30);
        time.limit.service_timeout = Duration::from_secs(3);
        let r = answer(guard(work, time, &envelope(), "Create", "prod-e-1", "L").await);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(r.status, Status::Failed);
        let reason = r.reason.unwrap_or_default();
        assert_eq!(
            reason,
            "gave up after 2 s over 1 invocation(s), the overall limit (ServiceTimeout 3 s, less a margin to answer): still creating ECS service (s)"
        );
    }
}
