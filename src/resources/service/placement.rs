//! Tasks ECS cannot place or start, as its service events tell: a deployment whose tasks never
//! run answers FAILED after [`PLACEMENT_FAILURE_BOUND`] with the event as its reason, whatever
//! the circuit breaker says (it counts tasks that fail once started, and a task never placed
//! is never started: aws/containers-roadmap#2202, #1273, #1206).
//!
//! The event texts relied on (ECS Developer Guide, "Amazon ECS service event messages"): "was
//! unable to place a task" (also with "Reason: Capacity is unavailable at this time" for Spot,
//! and "Reason: You've reached the limit on the number of tasks/vCPUs you can run
//! concurrently"), "is unable to consistently start tasks successfully", and "failed to launch
//! a task" (ECS's wording for a launch error, such as a role it cannot assume). ECS shows an
//! event again only once its cause has changed (the same guide: duplicates are hidden until
//! the cause clears or six hours pass), so one event that is still the newest says the cause
//! persists; a later event ("has started 1 tasks", "has reached a steady state") ends it.

use std::time::{Duration, SystemTime};

use aws_sdk_ecs::types::ServiceEvent;

/// How long tasks may go unplaced before the operation fails: four Fargate start attempts
/// (a task starts in 30–45 s: re:Post, "Why do my Fargate tasks take long to start"), long
/// enough for a passing Spot shortage, far shorter than `ServiceTimeout`'s hour.
pub const PLACEMENT_FAILURE_BOUND: Duration = Duration::from_secs(180);

/// The texts of the events that say tasks cannot be placed or started.
const UNPLACEABLE: [&str; 3] = [
    "was unable to place a task",
    "is unable to consistently start tasks",
    "failed to launch a task",
];

/// Tasks have not been placed since `since`, as `message` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplaceable {
    /// When the first event of the run was created.
    pub since: SystemTime,
    /// The newest of those events.
    pub message: String,
}

impl Unplaceable {
    /// How long tasks have gone unplaced, as of now.
    pub fn for_how_long(&self) -> Duration {
        self.since.elapsed().unwrap_or_default()
    }

    /// Whether it has lasted [`PLACEMENT_FAILURE_BOUND`] (scaled in tests).
    pub fn too_long(&self) -> bool {
        self.for_how_long() >= crate::retry::scaled(PLACEMENT_FAILURE_BOUND)
    }
}

/// The run of placement failures the newest events (newest first) are, if they are one (an
/// event without its time ends the run).
pub fn unplaceable(events: &[ServiceEvent]) -> Option<Unplaceable> {
    let failure = |e: &ServiceEvent| {
        let message = e.message()?;
        let at = SystemTime::try_from(*e.created_at()?).ok()?;
        UNPLACEABLE
            .iter()
            .any(|t| message.contains(t))
            .then(|| (at, message.to_string()))
    };
    let run: Vec<_> = events.iter().map_while(failure).collect();
    let message = run.first()?.1.clone();
    let since = run.last()?.0;
    Some(Unplaceable { since, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::primitives::DateTime;

    fn event(message: &str, secs: i64) -> ServiceEvent {
        ServiceEvent::builder()
            .message(message)
            .created_at(DateTime::from_secs(secs))
            .build()
    }

    #[test]
    fn the_run_of_failures_counts_from_its_oldest_event() {
        let events = [
            event(
                "(service s) was unable to place a task. Reason: Capacity is unavailable.",
                300,
            ),
            event("(service s) failed to launch a task with (error …).", 200),
            event("(service s) has started 1 tasks: (task 1).", 100),
        ];
        let found = unplaceable(&events).expect("a run");
        assert_eq!(
            found.since,
            std::time::UNIX_EPOCH + Duration::from_secs(200)
        );
        assert!(found.message.contains("Capacity is unavailable"));
        assert!(found.too_long(), "since 1970");
    }

    #[test]
    fn a_recovery_ends_the_run() {
        let events = [
            event("(service s) has started 1 tasks: (task 2).", 400),
            event(
                "(service s) was unable to place a task because no container …",
                300,
            ),
        ];
        assert_eq!(unplaceable(&events), None);
        assert_eq!(unplaceable(&[]), None);
    }
}
