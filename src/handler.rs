//! The Lambda handler: reads the event, runs the operation under a deadline guard, and
//! answers CloudFormation exactly once, whatever happens (errors, panics, time running out).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

use crate::aws::Clients;
use crate::cfn::{Envelope, Operation, Request, Responder, Response};
use crate::naming::Deployment;
use crate::plan::{self, CreateFailed, Outputs, Owner};
use crate::progress::Steps;
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

/// Handles one invocation. Returns an error only when no answer could be delivered (so that
/// Lambda retries) or the event cannot be answered at all.
pub async fn handle(
    provider: &Provider,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let (payload, context) = event.into_parts();
    let envelope = Envelope::read(&payload).map_err(|reason| {
        tracing::error!(%reason, "event rejected");
        reason
    })?;
    let span = tracing::info_span!(
        "event",
        request_id = %envelope.request_id,
        stack = %envelope.stack_id,
        logical_id = %envelope.logical_id,
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
        let response = match Request::parse(payload, envelope.clone()) {
            Ok(request) => guarded(provider, request, &context, &log_hint).await,
            Err(reason) => {
                tracing::error!(%reason, "event cannot be processed");
                let id = envelope.physical_id.clone().unwrap_or_else(|| Deployment::nothing_created(&envelope.request_id));
                Response::failed(&envelope, &id, reason)
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

/// Runs the request under the deadline guard.
async fn guarded(
    provider: &Provider,
    request: Request,
    context: &Context,
    log_hint: &str,
) -> Response {
    let envelope = request.envelope.clone();
    let kind = request.kind();
    let remaining = remaining(context.deadline);
    tracing::info!(
        remaining_s = remaining.as_secs_f64(),
        "time before the Lambda deadline"
    );
    let work = execute(provider.clients.clone(), request).in_current_span();
    guard(work, remaining, &envelope, kind, log_hint).await
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

/// Runs `work` in its own task, so that a panic becomes FAILED, and stops waiting for it
/// (answering FAILED) when less than a safety margin of `remaining` is left.
pub async fn guard<W>(
    work: W,
    remaining: Duration,
    envelope: &Envelope,
    kind: &str,
    log_hint: &str,
) -> Response
where
    W: Future<Output = Response> + Send + 'static,
{
    let margin = (remaining / 4).clamp(MIN_DEADLINE_MARGIN, MAX_DEADLINE_MARGIN);
    let budget = remaining.saturating_sub(margin);
    let started = std::time::Instant::now();
    let steps = Steps::default();
    let task = tokio::spawn(steps.scope(work));
    let abort = task.abort_handle();
    let response = match tokio::time::timeout(budget, task).await {
        Ok(Ok(response)) => response,
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
            Response::failed(
                envelope,
                &fallback_id(envelope),
                format!("internal error during {kind}: {cause}; see {log_hint}"),
            )
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
            let reason = format!(
                "timed out during {kind}{waiting} after {elapsed:.1} s, with {:.1} s left before the Lambda deadline; see {log_hint}",
                margin.as_secs_f64()
            );
            Response::failed(envelope, &fallback_id(envelope), reason)
        }
    };
    let duration_s = started.elapsed().as_secs_f64();
    tracing::info!(operation = kind, duration_s, status = ?response.status, "done");
    response
}

/// The PhysicalResourceId when an operation was cut short (panic, deadline): the one
/// CloudFormation sent, or on Create the deployment's own id, since resources may exist and
/// the rollback Delete must find them.
fn fallback_id(envelope: &Envelope) -> String {
    envelope.physical_id.clone().unwrap_or_else(|| {
        Deployment::for_resource(&envelope.stack_id, &envelope.logical_id)
            .physical_id()
            .to_string()
    })
}

async fn execute(clients: Clients, request: Request) -> Response {
    let e = &request.envelope;
    let owner = Owner::new(&e.stack_id, &e.logical_id);
    tracing::info!(
        operation = request.kind(),
        physical_id = owner.deployment.physical_id(),
        "start"
    );
    // Boxed: the operations are deep futures, and boxing keeps the handler's type shallow.
    match &request.operation {
        Operation::Create => Box::pin(create(&clients, &owner, &request)).await,
        Operation::Update {
            physical_id,
            old_properties,
        } => {
            Box::pin(update(
                &clients,
                &owner,
                &request,
                physical_id,
                old_properties,
            ))
            .await
        }
        Operation::Delete { physical_id } => {
            Box::pin(delete(&clients, &owner, &request, physical_id)).await
        }
    }
}

async fn create(clients: &Clients, owner: &Owner, request: &Request) -> Response {
    let e = &request.envelope;
    let spec = match Spec::parse(&request.properties) {
        Ok(spec) => spec,
        Err(invalid) => {
            return Response::failed(
                e,
                &Deployment::nothing_created(&e.request_id),
                invalid.to_string(),
            )
        }
    };
    match plan::create(clients, owner, &spec).await {
        Ok(outputs) => Response::success(e, owner.deployment.physical_id(), data(&outputs)),
        Err(CreateFailed {
            error,
            rollback_error: None,
        }) => Response::failed(
            e,
            &Deployment::nothing_created(&e.request_id),
            format!("{error} (everything created was removed again)"),
        ),
        Err(CreateFailed {
            error,
            rollback_error: Some(rollback),
        }) => Response::failed(
            e,
            owner.deployment.physical_id(),
            format!("{error}; removing what was created also failed ({rollback}); the rollback Delete will retry"),
        ),
    }
}

async fn update(
    clients: &Clients,
    owner: &Owner,
    request: &Request,
    physical_id: &str,
    old: &Value,
) -> Response {
    let e = &request.envelope;
    if Deployment::parse(physical_id).as_ref() != Some(&owner.deployment) {
        return Response::failed(
            e,
            physical_id,
            format!("{physical_id:?} is not a prod-e deployment of this stack resource"),
        );
    }
    let new = match Spec::parse(&request.properties) {
        Ok(spec) => spec,
        Err(invalid) => {
            return Response::failed(e, physical_id, format!("{invalid}; nothing was changed"))
        }
    };
    // Old properties that no longer validate (e.g. the failed Update being rolled back):
    // re-apply every in-place property, which converges whatever state the resources are in.
    let (old, diff) = match Spec::parse(old) {
        Ok(old) => {
            let diff = old.diff(&new);
            (old, diff)
        }
        Err(_) if Locator::from_properties(old) == Locator::from(&new) => {
            (new.clone(), Diff::all_in_place())
        }
        Err(_) => (
            new.clone(),
            Diff::replacing(&Locator::from_properties(old), &Locator::from(&new)),
        ),
    };
    let replaced = diff.needs_replacement();
    if !replaced.is_empty() {
        let reason = format!(
            "{} cannot change in place: it needs a new set of resources, which this version of prod-e does not build; nothing was changed",
            replaced.join(", ")
        );
        return Response::failed(e, physical_id, reason);
    }
    if diff.is_empty() {
        tracing::info!("no property changed");
    }
    match plan::update(clients, owner, &old, &new, &diff).await {
        Ok(outputs) => Response::success(e, physical_id, data(&outputs)),
        Err(error) => Response::failed(e, physical_id, error.to_string()),
    }
}

async fn delete(
    clients: &Clients,
    owner: &Owner,
    request: &Request,
    physical_id: &str,
) -> Response {
    let e = &request.envelope;
    match Deployment::parse(physical_id) {
        Some(d) if d == owner.deployment => {}
        Some(_) => {
            tracing::warn!(
                physical_id,
                "physical id belongs to another stack resource: nothing touched"
            );
            return Response::success(e, physical_id, BTreeMap::new());
        }
        None => {
            tracing::info!(physical_id, "not a prod-e deployment id: nothing to delete");
            return Response::success(e, physical_id, BTreeMap::new());
        }
    }
    match plan::delete(
        clients,
        &owner.deployment,
        &Locator::from_properties(&request.properties),
    )
    .await
    {
        Ok(()) => Response::success(e, physical_id, BTreeMap::new()),
        Err(error) => Response::failed(e, physical_id, error.to_string()),
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

    #[tokio::test]
    async fn a_panic_becomes_failed_with_the_deployment_id() {
        let work = async {
            let items: Vec<u32> = Vec::new();
            Response::failed(&envelope(), "never", format!("{}", items[3]))
        };
        let r = guard(
            work,
            Duration::from_secs(30),
            &envelope(),
            "Create",
            "log stream L",
        )
        .await;
        assert_eq!(r.status, Status::Failed);
        let reason = r.reason.unwrap_or_default();
        assert!(
            reason.starts_with("internal error during Create: index out of bounds"),
            "{reason}"
        );
        assert!(reason.ends_with("see log stream L"), "{reason}");
        let e = envelope();
        assert_eq!(
            r.physical_resource_id,
            Deployment::for_resource(&e.stack_id, &e.logical_id).physical_id()
        );
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
            Response::success(&envelope(), "late", BTreeMap::new())
        };
        let r = guard(
            work,
            Duration::from_secs(3),
            &envelope(),
            "Delete",
            "log stream L",
        )
        .await;
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
}
