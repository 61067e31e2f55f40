//! The Lambda handler: reads the event, runs the operation under a deadline guard, and
//! answers CloudFormation exactly once, whatever happens (errors, panics, time running out).
//! A wait that outlasts the invocation continues in a new one ([`crate::continuation`]);
//! whichever invocation finishes answers.

use std::time::Instant;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

mod guard;
mod operations;

use guard::wait_budget;
pub use guard::{guard, remaining, Time, DEFAULT_TIME, MAX_DEADLINE_MARGIN, MIN_DEADLINE_MARGIN};

use operations::{execute, fallback_id};

use crate::aws::Clients;
use crate::cfn::{Envelope, Request, Responder, Response};
use crate::continuation::{self, Limit, Progress, Sealed};
use crate::naming::Deployment;
use crate::resources::function;

/// Everything the handler needs, built once per process.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The AWS clients.
    pub clients: Clients,
    /// Delivers the answers to the ResponseURL.
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
    /// What the operation still waits for.
    pub waiting_for: Vec<String>,
    /// An in-place Update's writes are done (see [`Progress::applied`]).
    pub applied: bool,
    /// The operation is CloudFormation's rollback (see [`Progress::rolling_back`]).
    pub rolling_back: bool,
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
    let (payload, sealed) = continuation::split(payload);
    let progress = progress(provider, &payload, sealed).await?;
    let envelope = Envelope::read(&payload).map_err(|reason| {
        tracing::error!(%reason, "event rejected");
        reason
    })?;
    let span = tracing::info_span!(
        "event",
        request_id = %envelope.request_id,
        stack = %envelope.stack_id,
        logical_id = %envelope.logical_id,
        invocation = progress.map_or(0, |p| p.invocation),
    );
    async {
        if let Err(reason) = provider.responder.check(&envelope) {
            tracing::error!(%reason, "event rejected");
            return Err(reason.into());
        }
        let log_hint = match context.env_config.log_stream.as_str() {
            "" => "the function's CloudWatch logs".to_string(),
            stream => format!("log stream {stream}"),
        };
        let outcome = match (Request::parse(payload.clone(), envelope.clone()), progress) {
            (Ok(request), Some(p)) => guarded(provider, request, &context, &log_hint, p).await,
            (Ok(request), None) => Outcome::Answer(unsealed(&request)),
            (Err(reason), _) => Outcome::Answer(unprocessable(&payload, &envelope, reason)),
        };
        let response = match outcome {
            Outcome::Answer(response) => response,
            Outcome::Continue(pending) => {
                let progress = progress.unwrap_or_else(Progress::first);
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
        provider
            .responder
            .send(&envelope.response_url, &response, body)
            .await?;
        Ok(response.summary())
    }
    .instrument(span)
    .await
}

/// How far this invocation's operation got: the first invocation, or the progress a sealed
/// continuation carries; `None` for a continuation the function did not seal (answered FAILED,
/// nothing run), an error if the check itself failed (Lambda retries).
async fn progress(
    provider: &Provider,
    event: &Value,
    sealed: Option<Sealed>,
) -> Result<Option<Progress>, String> {
    let Some(sealed) = sealed else {
        return Ok(Some(Progress::first()));
    };
    let unsealed = continuation::unseal(&provider.clients, event, sealed).await;
    unsealed.inspect_err(|reason| tracing::error!(%reason, "continuation not checked"))
}

/// The answer to a continuation the function did not seal: FAILED, under the id an operation
/// cut short answers with, so that CloudFormation stops waiting (an hour, otherwise) and its
/// Delete finds what an earlier invocation made.
fn unsealed(request: &Request) -> Response {
    tracing::error!(reason = continuation::UNSEALED, "continuation refused");
    Response::failed(
        &request.envelope,
        &fallback_id(request),
        continuation::UNSEALED.to_string(),
    )
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
    let next = progress.next(pending.applied, pending.rolling_back);
    let queued = match continuation::seal(&provider.clients, event, next).await {
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
    let wait_budget = wait_budget(remaining);
    let last_round = overall_left <= wait_budget || progress.is_last_allowed();
    tracing::info!(
        remaining_s = remaining.as_secs_f64(),
        overall_left_s = overall_left.as_secs_f64(),
        "time before the Lambda deadline and the overall limit"
    );
    let stop_waiting = Instant::now() + wait_budget.min(overall_left);
    let work = crate::wait::hand_over_at(
        stop_waiting,
        execute(provider.clients.clone(), request, progress),
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
