//! Named, bounded retries for the AWS errors we know to be temporary, and polling.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How often and how long one named case may be retried.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub what: &'static str,
    pub attempts: u32,
    pub delay: Duration,
}

/// A fresh IAM role is not yet assumable by ECS (seconds, usually).
pub const ROLE_PROPAGATION: Bound = Bound {
    what: "IAM role propagation",
    attempts: 12,
    delay: Duration::from_secs(5),
};
/// A resource created a moment ago is not yet visible to the next call that uses it: the
/// security group to AuthorizeSecurityGroupIngress (EC2 Developer Guide, "Eventual
/// consistency"), the cluster to CreateService (public reports: hashicorp/terraform#15066),
/// the target group's new rule to CreateService (terraform-provider-aws `retryServiceCreate`).
pub const NEW_RESOURCE_VISIBLE: Bound = Bound {
    what: "a new resource to become visible",
    attempts: 8,
    delay: Duration::from_secs(2),
};
/// A service just created is missing from DescribeServices (`failures: MISSING`) for a few
/// reads (ECS API failure reasons; terraform-provider-aws#3387 retries it the same way).
/// Counted in steady-state checks, one per [`WAIT_INTERVAL`].
pub const NEW_SERVICE_MISSING_READS: u32 = 3;
/// The security group is still reported in use just after its last ENI went away.
pub const SECURITY_GROUP_IN_USE: Bound = Bound {
    what: "security group still in use",
    attempts: 10,
    delay: Duration::from_secs(6),
};
/// The target group is used by a rule that is being deleted.
pub const TARGET_GROUP_IN_USE: Bound = Bound {
    what: "target group still in use",
    attempts: 20,
    delay: Duration::from_secs(3),
};
/// The cluster still lists services or tasks that are draining.
pub const CLUSTER_BUSY: Bound = Bound {
    what: "cluster still has services or tasks",
    attempts: 40,
    delay: Duration::from_secs(15),
};
/// The service still has active deployments.
pub const SERVICE_BUSY: Bound = Bound {
    what: "service deployments still active",
    attempts: 20,
    delay: Duration::from_secs(5),
};
/// A role still has policies attached (detached a moment ago).
pub const ROLE_DELETE_CONFLICT: Bound = Bound {
    what: "role policies still attached",
    attempts: 10,
    delay: Duration::from_secs(2),
};
/// A resource another attempt just created is not yet visible to reads.
pub const ADOPT_AFTER_CONFLICT: Bound = Bound {
    what: "a concurrently created resource to become visible",
    attempts: 5,
    delay: Duration::from_secs(1),
};
/// How often a wait that may outlast the invocation checks again (ECS's own waiters poll
/// every 15 s).
pub const WAIT_INTERVAL: Duration = Duration::from_secs(15);
/// How long a wait may take where no handler set a hand-over time (the operator CLI).
pub const WAIT_WITHOUT_HAND_OVER: Duration = Duration::from_secs(30 * 60);

tokio::task_local! {
    /// When waits in this invocation must stop so that the handler can hand over.
    static HAND_OVER: Instant;
}

/// Runs `work` with waits stopping at `at`.
pub async fn hand_over_at<F: Future>(at: Instant, work: F) -> F::Output {
    HAND_OVER.scope(at, work).await
}

/// Polls `probe` every [`WAIT_INTERVAL`] until it yields `Some`. At the hand-over time it
/// stops with [`Error::Pending`] naming `waiting_for`, so that the handler can continue the
/// operation in a new invocation; any error of `probe` ends the wait at once.
pub async fn wait<T, F, Fut>(waiting_for: &str, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let stop = HAND_OVER
        .try_with(|at| *at)
        .unwrap_or_else(|_| Instant::now() + WAIT_WITHOUT_HAND_OVER);
    let mut checks = 0u32;
    loop {
        if let Some(done) = probe().await? {
            return Ok(done);
        }
        checks += 1;
        let pause = scaled(WAIT_INTERVAL);
        if Instant::now() + pause > stop {
            tracing::info!(waiting_for, checks, "handing the wait over");
            return Err(Error::Pending {
                waiting_for: waiting_for.to_string(),
            });
        }
        tracing::info!(waiting_for, checks, "waiting");
        tokio::time::sleep(pause).await;
    }
}

/// Runs `call` until it succeeds, fails with an error `retryable` does not accept,
/// or `bound.attempts` are used up. Each retry is logged.
pub async fn retry<T, F, Fut>(bound: Bound, retryable: fn(&Error) -> bool, mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(err) if retryable(&err) && attempt < bound.attempts => {
                tracing::warn!(retry = bound.what, attempt, error = %err, "retrying");
                tokio::time::sleep(scaled(bound.delay)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A named, bounded retry and the errors it applies to.
pub type Case = (Bound, fn(&Error) -> bool);

/// [`retry`] for several named cases at once: an error is retried under the first case whose
/// predicate accepts it, each case with its own attempt count and delay.
pub async fn retry_each<T, F, Fut>(cases: &[Case], mut call: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut used = vec![1u32; cases.len()];
    loop {
        let err = match call().await {
            Err(err) => err,
            done => return done,
        };
        let case = cases.iter().position(|(_, retryable)| retryable(&err));
        let Some(i) = case.filter(|&i| used[i] < cases[i].0.attempts) else {
            return Err(err);
        };
        let bound = cases[i].0;
        tracing::warn!(retry = bound.what, attempt = used[i], error = %err, "retrying");
        tokio::time::sleep(scaled(bound.delay)).await;
        used[i] += 1;
    }
}

/// Polls `probe` until it yields `Some`, at most `bound.attempts` times.
pub async fn poll_until<T, F, Fut>(bound: Bound, doing: &str, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    for attempt in 1..=bound.attempts {
        if let Some(done) = probe().await? {
            return Ok(done);
        }
        tracing::info!(wait = bound.what, attempt, "waiting");
        tokio::time::sleep(scaled(bound.delay)).await;
    }
    Err(Error::GaveUp {
        doing: doing.to_string(),
        after: format!("{} checks for {}", bound.attempts, bound.what),
    })
}

static DELAY_SCALE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

/// Environment variable read by [`set_delay_scale_from_env`].
pub const DELAY_SCALE_ENV: &str = "PROD_E_DELAY_SCALE";

/// Multiplies every retry and poll delay by `scale` (never the attempt counts), so that tests
/// and benchmarks against the emulator need not sleep for minutes. Only the first call counts.
pub fn set_delay_scale(scale: f64) {
    if scale.is_finite() && scale >= 0.0 {
        let _ = DELAY_SCALE.set(scale);
    }
}

/// [`set_delay_scale`] from `PROD_E_DELAY_SCALE`, if it is set.
pub fn set_delay_scale_from_env() {
    if let Some(scale) = std::env::var(DELAY_SCALE_ENV)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        set_delay_scale(scale);
    }
}

fn scaled(delay: Duration) -> Duration {
    delay.mul_f64(*DELAY_SCALE.get_or_init(|| 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    const FAST: Bound = Bound {
        what: "test",
        attempts: 3,
        delay: Duration::from_millis(1),
    };

    fn busy() -> Error {
        Error::Aws {
            doing: "deleting".into(),
            code: Some("DependencyViolation".into()),
            message: "in use".into(),
        }
    }

    #[tokio::test]
    async fn each_case_has_its_own_bound() {
        let conflict = || Error::Aws {
            doing: "deleting".into(),
            code: Some("DeleteConflict".into()),
            message: "attached".into(),
        };
        let calls = AtomicU32::new(0);
        let cases: [Case; 2] = [
            (FAST, crate::error::is_dependency_violation),
            (FAST, crate::error::is_delete_conflict),
        ];
        // Alternating kinds: each may be tried 3 times; the third "busy" (call 5) ends it,
        // although "conflict" has a try left.
        let out: Result<()> = retry_each(&cases, || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Err(if n.is_multiple_of(2) {
                busy()
            } else {
                conflict()
            })
        })
        .await;
        assert_eq!(out, Err(busy()));
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn retries_listed_errors_up_to_the_bound() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = retry(FAST, crate::error::is_dependency_violation, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(busy())
        })
        .await;
        assert_eq!(out, Err(busy()));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn does_not_retry_other_errors() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = retry(FAST, crate::error::is_resource_in_use, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(busy())
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_wait_stops_at_the_hand_over_time_naming_what_it_waited_for() {
        let calls = AtomicU32::new(0);
        let at = Instant::now() + Duration::from_millis(50);
        let out: Result<()> = hand_over_at(
            at,
            wait("service s to be steady", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(None)
            }),
        )
        .await;
        assert_eq!(
            out,
            Err(Error::Pending {
                waiting_for: "service s to be steady".into()
            })
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "15 s interval: one check fits"
        );
        let done = hand_over_at(at, wait("x", || async { Ok(Some(7)) })).await;
        assert_eq!(done, Ok(7));
    }

    #[test]
    fn only_waits_are_pending() {
        let wait = |w: &str| Error::Pending {
            waiting_for: w.into(),
        };
        let both = Error::Several(vec![wait("a"), wait("b")]);
        assert_eq!(both.pending(), Some(vec!["a".into(), "b".into()]));
        assert_eq!(Error::Several(vec![wait("a"), busy()]).pending(), None);
        assert_eq!(busy().pending(), None);
    }

    #[tokio::test]
    async fn poll_gives_up_with_what_it_waited_for() {
        let out: Result<()> = poll_until(FAST, "waiting for x", || async { Ok(None) }).await;
        assert_eq!(
            out.map_err(|e| e.to_string()),
            Err("waiting for x: gave up after 3 checks for test".into())
        );
    }
}
