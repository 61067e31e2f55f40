//! Rollouts under the timed model (`support::rollout::Rollout::Timed`): a task that takes
//! longer than the grace period to come up is not replaced with prod-e's defaults, because
//! ECS counts the grace period from RUNNING (the image pull is not held against it) and the
//! default grace period outlasts a slow warm-up; the same start without a grace period is
//! replaced until the circuit breaker fails the Create.

use std::time::Instant;

use serde_json::json;

use crate::inspect;
use crate::support::rollout::{timing, Rollout, Startup};
use crate::support::{unique, Harness, Stack};

/// A slow start: a 200 s image pull (longer than the default 120 s grace period), then an app
/// that answers its health check 90 s after RUNNING (three checks at the default 10 s interval
/// fail first: its target is unhealthy, and recovers with 2 passing checks at 100 s).
const SLOW: Startup = Startup {
    to_running: 200.0,
    warm_up: 90.0,
};

#[tokio::test]
async fn a_task_slower_to_start_than_the_grace_period_is_not_replaced_with_the_defaults() {
    let h = Harness::new().await;
    h.proxy.rollouts.set_for_new(Rollout::Timed(SLOW));
    let stack = Stack::new("slow-start");
    let props = h.properties(json!({"ClusterName": format!("slow-{}", unique())}));
    let started = Instant::now();
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    assert_eq!(
        h.proxy.rollouts.unhealthy_stops(),
        0,
        "no task was replaced"
    );
    // The model played the slow start: 200 s to RUNNING, healthy 100 s later, then the alarm
    // gate's bake.
    let modeled = h.proxy.rollouts.modeled(started);
    let baked = 300.0 + f64::from(timing::ALARM_BAKE_SECONDS);
    assert!(
        modeled
            .iter()
            .any(|(_, what, seconds)| *what == "CreateService" && *seconds == Some(baked)),
        "{modeled:?}"
    );
    assert!(started.elapsed() >= timing::played(baked));
    let deleted = h.invoke(stack.delete(&out.physical_id(), &props)).await;
    deleted.assert_success();
    println!("FIGURE slow start: a 200 s image pull and a 90 s warm-up pass with the defaults, no task replaced");
}

#[tokio::test]
async fn without_a_grace_period_the_same_slow_start_is_replaced_until_the_breaker_fails_it() {
    let h = Harness::new().await;
    h.proxy.rollouts.set_for_new(Rollout::Timed(SLOW));
    let stack = Stack::new("no-grace");
    let props = h.properties(json!({
        "ClusterName": format!("no-grace-{}", unique()),
        "HealthCheckGracePeriodSeconds": 0,
    }));
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED", "{}", out.reason());
    assert!(
        out.reason().contains("failed ELB health checks"),
        "{}",
        out.reason()
    );
    // Stopped 30 s after RUNNING each time, until the breaker's threshold for one task (3).
    assert_eq!(h.proxy.rollouts.unhealthy_stops(), 3);
    inspect::assert_nothing_of(&h.clients, &stack).await;
    println!("FIGURE slow start without a grace period: 3 tasks replaced, the Create FAILED by the circuit breaker");
}
