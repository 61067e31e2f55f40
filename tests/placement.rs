//! Tasks ECS cannot place or start: the operation answers FAILED within
//! `PLACEMENT_FAILURE_BOUND` (1.8 s at the tests' delay scale) naming ECS's event, whatever
//! the circuit breaker says; a shortage that passes within the bound fails nothing.

use std::time::Duration;

use serde_json::json;

use crate::inspect;
use crate::support::rollout::Rollout;
use crate::support::{unique, Harness, Stack};

const NO_SPOT: &str = "was unable to place a task. Reason: Capacity is unavailable at this \
                       time. Please try again later or in a different availability zone.";

#[tokio::test]
async fn tasks_that_cannot_be_placed_fail_the_create_naming_the_event() {
    let h = Harness::new().await;
    h.proxy.rollouts.set_for_new(Rollout::Unplaceable {
        message: NO_SPOT.into(),
        recovers_after: None,
    });
    let stack = Stack::new("unplaceable");
    let props = h.properties(json!({
        "ClusterName": format!("unplaceable-{}", unique()),
        "CircuitBreaker": false,
    }));
    // The bound is far less than the invocation (its waits hand over after 40 s, room for a
    // loaded machine): an unbounded wait would hand over and answer nothing here.
    let out = h
        .invoke_with_time(stack.create(&props), Duration::from_secs(60))
        .await;
    assert_eq!(out.status(), "FAILED", "{}", out.reason());
    let reason = out.reason();
    assert!(
        reason.contains(
            "ECS has not placed or started the tasks of ECS service (prod-e-service) for "
        ) && reason.contains(&format!("(service prod-e-service) {NO_SPOT}")),
        "{reason}"
    );
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn a_shortage_that_passes_within_the_bound_fails_nothing() {
    let h = Harness::new().await;
    h.proxy.rollouts.set_for_new(Rollout::Unplaceable {
        message: NO_SPOT.into(),
        recovers_after: Some(Duration::from_millis(900)),
    });
    let stack = Stack::new("placed-late");
    let props = h.properties(json!({"ClusterName": format!("placed-late-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}
