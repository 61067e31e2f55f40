//! The rollouts section of `make bench`: Create, an image Update, a replacement (ContainerPort),
//! the old set's cleanup Delete and the final Delete, played under the timed rollout model
//! (`prod_e_testkit::rollout::timing`), once with prod-e's defaults and once with AWS's given
//! explicitly as Properties. Each row: real-AWS seconds (wall time ÷ the model's time scale,
//! the provider's own calls included) and the model's seconds for the rollouts and drains
//! alone, with both defaults and their ratio; then an image Update under each deployment
//! strategy ([`strategies`]).

mod strategies;

use std::time::{Duration, Instant};

use prod_e_testkit as support;
use serde_json::{json, Value};
use support::proxy::Proxy;
use support::rollout::{timing, Rollout, Startup};
use support::runtime::Function;
use support::{unique, Harness, Stack};

/// The invocation time of each operation (real time: the slowest, AWS's Delete, plays 3.3 s).
const INVOCATION: Duration = Duration::from_secs(300);

/// AWS's own defaults, given explicitly (ELBv2 `CreateTargetGroup` for an `ip` group,
/// `deregistration_delay.timeout_seconds`; ECS `CreateService`, `stopTimeout`).
fn aws_defaults() -> Value {
    json!({
        "HealthCheck": {"IntervalSeconds": 30, "TimeoutSeconds": 5, "HealthyThresholdCount": 5,
                        "UnhealthyThresholdCount": 2},
        "DeregistrationDelaySeconds": 300,
        "HealthCheckGracePeriodSeconds": 0,
        "StopTimeout": 30,
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
    })
}

/// One operation's figures, in real-AWS seconds.
struct Row {
    operation: &'static str,
    wall: f64,
    model: f64,
}

/// Runs the section: prints its table and returns it as JSON (`report["rollouts"]`).
pub async fn run(h: &Harness, proxy: &Proxy) -> Value {
    proxy.rollouts.set_for_new(Rollout::Timed(Startup::TYPICAL));
    // Deleted services drain as the model says (the chain runs end every drain at once).
    proxy.rules.draining_for(support::aws_rules::DRAINING_FOR);
    let ours = run_set(h, proxy, "roll-ours", json!({})).await;
    let aws = run_set(h, proxy, "roll-aws", aws_defaults()).await;
    let strategies = strategies::run(h, proxy, &aws_defaults()).await;
    proxy.rules.draining_for(Duration::ZERO);
    proxy.rollouts.set_for_new(Rollout::Done);
    println!(
        "\nRollouts under the timed model (1 real-AWS second played as {} ms; Fargate start {} s, \
         warm-up {} s), real-AWS seconds:",
        timing::SCALE * 1000.0,
        Startup::TYPICAL.to_running,
        Startup::TYPICAL.warm_up
    );
    println!(
        "  {:<9} {:>16} {:>16} {:>16} {:>16} {:>7} {:>7}",
        "operation", "prod-e wall", "prod-e model", "AWS wall", "AWS model", "wall×", "model×"
    );
    let mut rows = Vec::new();
    for (o, a) in ours.iter().zip(&aws) {
        let (wall, model) = (ratio(o.wall, a.wall), ratio(o.model, a.model));
        println!(
            "  {:<9} {:>14.0} s {:>14.0} s {:>14.0} s {:>14.0} s {:>7.2} {:>7.2}",
            o.operation, o.wall, o.model, a.wall, a.model, wall, model
        );
        rows.push(json!({"operation": o.operation,
            "prod_e": {"wall_s": o.wall, "model_s": o.model},
            "aws": {"wall_s": a.wall, "model_s": a.model},
            "ratio_wall": wall, "ratio_model": model}));
    }
    json!({"scale": timing::SCALE, "task_start_s": Startup::TYPICAL.to_running,
        "warm_up_s": Startup::TYPICAL.warm_up, "operations": rows, "strategies": strategies})
}

/// Create, image Update, replacement, cleanup of the old set and Delete of a fresh
/// deployment with `extra` properties, each timed.
async fn run_set(h: &Harness, proxy: &Proxy, name: &str, mut extra: Value) -> Vec<Row> {
    let stack = Stack::new(name);
    extra["ClusterName"] = json!(format!("{name}-{}", unique()));
    let props = h.properties(extra);
    let mut image = props.clone();
    image["Image"] = json!("nginx:1.27");
    let mut port = image.clone();
    port["ContainerPort"] = json!(8080);
    let first = stack.deployment(&props).physical_id().to_string();
    let second = stack.deployment(&port).physical_id().to_string();
    let events = [
        ("Create", stack.create(&props)),
        ("Update", stack.update(&first, &props, &image)),
        ("Replace", stack.update(&first, &image, &port)),
        ("Cleanup", stack.delete(&first, &image)),
        ("Delete", stack.delete(&second, &port)),
    ];
    let mut f = Function::start(super::BINARY, &proxy.endpoint, INVOCATION, &[]).await;
    let mut rows = Vec::new();
    for (operation, event) in events {
        let started = Instant::now();
        if f.invoke(&event, INVOCATION).await.is_none() {
            eprintln!("{name}: {operation} did not finish");
        }
        let wall = timing::real_seconds(started.elapsed());
        let modeled = proxy.rollouts.modeled(started);
        let model = modeled.iter().filter_map(|(_, _, seconds)| *seconds).sum();
        rows.push(Row {
            operation,
            wall,
            model,
        });
    }
    rows
}

/// `ours` as a share of `theirs` (NaN when there is nothing to compare).
fn ratio(ours: f64, theirs: f64) -> f64 {
    match theirs > 0.0 {
        true => ours / theirs,
        false => f64::NAN,
    }
}
