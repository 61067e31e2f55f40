//! When a service is done: steady on the revision an operation asked for, failed by the
//! circuit breaker, a deployment alarm or a lifecycle hook (and which), or gone (INACTIVE)
//! after a delete.

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookStatus, ServiceDeployment, ServiceDeploymentStatus,
};
use aws_sdk_ecs::Client;

use std::future::Future;

use super::deployments::Paused;
use super::{find, Service};
use crate::error::{Error, Result};
use crate::retry::NEW_SERVICE_MISSING_READS;
use crate::wait::wait;

/// Steady as this operation asked for it: an ACTIVE service (a DRAINING one, being deleted,
/// has no task left to run and never counts), one deployment, PRIMARY, on `revision` (the
/// task definition the operation registered or kept), rolled out, with every desired task
/// running. CloudFormation's own AWS::ECS::Service checks less (not the revision), which is
/// how a rolled-back deployment passes for steady.
pub fn is_steady(s: &Service, revision: &str) -> bool {
    s.status == "ACTIVE"
        && s.deployments == 1
        && s.primary_task_definition == revision
        && s.running_count == s.desired_count
        && s.rollout.as_deref().is_none_or(|r| r == "COMPLETED")
}

/// Whether the deployment of `revision` failed: the circuit breaker marked it FAILED, or rolled
/// the service back to another revision (a PRIMARY on it, with no deployment of `revision`
/// left). A FAILED deployment of another revision (an earlier Update's, still listed while
/// this one replaces its rollback) is not this operation's failure.
/// Source: ECS Developer Guide, "deployment circuit breaker": a failed deployment is marked
/// FAILED and the service rolls back to the last deployment that completed.
pub fn has_failed(s: &Service, revision: &str) -> bool {
    s.failed_revisions.iter().any(|r| r == revision)
        || (s.primary_task_definition != revision && !s.revisions.iter().any(|r| r == revision))
}

/// Waits until the service is steady on `revision` ([`is_steady`]); a rollout the circuit
/// breaker stopped or rolled back is an error carrying the service's latest events, and so is
/// one whose tasks ECS could not place for [`super::PLACEMENT_FAILURE_BOUND`]. A new
/// service may be missing from the first reads ([`NEW_SERVICE_MISSING_READS`]). While the
/// service's deployment waits at a `PAUSE` hook (read only when its configuration has one),
/// each read calls `at_pause`, which ends the pause or returns to wait more; its error ends
/// the wait.
pub async fn wait_steady<F, Fut>(
    ecs: &Client,
    (cluster, name): (&str, &str),
    revision: &str,
    at_pause: F,
) -> Result<Service>
where
    F: Fn(Paused) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let waiting_for = format!("ECS service ({name}) to reach a steady state");
    let missing = std::sync::atomic::AtomicU32::new(0);
    wait(&waiting_for, || async {
        let Some(service) = find(ecs, cluster, name).await? else {
            let reads = missing.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if reads <= NEW_SERVICE_MISSING_READS {
                return Ok(None);
            }
            return Err(Error::Missing {
                kind: "ECS service",
                name: name.to_string(),
            });
        };
        // DeleteService: "the service status moves from ACTIVE to DRAINING" (ECS API
        // Reference); someone (a rollback, an operator) is deleting it under this wait.
        if service.status == "DRAINING" {
            return Err(Error::BeingRemoved {
                what: format!("ECS service ({name}) is being deleted (DRAINING)"),
            });
        }
        if has_failed(&service, revision) {
            return Err(failure(ecs, (cluster, name), service).await);
        }
        if is_steady(&service, revision) {
            return Ok(Some(service));
        }
        if let Some(u) = service.unplaceable.clone().filter(|u| u.too_long()) {
            return Err(Error::Unplaceable {
                service: name.to_string(),
                seconds: u.for_how_long().as_secs(),
                event: u.message,
            });
        }
        let pauses = service
            .rolling
            .as_ref()
            .is_some_and(|r| !r.pauses.is_empty());
        if pauses {
            if let Some(p) = super::deployments::paused(ecs, cluster, name).await? {
                at_pause(p).await?;
            }
        }
        Ok(None)
    })
    .await
}

/// The failed deployment of `service`, with the alarms and hooks that failed it when it
/// watches any.
async fn failure(ecs: &Client, (cluster, name): (&str, &str), service: Service) -> Error {
    let rolling = service.rolling.as_ref();
    let alarmed = rolling.is_some_and(|r| !r.alarms.is_empty());
    let hooked = rolling.is_some_and(|r| !r.hooks.is_empty() || !r.pauses.is_empty());
    let why = match alarmed || hooked {
        true => rolled_back_by(ecs, cluster, name).await,
        false => RolledBackBy::default(),
    };
    Error::DeploymentFailed {
        service: name.to_string(),
        events: service.events,
        alarms: alarmed.then_some(why.alarms),
        hooks: hooked.then_some(why.hooks),
    }
}

/// Waits until the service is INACTIVE (gone): a DRAINING service still holds its name.
pub async fn wait_inactive(ecs: &Client, cluster: &str, name: &str) -> Result<()> {
    let waiting_for = format!("ECS service ({name}) to be INACTIVE");
    wait(&waiting_for, || async {
        Ok(find(ecs, cluster, name).await?.is_none().then_some(()))
    })
    .await
}

/// What rolled the service's latest deployment back, as ECS tells it.
#[derive(Debug, Default)]
struct RolledBackBy {
    /// The deployment alarms that went into ALARM.
    alarms: Vec<String>,
    /// The lifecycle hooks that failed or timed out, as `<arn> (<status> at <stage>)`.
    hooks: Vec<String>,
}

/// The deployment alarms that went into ALARM and the lifecycle hooks that failed during the
/// service's newest rolled-back or stopped deployment ([`super::deployments::newest`]; ECS API
/// Reference, ServiceDeployment: `alarms.triggeredAlarmNames`, `lifecycleHookDetails` and
/// `lifecycleStage`). Best effort: the deployment has failed either way, so a read
/// that fails only leaves them unnamed.
async fn rolled_back_by(ecs: &Client, cluster: &str, name: &str) -> RolledBackBy {
    use ServiceDeploymentStatus::{
        RollbackFailed, RollbackInProgress, RollbackRequested, RollbackSuccessful, Stopped,
    };
    let statuses = vec![
        RollbackRequested,
        RollbackInProgress,
        RollbackSuccessful,
        RollbackFailed,
        Stopped,
    ];
    match super::deployments::newest(ecs, cluster, name, statuses).await {
        Ok(newest) => newest.as_ref().map(by).unwrap_or_default(),
        Err(e) => unnamed(name, &e),
    }
}

/// The alarms and failed hooks of one service deployment.
fn by(d: &ServiceDeployment) -> RolledBackBy {
    let alarms = d.alarms().map(|a| a.triggered_alarm_names().to_vec());
    let stage = d.lifecycle_stage().map_or("", |s| s.as_str());
    let failed = d.lifecycle_hook_details().iter().filter(|h| {
        matches!(
            h.status(),
            Some(DeploymentLifecycleHookStatus::Failed | DeploymentLifecycleHookStatus::TimedOut)
        )
    });
    let hooks = failed.map(|h| {
        let status = h.status().map_or("", |s| s.as_str());
        // A PAUSE hook has no target: SmokeChecks' pause, which prod-e answers.
        let arn = h.target_arn().unwrap_or("the PAUSE hook");
        format!("{arn} ({status} at {stage})")
    });
    RolledBackBy {
        alarms: alarms.unwrap_or_default(),
        hooks: hooks.collect(),
    }
}

/// No alarm or hook named: why, in the log.
fn unnamed(service: &str, e: &dyn std::fmt::Debug) -> RolledBackBy {
    tracing::warn!(service, error = ?e, "could not read what rolled the deployment back");
    RolledBackBy::default()
}
