//! The strategies part of the rollouts section: an image Update under each deployment
//! strategy (ROLLING without and with the alarm gate, CANARY, ECS Express Mode's canary,
//! BLUE_GREEN, LINEAR), once with prod-e's defaults and once with AWS's (given explicitly as
//! Properties), played under the timed rollout model. Each figure is real-AWS seconds: the
//! model's for the Update's rollout, and the wall time (÷ the model's scale) of the whole
//! Update, the provider's own waits and calls included.

use std::time::Instant;

use prod_e_testkit as support;
use serde_json::{json, Value};
use support::proxy::Proxy;
use support::rollout::timing;
use support::runtime::Function;
use support::{unique, Harness, Stack};

/// One strategy: its name, and the properties it adds to prod-e's defaults and to AWS's.
struct Case {
    name: &'static str,
    ours: Value,
    aws: Value,
}

/// The strategies compared. AWS's canary and linear settings are its API defaults (5 % for 10
/// minutes; 10 % every 6 minutes); AWS has no default `BakeTimeInMinutes` (required for
/// BLUE_GREEN): its column uses prod-e's 3 minutes, so that the strategies' own settings are
/// what differ. ECS Express Mode deploys every update as a canary, 5 % for 3 minutes, then
/// 100 % for a 3-minute bake (ECS Developer Guide, "Express Mode service updates").
fn cases() -> Vec<Case> {
    let express = json!({"DeploymentStrategy": "CANARY", "BakeTimeInMinutes": 3,
        "CanaryConfiguration": {"CanaryPercent": 5, "CanaryBakeTimeInMinutes": 3}});
    vec![
        Case {
            name: "ROLLING, no gate",
            ours: json!({"DeploymentAlarms": []}),
            aws: json!({"DeploymentAlarms": []}),
        },
        Case {
            name: "ROLLING, gate",
            ours: json!({}),
            aws: json!({}),
        },
        Case {
            name: "CANARY",
            ours: json!({"DeploymentStrategy": "CANARY"}),
            aws: json!({"DeploymentStrategy": "CANARY", "BakeTimeInMinutes": 3,
                "CanaryConfiguration": {"CanaryPercent": 5, "CanaryBakeTimeInMinutes": 10}}),
        },
        Case {
            name: "CANARY (Express)",
            ours: express.clone(),
            aws: express,
        },
        Case {
            name: "BLUE_GREEN",
            ours: json!({"DeploymentStrategy": "BLUE_GREEN"}),
            aws: json!({"DeploymentStrategy": "BLUE_GREEN", "BakeTimeInMinutes": 3}),
        },
        Case {
            name: "LINEAR",
            ours: json!({"DeploymentStrategy": "LINEAR"}),
            aws: json!({"DeploymentStrategy": "LINEAR", "BakeTimeInMinutes": 3,
                "LinearConfiguration": {"StepPercent": 10, "StepBakeTimeInMinutes": 6}}),
        },
    ]
}

/// `a` with `b`'s keys set over it.
fn merged(a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    for (k, v) in b.as_object().into_iter().flatten() {
        out[k] = v.clone();
    }
    out
}

/// Runs every case with both defaults; prints the table and returns it as JSON.
pub async fn run(h: &Harness, proxy: &Proxy, aws_defaults: &Value) -> Value {
    println!(
        "\nAn image Update under each strategy (timed model, real-AWS seconds; AWS's \
         BakeTimeInMinutes as prod-e's 3):"
    );
    println!(
        "  {:<18} {:>13} {:>13} {:>13} {:>13} {:>7}",
        "strategy", "prod-e model", "prod-e wall", "AWS model", "AWS wall", "model×"
    );
    let mut rows = Vec::new();
    for case in cases() {
        let ours = update(h, proxy, case.name, case.ours.clone()).await;
        let aws = update(h, proxy, case.name, merged(aws_defaults, &case.aws)).await;
        let ratio = ours.0 / aws.0;
        println!(
            "  {:<18} {:>11.0} s {:>11.0} s {:>11.0} s {:>11.0} s {:>7.2}",
            case.name, ours.0, ours.1, aws.0, aws.1, ratio
        );
        rows.push(json!({"strategy": case.name,
            "prod_e": {"model_s": ours.0, "wall_s": ours.1},
            "aws": {"model_s": aws.0, "wall_s": aws.1}, "ratio_model": ratio}));
    }
    json!(rows)
}

/// Create, image Update and Delete of a fresh deployment with `extra` properties: the Update's
/// (model, wall) real-AWS seconds.
async fn update(h: &Harness, proxy: &Proxy, name: &str, mut extra: Value) -> (f64, f64) {
    let stack = Stack::new("strategy-bench");
    extra["ClusterName"] = json!(format!("strat-{}", unique()));
    let props = h.properties(extra);
    let mut image = props.clone();
    image["Image"] = json!("nginx:1.27");
    let id = stack.deployment(&props).physical_id().to_string();
    let mut f = Function::start(
        super::super::BINARY,
        &proxy.endpoint,
        super::INVOCATION,
        &[],
    )
    .await;
    if f.invoke(&stack.create(&props), super::INVOCATION)
        .await
        .is_none()
    {
        eprintln!("{name}: Create did not finish");
    }
    let started = Instant::now();
    if f.invoke(&stack.update(&id, &props, &image), super::INVOCATION)
        .await
        .is_none()
    {
        eprintln!("{name}: Update did not finish");
    }
    let wall = timing::real_seconds(started.elapsed());
    let modeled = proxy.rollouts.modeled(started);
    let model = modeled.iter().filter_map(|(_, _, s)| *s).sum();
    if f.invoke(&stack.delete(&id, &image), super::INVOCATION)
        .await
        .is_none()
    {
        eprintln!("{name}: Delete did not finish");
    }
    (model, wall)
}
