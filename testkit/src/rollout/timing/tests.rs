//! Unit tests of the timed rollout's model.

use super::*;

/// prod-e's defaults (src/spec: HealthCheck, DeregistrationDelaySeconds,
/// HealthCheckGracePeriodSeconds, StopTimeout, CircuitBreaker).
const PROD_E: Settings = Settings {
    interval: 10,
    timeout: 5,
    healthy_threshold: 2,
    unhealthy_threshold: 3,
    deregistration_delay: 30,
    grace_period: 120,
    minimum_healthy_percent: 100,
    maximum_percent: 200,
    stop_timeout: 10,
    desired: 1,
    circuit_breaker: true,
    strategy: Strategy::Rolling,
    bake_minutes: 0,
    alarm_bake: 0,
};

#[test]
fn a_new_target_needs_one_passing_check_whatever_the_healthy_threshold() {
    let typical = Startup::TYPICAL;
    assert_eq!(
        new_task(&Settings::AWS, typical),
        Fate::Healthy(45.0 + 30.0)
    );
    let ten = Settings {
        healthy_threshold: 10,
        ..PROD_E
    };
    assert_eq!(new_task(&ten, typical), Fate::Healthy(45.0 + 10.0));
}

#[test]
fn an_update_with_aws_defaults_waits_for_the_300_s_drain() {
    // 45 s start, first check at 30 s, 300 s drain, 30 s stop.
    let aws = update(&Settings::AWS, Startup::TYPICAL);
    assert_eq!(aws, Outcome::Completes(45.0 + 30.0 + 300.0 + 30.0));
    let ours = update(&PROD_E, Startup::TYPICAL);
    assert_eq!(ours, Outcome::Completes(45.0 + 10.0 + 30.0 + 10.0));
    let (a, o) = (aws.seconds().unwrap_or(0.0), ours.seconds().unwrap_or(1.0));
    assert!(o <= 0.35 * a, "{o} s against {a} s");
    assert_eq!(create(&PROD_E, Startup::TYPICAL), Outcome::Completes(55.0));
    assert_eq!(leaving(&Settings::AWS), 330.0);
}

#[test]
fn the_grace_period_counts_from_running_so_a_long_image_pull_is_not_held_against_a_task() {
    let slow_pull = Startup {
        to_running: 600.0,
        warm_up: 5.0,
    };
    let no_grace = Settings {
        grace_period: 0,
        ..PROD_E
    };
    assert_eq!(new_task(&no_grace, slow_pull), Fate::Healthy(610.0));
}

#[test]
fn a_slow_warm_up_is_stopped_without_a_grace_period_and_survives_the_default() {
    let slow = Startup {
        to_running: 45.0,
        warm_up: 90.0,
    };
    // Checks at 10, 20, 30 s fail: unhealthy at 30 s; passes from 90 s, recovered at 100 s.
    assert_eq!(new_task(&PROD_E, slow), Fate::Healthy(45.0 + 100.0));
    let no_grace = Settings {
        grace_period: 0,
        ..PROD_E
    };
    assert_eq!(new_task(&no_grace, slow), Fate::Stopped(45.0 + 30.0));
    let flapping = create(&no_grace, slow);
    assert_eq!(
        flapping,
        Outcome::Flaps {
            cycle: 75.0,
            batch: 1,
            trips_after: Some(3)
        }
    );
    assert!(!flapping.failed(224.0) && flapping.failed(225.0));
    assert_eq!((flapping.stopped(80.0), flapping.stopped(1e6)), (1, 3));
    // Without the breaker it flaps for ever.
    let unbroken = Settings {
        circuit_breaker: false,
        ..no_grace
    };
    assert_eq!(create(&unbroken, slow).stopped(750.0), 10);
}

#[test]
fn aws_defaults_stop_a_task_that_warms_up_past_a_minute() {
    let minute = Startup {
        to_running: 45.0,
        warm_up: 61.0,
    };
    assert!(matches!(new_task(&Settings::AWS, minute), Fate::Stopped(_)));
    // prod-e's old defaults (grace 60 s, healthy threshold 5) too: recovery takes 5 checks.
    let old = Settings {
        grace_period: 60,
        ..Settings::AWS
    };
    assert_eq!(new_task(&old, minute), Fate::Stopped(45.0 + 60.0));
}

#[test]
fn the_percentages_decide_the_batches() {
    let two = Settings {
        desired: 2,
        minimum_healthy_percent: 50,
        maximum_percent: 100,
        ..PROD_E
    };
    // Stop one (40 s), start one (55 s), stop the other, start its successor.
    assert_eq!(update(&two, Startup::TYPICAL), Outcome::Completes(190.0));
    let stuck = Settings {
        minimum_healthy_percent: 100,
        maximum_percent: 100,
        ..PROD_E
    };
    assert_eq!(update(&stuck, Startup::TYPICAL), Outcome::Stalls);
    assert_eq!(breaker_threshold(1), 3);
    assert_eq!(breaker_threshold(1000), 200);
}

#[test]
fn real_seconds_are_played_at_the_delay_scale() {
    assert_eq!(played(100.0), Duration::from_secs(1));
    assert!((real_seconds(Duration::from_millis(550)) - 55.0).abs() < 1e-9);
}

#[test]
fn the_alarm_gate_bakes_a_rolling_update_and_native_strategies_bake_their_own() {
    let typical = Startup::TYPICAL;
    // prod-e's: 55 s to a healthy new task, 40 s for the old one to leave.
    let gated = Settings {
        alarm_bake: ALARM_BAKE_SECONDS,
        ..PROD_E
    };
    assert_eq!(update(&gated, typical), Outcome::Completes(95.0 + 180.0));
    let canary = Settings {
        strategy: Strategy::Canary { bake_minutes: 3 },
        bake_minutes: 3,
        ..gated
    };
    assert_eq!(
        update(&canary, typical),
        Outcome::Completes(55.0 + 360.0 + 40.0)
    );
    let linear = Settings {
        strategy: Strategy::Linear {
            steps: 4,
            bake_minutes: 3,
        },
        ..canary
    };
    assert_eq!(
        update(&linear, typical),
        Outcome::Completes(55.0 + 720.0 + 40.0)
    );
    let blue_green = Settings {
        strategy: Strategy::BlueGreen,
        ..canary
    };
    assert_eq!(
        update(&blue_green, typical),
        Outcome::Completes(55.0 + 180.0 + 40.0)
    );
}
