//! Waits that may outlast one invocation: they poll until done or until the invocation's
//! hand-over time, then stop with [`Error::Pending`] so that the handler continues the
//! operation in a new invocation. The hand-over time is the invocation's time budget, set
//! by the handler for the work it runs ([`hand_over_at`]).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::retry::scaled;

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

/// Time left before this invocation's waits must stop ([`WAIT_WITHOUT_HAND_OVER`] where no
/// handler set a hand-over time).
pub fn time_left() -> Duration {
    let stop = HAND_OVER.try_with(|at| *at);
    stop.map_or(WAIT_WITHOUT_HAND_OVER, |at| {
        at.saturating_duration_since(Instant::now())
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

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
}
