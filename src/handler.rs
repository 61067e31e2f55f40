//! The Lambda handler: reads the event, runs the operation under a deadline guard, and
//! answers CloudFormation exactly once, whatever happens (errors, panics, time running out).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

use crate::aws::Clients;
use crate::cfn::{Envelope, Operation, Request, Responder, Response};
use crate::naming::Deployment;
use crate::plan::{self, CreateFailed, Outputs, Owner};
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
                Response::failed(&envelope, &fallback_id(&envelope), reason)
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

/// Runs the request in its own task, so that a panic becomes FAILED, and stops waiting for
/// it when the Lambda deadline comes near.
async fn guarded(
    provider: &Provider,
    request: Request,
    context: &Context,
    log_hint: &str,
) -> Response {
    let envelope = request.envelope.clone();
    let kind = request.kind();
    let remaining = match context.deadline {
        0 => DEFAULT_TIME,
        _ => context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    };
    let margin = (remaining / 4).clamp(MIN_DEADLINE_MARGIN, MAX_DEADLINE_MARGIN);
    let budget = remaining.saturating_sub(margin);
    let clients = provider.clients.clone();
    let started = std::time::Instant::now();
    let task = tokio::spawn(execute(clients, request).in_current_span());
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
                &envelope,
                &fallback_id(&envelope),
                format!("internal error during {kind}: {cause}; see {log_hint}"),
            )
        }
        Err(_) => {
            abort.abort();
            tracing::error!(
                elapsed_s = started.elapsed().as_secs_f64(),
                "deadline near: answering FAILED"
            );
            let reason = format!(
                "timed out during {kind} after {:.1} s, with {:.1} s left before the Lambda deadline; see {log_hint}",
                started.elapsed().as_secs_f64(),
                margin.as_secs_f64()
            );
            Response::failed(&envelope, &fallback_id(&envelope), reason)
        }
    };
    tracing::info!(operation = kind, duration_s = started.elapsed().as_secs_f64(), status = ?response.status, "done");
    response
}

/// The PhysicalResourceId for a failure before we know better: the one CloudFormation sent,
/// or (on Create) an id that Delete recognises as "nothing to do".
fn fallback_id(envelope: &Envelope) -> String {
    envelope
        .physical_id
        .clone()
        .unwrap_or_else(|| Deployment::nothing_created(&envelope.request_id))
}

async fn execute(clients: Clients, request: Request) -> Response {
    let e = &request.envelope;
    let owner = Owner::new(&e.stack_id, &e.logical_id);
    tracing::info!(
        operation = request.kind(),
        physical_id = owner.deployment.physical_id(),
        "start"
    );
    match &request.operation {
        Operation::Create => create(&clients, &owner, &request).await,
        Operation::Update {
            physical_id,
            old_properties,
        } => update(&clients, &owner, &request, physical_id, old_properties).await,
        Operation::Delete { physical_id } => delete(&clients, &owner, &request, physical_id).await,
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
