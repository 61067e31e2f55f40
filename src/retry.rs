//! Named, bounded retries for the AWS errors we know to be temporary, bounded polling, and
//! the delay scale tests and benchmarks shrink every delay with. Waits that may outlast an
//! invocation are in [`crate::wait`].

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, Result};

/// How often and how long one named case may be retried.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    /// What is waited out, for logs ("IAM role propagation").
    pub what: &'static str,
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Pause between tries (scaled by the delay scale in tests).
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
/// Counted in steady-state checks, one per [`crate::wait::WAIT_INTERVAL`].
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
/// PutClusterCapacityProviders refused while the cluster is not ready or busy
/// ([`crate::error::is_cluster_not_ready`]: "Cluster was not ACTIVE" right after
/// CreateCluster, `UpdateInProgressException`, `ResourceInUseException`); terraform-provider-aws
/// retries the same three until its timeout (`cluster_capacity_providers.go`).
pub const CLUSTER_NOT_READY: Bound = Bound {
    what: "cluster not ready for capacity providers",
    attempts: 20,
    delay: Duration::from_secs(3),
};
/// Rounds of read, put and read again until the cluster shows the capacity providers a set
/// added (a sibling set's concurrent put may replace the list in between).
pub const CAPACITY_PROVIDERS_SHOWN: Bound = Bound {
    what: "another change of the cluster's capacity providers in between",
    attempts: 5,
    delay: Duration::from_secs(2),
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
/// Application Auto Scaling does not yet see a service created a moment ago
/// ([`crate::error::is_scaling_service_not_yet_visible`]).
pub const SCALING_SERVICE_VISIBLE: Bound = Bound {
    what: "the new service to become visible to Application Auto Scaling",
    attempts: 10,
    delay: Duration::from_secs(3),
};
/// A new scalable target is not yet visible to PutScalingPolicy or PutScheduledAction
/// ([`crate::error::is_scalable_target_not_yet_visible`]).
pub const SCALABLE_TARGET_VISIBLE: Bound = Bound {
    what: "a new scalable target to become visible",
    attempts: 10,
    delay: Duration::from_secs(2),
};
/// Another change of the scalable target is pending
/// ([`crate::error::is_scaling_update_in_progress`]).
pub const SCALING_UPDATE_PENDING: Bound = Bound {
    what: "a pending change of the scalable target",
    attempts: 10,
    delay: Duration::from_secs(2),
};
/// A resource another attempt just created is not yet visible to reads.
pub const ADOPT_AFTER_CONFLICT: Bound = Bound {
    what: "a concurrently created resource to become visible",
    attempts: 5,
    delay: Duration::from_secs(1),
};
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

pub(crate) fn scaled(delay: Duration) -> Duration {
    delay.mul_f64(*DELAY_SCALE.get_or_init(|| 1.0))
}

/// The time `played` stands for before [`set_delay_scale`]'s scale (itself at scale 0).
pub(crate) fn unscaled(played: Duration) -> Duration {
    let scale = *DELAY_SCALE.get_or_init(|| 1.0);
    match scale > 0.0 {
        true => played.div_f64(scale),
        false => played,
    }
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
