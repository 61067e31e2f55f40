//! Waiting on conditions, never on the clock: the suite runs several tests at a time on a
//! loaded machine, with one moto for all, so a test waits for what it needs to have happened
//! (with a bound that only guards against a hang) and holds up what must not happen yet
//! (a rollout, a drain) until it has seen what it waits for. Timings belong to `make bench`.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long a test waits for something its world must come to: a guard against a hang,
/// never a measure (on a loaded machine things take what they take).
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The Lambda time of tests whose invocation must end before their operation does (a wait
/// handed over to another invocation, a hung call cut short by the deadline guard): waits
/// hand over after 8 s and the guard answers after 12 s, room for a whole Create on a loaded
/// machine. What must outlast an invocation is held by the test until it has
/// ([`releasing`]), not timed to outlast it.
pub const SHORT_LAMBDA_TIME: Duration = Duration::from_secs(16);

/// Waits until `done` holds, checking every 20 ms; panics naming `what` if it has not
/// held within [`PATIENCE`].
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `work`, calling `release` beside it once `ready` holds ([`until`], naming `what`):
/// what holds the work up (a stuck rollout, a drain, an ENI that stays) ends only once the
/// test has seen what it waits for, however fast or slow the machine. If `work` ends first,
/// `release` is never called (the caller's checks then say what went wrong).
pub async fn releasing<T>(
    work: impl Future<Output = T>,
    what: &str,
    ready: impl FnMut() -> bool,
    release: impl FnOnce(),
) -> T {
    let mut work = std::pin::pin!(work);
    tokio::select! {
        done = &mut work => return done,
        () = until(what, ready) => release(),
    }
    work.await
}
