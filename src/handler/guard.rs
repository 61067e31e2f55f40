//! One invocation's time: the Lambda deadline (read as Lambda and `cargo lambda` send it), the
//! margin kept for answering, and the guard that turns a panic, a deadline coming near or the
//! operation's overall limit into a FAILED answer naming what was in flight.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::Outcome;
use crate::cfn::{Envelope, Response};
use crate::continuation::Limit;
use crate::progress::Steps;

/// Time kept back from the Lambda deadline for answering: at most this much…
pub const MAX_DEADLINE_MARGIN: Duration = Duration::from_secs(10);
/// …and at least this much (a quarter of the remaining time in between).
pub const MIN_DEADLINE_MARGIN: Duration = Duration::from_millis(500);
/// Used when the runtime gives no deadline (Lambda's own maximum).
pub const DEFAULT_TIME: Duration = Duration::from_secs(900);

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
pub(super) fn margin(remaining: Duration) -> Duration {
    (remaining / 4).clamp(MIN_DEADLINE_MARGIN, MAX_DEADLINE_MARGIN)
}

/// How long an invocation with `remaining` may wait: waits stop one margin before the guard
/// does, which leaves time to hand over and answer.
pub(super) fn wait_budget(remaining: Duration) -> Duration {
    remaining.saturating_sub(margin(remaining) * 2)
}

/// The time one invocation has: before the Lambda deadline, and before the operation's
/// overall limit.
#[derive(Debug, Clone, Copy)]
pub struct Time {
    /// Time left before the Lambda deadline.
    pub remaining: Duration,
    /// The operation's overall limit (`ServiceTimeout`).
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
    let failed = |reason| Outcome::Answer(Response::failed(envelope, fallback_id, reason));
    let outcome = match tokio::time::timeout(budget, task).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(joined)) => {
            let cause = panic_message(joined);
            tracing::error!(%cause, "provisioning panicked");
            failed(format!(
                "internal error during {kind}: {cause}; see {log_hint}"
            ))
        }
        Err(_) => {
            abort.abort();
            let elapsed = started.elapsed().as_secs_f64();
            tracing::error!(elapsed_s = elapsed, "deadline near: answering FAILED");
            let pending = steps.in_flight();
            failed(
                match time.limit.left() < lambda_budget.saturating_sub(started.elapsed()) {
                    true => time.limit.gave_up(&format!("still {}", pending.join(", "))),
                    false => timed_out(kind, &pending, elapsed, margin, log_hint),
                },
            )
        }
    };
    log_done(kind, started, &outcome);
    outcome
}

/// What a panic carried, as text.
fn panic_message(joined: tokio::task::JoinError) -> String {
    joined
        .try_into_panic()
        .ok()
        .and_then(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
        })
        .unwrap_or_else(|| "task ended abnormally".to_string())
}

/// The Reason when the Lambda deadline comes near, naming the steps in flight.
fn timed_out(
    kind: &str,
    pending: &[String],
    elapsed: f64,
    margin: Duration,
    log_hint: &str,
) -> String {
    let waiting = match pending.is_empty() {
        true => String::new(),
        false => format!(" while {}", pending.join(", ")),
    };
    format!(
        "timed out during {kind}{waiting} after {elapsed:.1} s, with {:.1} s left before the \
             Lambda deadline; see {log_hint}",
        margin.as_secs_f64()
    )
}

fn log_done(kind: &str, started: Instant, outcome: &Outcome) {
    let duration_s = started.elapsed().as_secs_f64();
    match outcome {
        Outcome::Answer(r) => {
            tracing::info!(operation = kind, duration_s, status = ?r.status, "done")
        }
        Outcome::Continue(p) => {
            let waiting_for = &p.waiting_for;
            tracing::info!(
                operation = kind,
                duration_s,
                ?waiting_for,
                "to be continued"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Status;

    use crate::continuation::{self, Progress, LAMBDA_RECURSION_LIMIT, MAX_INVOCATIONS};
    use crate::progress::step;
    use std::collections::BTreeMap;

    /// The function's `Timeout` in the template (seconds).
    fn template_timeout() -> u64 {
        let template = include_str!("../../bootstrap-template.yaml");
        let line = template.lines().find(|l| l.trim().starts_with("Timeout: "));
        let value = line.and_then(|l| l.trim().strip_prefix("Timeout: "));
        value.and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    #[test]
    fn the_longest_operation_stays_well_under_lambdas_recursion_limit() {
        let timeout = Duration::from_secs(template_timeout());
        assert_eq!(timeout, Duration::from_secs(900), "the template's Timeout");
        let waits = wait_budget(timeout);
        let longest = continuation::DEFAULT_SERVICE_TIMEOUT;
        let invocations = longest.as_secs().div_ceil(waits.as_secs()) as u32 + 1;
        assert_eq!(invocations, 6, "{waits:?} per invocation");
        assert!(invocations <= MAX_INVOCATIONS);
        const { assert!(MAX_INVOCATIONS + 4 <= LAMBDA_RECURSION_LIMIT) };
    }

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
            "gave up after 2 s over 1 invocation(s), the overall limit (ServiceTimeout 3 s, \
                 less a margin to answer): still creating ECS service (s)"
        );
    }
}
