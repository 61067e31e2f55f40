//! The Lambda handler: reads the event, runs the operation under a deadline guard, and
//! answers CloudFormation exactly once, whatever happens (errors, panics, time running out).
//! A wait that outlasts the invocation continues in a new one ([`crate::continuation`]);
//! whichever invocation finishes answers.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

use crate::aws::Clients;
use crate::cfn::{Envelope, Operation, Request, Responder, Response};
use crate::continuation::{self, Limit, Progress};
use crate::error::Error;
use crate::naming::Deployment;
use crate::plan::{self, CreateFailed, Outputs, Owner};
use crate::progress::Steps;
use crate::resources::function;
use crate::retry;
use crate::spec::{Diff, Locator, Spec};

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
            Err(reason) => {
                tracing::error!(%reason, "event cannot be processed");
                let id = envelope.physical_id.clone().unwrap_or_else(|| Deployment::nothing_created(&envelope.request_id));
                Outcome::Answer(Response::failed(&envelope, &id, reason))
            }
        };
        let response = match outcome {
            Outcome::Answer(response) => response,
            Outcome::Continue(pending) => {
                let next = progress.next(pending.applied);
                match hand_over(provider, &context, &payload, next).await {
                    Ok(()) => {
                        tracing::info!(next = next.invocation, waiting_for = ?pending.waiting_for, "continuing in a new invocation");
                        return Ok(json!({ "Continued": next.invocation, "WaitingFor": pending.waiting_for }));
                    }
                    Err(reason) => {
                        tracing::error!(%reason, "cannot continue in a new invocation");
                        let reason = format!(
                            "still waiting for {}, but continuing in a new invocation failed: {reason}",
                            pending.waiting_for.join(", ")
                        );
                        Response::failed(&envelope, &pending.physical_id, reason)
                    }
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

/// Queues the next invocation of this function with the same event and `next` progress.
async fn hand_over(
    provider: &Provider,
    context: &Context,
    event: &Value,
    next: Progress,
) -> Result<(), String> {
    let payload = continuation::payload(event, next)?;
    let arn = context.invoked_function_arn.as_str();
    function::invoke_later(&provider.clients.lambda, arn, payload)
        .await
        .map_err(|e| e.to_string())
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

/// The PhysicalResourceId when an operation is cut short (panic, deadline): the one
/// CloudFormation sent, or on Create the set's own id, since resources may exist and the
/// rollback Delete must find them.
fn fallback_id(request: &Request) -> String {
    let e = &request.envelope;
    e.physical_id
        .clone()
        .unwrap_or_else(|| match Spec::parse(&request.properties) {
            Ok(spec) => Owner::new(&e.stack_id, &e.logical_id, &spec.fingerprint())
                .deployment
                .physical_id()
                .to_string(),
            Err(_) => Deployment::nothing_created(&e.request_id),
        })
}

async fn execute(clients: Clients, request: Request, applied: bool) -> Outcome {
    tracing::info!(operation = request.kind(), "start");
    // Boxed: the operations are deep futures, and boxing keeps the handler's type shallow.
    match &request.operation {
        Operation::Create => Box::pin(create(&clients, &request)).await,
        Operation::Update {
            physical_id,
            old_properties,
        } => {
            Box::pin(update(
                &clients,
                &request,
                physical_id,
                old_properties,
                applied,
            ))
            .await
        }
        Operation::Delete { physical_id } => {
            Box::pin(delete(&clients, &request, physical_id)).await
        }
    }
}

/// `Continue` if `error` is nothing but waits that must go on in another invocation.
fn continue_if_pending(error: &Error, applied: bool, physical_id: &str) -> Option<Outcome> {
    error.pending().map(|waiting_for| {
        Outcome::Continue(Pending {
            waiting_for,
            applied,
            physical_id: physical_id.to_string(),
        })
    })
}

async fn create(clients: &Clients, request: &Request) -> Outcome {
    let e = &request.envelope;
    let spec = match Spec::parse(&request.properties) {
        Ok(spec) => spec,
        Err(invalid) => {
            let id = Deployment::nothing_created(&e.request_id);
            return Outcome::Answer(Response::failed(e, &id, invalid.to_string()));
        }
    };
    let owner = Owner::new(&e.stack_id, &e.logical_id, &spec.fingerprint());
    let id = owner.deployment.physical_id();
    tracing::info!(physical_id = id, "creating");
    let failed = match plan::create(clients, &owner, &spec).await {
        Ok(outputs) => return Outcome::Answer(Response::success(e, id, data(&outputs))),
        Err(failed) => failed,
    };
    if let Some(next) = continue_if_pending(&failed.error, false, id) {
        return next;
    }
    Outcome::Answer(match failed {
        CreateFailed {
            error,
            rollback_error: None,
        } => Response::failed(
            e,
            &Deployment::nothing_created(&e.request_id),
            format!("{error} (everything created was removed again)"),
        ),
        CreateFailed {
            error,
            rollback_error: Some(rollback),
        } => Response::failed(
            e,
            id,
            format!("{error}; removing what was created also failed ({rollback}); the rollback Delete will retry"),
        ),
    })
}

async fn update(
    clients: &Clients,
    request: &Request,
    physical_id: &str,
    old: &Value,
    applied: bool,
) -> Outcome {
    let e = &request.envelope;
    let failed = |reason: String| Outcome::Answer(Response::failed(e, physical_id, reason));
    let ours = Deployment::parse(physical_id).filter(|d| d.belongs_to(&e.stack_id, &e.logical_id));
    let Some(current) = ours else {
        return failed(format!(
            "{physical_id:?} is not a prod-e deployment of this stack resource"
        ));
    };
    let new = match Spec::parse(&request.properties) {
        Ok(spec) => spec,
        Err(invalid) => return failed(format!("{invalid}; nothing was changed")),
    };
    let owner = Owner::new(&e.stack_id, &e.logical_id, &new.fingerprint());
    if owner.deployment != current {
        return replace(clients, request, &current, &owner, &new).await;
    }
    let (old, diff) = match Spec::parse(old) {
        Ok(old) if old.fingerprint() == new.fingerprint() => {
            let diff = old.diff(&new);
            (old, diff)
        }
        // The old properties describe another set: this is CloudFormation rolling back a
        // replacement that failed, and that set is the half-built one.
        Ok(old) => {
            let half_built = Deployment::new(&e.stack_id, &e.logical_id, &old.fingerprint());
            tracing::info!(
                half_built = half_built.physical_id(),
                "rolling back a replacement"
            );
            let restored =
                plan::restore(clients, &owner, &new, &half_built, &Locator::from(&old)).await;
            return match restored {
                Ok(outputs) => Outcome::Answer(Response::success(e, physical_id, data(&outputs))),
                Err(error) => continue_if_pending(&error, false, physical_id)
                    .unwrap_or_else(|| failed(error.to_string())),
            };
        }
        // Old properties that no longer validate (e.g. the failed Update being rolled back):
        // re-apply every in-place property, which converges whatever state the resources are in.
        Err(_) => (new.clone(), Diff::all_in_place()),
    };
    let diff = match applied {
        true => Diff::default(),
        false => diff,
    };
    match plan::update(clients, &owner, &old, &new, &diff).await {
        Ok(outputs) => Outcome::Answer(Response::success(e, physical_id, data(&outputs))),
        // Only the final wait can be pending: the writes are done.
        Err(error) => continue_if_pending(&error, true, physical_id)
            .unwrap_or_else(|| failed(error.to_string())),
    }
}

/// An Update that changes a replacement property: a new set, a new PhysicalResourceId.
async fn replace(
    clients: &Clients,
    request: &Request,
    current: &Deployment,
    owner: &Owner,
    new: &Spec,
) -> Outcome {
    let e = &request.envelope;
    let (from, to) = (current.physical_id(), owner.deployment.physical_id());
    tracing::info!(
        from,
        to,
        "replacement: building a new set beside the current one"
    );
    match plan::replace(clients, owner, new).await {
        Ok(outputs) => Outcome::Answer(Response::success(e, to, data(&outputs))),
        Err(failed) => continue_if_pending(&failed.error, false, from).unwrap_or_else(|| {
            let cleanup = match failed.rollback_error {
                None => String::new(),
                Some(err) => format!("; removing the new set {to} also failed ({err}), the rollback Update will retry"),
            };
            let reason = format!("{}{cleanup}; {from} still serves", failed.error);
            Outcome::Answer(Response::failed(e, from, reason))
        }),
    }
}

async fn delete(clients: &Clients, request: &Request, physical_id: &str) -> Outcome {
    let e = &request.envelope;
    let done = || Outcome::Answer(Response::success(e, physical_id, BTreeMap::new()));
    let d = match Deployment::parse(physical_id) {
        Some(d) if d.belongs_to(&e.stack_id, &e.logical_id) => d,
        Some(_) => {
            tracing::warn!(
                physical_id,
                "physical id belongs to another stack resource: nothing touched"
            );
            return done();
        }
        None => {
            tracing::info!(physical_id, "not a prod-e deployment id: nothing to delete");
            return done();
        }
    };
    match plan::delete(clients, &d, &Locator::from_properties(&request.properties)).await {
        Ok(()) => done(),
        Err(error) => continue_if_pending(&error, false, physical_id).unwrap_or_else(|| {
            Outcome::Answer(Response::failed(e, physical_id, error.to_string()))
        }),
    }
}

/// The `Fn::GetAtt` attributes.
fn data(outputs: &Outputs) -> BTreeMap<String, String> {
    match serde_json::to_value(outputs) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Status;
    use crate::progress::step;

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
