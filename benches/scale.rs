//! The scale run of `make bench`: [`STACKS`] stack resources created, updated (a new image)
//! and deleted at the same time against one moto server and one listener, next to one stack
//! alone. Each stack resource's Lambda instance is a process of its own behind a proxy of its
//! own (so that calls are counted per stack), all proxies in front of the same moto; every
//! stack uses the default `TaskFamily`, which they all share. Reports calls and wall time per
//! stack and operation, and checks what a user would: every operation answered SUCCESS, each
//! stack got resources of its own (no cross-talk: distinct task definitions, services and rule
//! priorities), and nothing of any of them is left after the Deletes.

use std::time::{Duration, Instant};

use futures::future::join_all;
use prod_e::naming::Deployment;
use prod_e::plan::inventory;
use prod_e::resources::ours;
use prod_e::spec::Locator;
use serde_json::{json, Value};

use super::support::proxy::Proxy;
use super::support::runtime::Function;
use super::support::{moto, s3, unique, Harness, Stack};

/// Stack resources deployed at once.
pub const STACKS: usize = 20;
/// Latency the proxies add to every AWS call.
const LATENCY: Duration = Duration::from_millis(50);
const INVOCATION: Duration = Duration::from_secs(300);
const OPERATIONS: [&str; 3] = ["Create", "Update", "Delete"];

/// One operation of one stack: AWS calls, wall time, the response's Status and Data.
struct Done {
    calls: usize,
    wall_ms: f64,
    status: String,
    data: Value,
}

/// Runs one stack alone, then [`STACKS`] at once; prints the comparison and returns it.
pub async fn run(h: &Harness, binary: &str) -> Value {
    let alone = stacks(h, binary, 1, "alone").await;
    let started = Instant::now();
    let many = stacks(h, binary, STACKS, "many").await;
    let total_s = started.elapsed().as_secs_f64();
    println!(
        "\nScale: {STACKS} stack resources at once (one moto, one listener, one task family), \
         {} ms per call:",
        LATENCY.as_millis()
    );
    println!(
        "  {:<8} {:>12} {:>16} {:>10} {:>20} {:>7}",
        "op", "calls alone", "calls per stack", "wall alone", "wall per stack (med/max)", "ratio"
    );
    let mut rows = Vec::new();
    for (i, op) in OPERATIONS.iter().enumerate() {
        let one = &alone[0][i];
        let calls: Vec<usize> = many.iter().map(|s| s[i].calls).collect();
        let mut walls: Vec<f64> = many.iter().map(|s| s[i].wall_ms).collect();
        walls.sort_by(f64::total_cmp);
        let median = walls[walls.len() / 2];
        let max = walls.last().copied().unwrap_or(f64::NAN);
        let mean_calls = calls.iter().sum::<usize>() as f64 / calls.len() as f64;
        println!(
            "  {op:<8} {:>12} {:>10.1} (max {:>2}) {:>7.0} ms {:>9.0} / {:>6.0} ms {:>6.2}×",
            one.calls,
            mean_calls,
            calls.iter().max().unwrap_or(&0),
            one.wall_ms,
            median,
            max,
            median / one.wall_ms
        );
        rows.push(
            json!({"operation": op, "calls_alone": one.calls, "calls_per_stack": calls,
            "wall_alone_ms": one.wall_ms, "wall_per_stack_ms": walls}),
        );
    }
    let failed = many
        .iter()
        .flatten()
        .filter(|d| d.status != "SUCCESS")
        .count();
    let shared = cross_talk(&many);
    let left = left_behind(h, &many).await;
    let calls: usize = many.iter().flatten().map(|d| d.calls).sum();
    println!(
        "  all {} stacks' operations in {total_s:.1} s ({:.2} s per stack; {:.0} calls/s \
         through the one moto server); not SUCCESS: {failed}; shared between stacks: \
         {shared:?}; left behind: {left:?}",
        STACKS,
        total_s / STACKS as f64,
        calls as f64 / total_s
    );
    json!({"stacks": STACKS, "latency_ms": LATENCY.as_millis() as u64, "operations": rows,
        "total_s": total_s, "calls_per_s": calls as f64 / total_s, "not_success": failed, "shared": shared, "left_behind": left})
}

/// `n` stacks, each created, updated and deleted by its own function, all at once.
async fn stacks(h: &Harness, binary: &str, n: usize, name: &str) -> Vec<Vec<Done>> {
    let mut lanes = Vec::new();
    for _ in 0..n {
        let proxy = Proxy::start(moto::endpoint()).await;
        proxy.latency(LATENCY);
        proxy.rules.draining_for(Duration::ZERO);
        let f = Function::start(binary, &proxy.endpoint, INVOCATION, &[]).await;
        lanes.push((proxy, f));
    }
    let runs = lanes.iter_mut().map(|(proxy, f)| lane(h, proxy, f, name));
    join_all(runs).await
}

/// Create, Update (new image) and Delete of one stack resource.
async fn lane(h: &Harness, proxy: &Proxy, f: &mut Function, name: &str) -> Vec<Done> {
    let stack = Stack::new(name);
    let props = h.properties(json!({"ClusterName": format!("{name}-{}", unique())}));
    let mut new = props.clone();
    new["Image"] = json!("nginx:1.27");
    let created = once(proxy, f, stack.create(&props)).await;
    let pid = created.data["PhysicalResourceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let updated = once(proxy, f, stack.update(&pid, &props, &new)).await;
    let deleted = once(proxy, f, stack.delete(&pid, &new)).await;
    vec![created, updated, deleted]
}

/// One invocation: its calls, wall time and the response that reached the ResponseURL.
async fn once(proxy: &Proxy, f: &mut Function, event: Value) -> Done {
    let before = proxy.calls().len();
    let started = Instant::now();
    f.invoke(&event, INVOCATION).await;
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let url = event["ResponseURL"].as_str().unwrap_or_default();
    let response = s3::read_response(url).await.unwrap_or_default();
    Done {
        calls: proxy.calls().len() - before,
        wall_ms,
        status: response["Status"].as_str().unwrap_or("none").to_string(),
        data: json!({"PhysicalResourceId": response["PhysicalResourceId"],
            "Locator": event["ResourceProperties"], "Data": response["Data"]}),
    }
}

/// The Create answers' attributes that two stacks share (each must have its own).
fn cross_talk(many: &[Vec<Done>]) -> Vec<String> {
    let keys = [
        "TaskDefinitionArn",
        "ServiceArn",
        "ListenerRuleArn",
        "ListenerRulePriority",
    ];
    let mut shared = Vec::new();
    for key in keys {
        let mut values: Vec<&str> = many
            .iter()
            .filter_map(|s| s[0].data["Data"][key].as_str())
            .collect();
        let n = values.len();
        values.sort_unstable();
        values.dedup();
        if values.len() != n || n != many.len() {
            shared.push(format!(
                "{key}: {} distinct of {}",
                values.len(),
                many.len()
            ));
        }
    }
    shared
}

/// What any stack still owns after its Delete, as the provider's inventory finds it, and the
/// ACTIVE revisions of the shared family that carry any stack's tag.
async fn left_behind(h: &Harness, many: &[Vec<Done>]) -> Vec<String> {
    let mut left = Vec::new();
    for s in many {
        let pid = s[0].data["PhysicalResourceId"].as_str().unwrap_or_default();
        let Some(d) = Deployment::parse(pid) else {
            left.push(format!("no deployment ({pid})"));
            continue;
        };
        let at = Locator::from_properties(&s[0].data["Locator"]);
        let Ok(inv) = inventory(&h.clients, &d, &at).await else {
            left.push(format!("{pid}: inventory failed"));
            continue;
        };
        let owned = [
            ours(&d, inv.service).is_some(),
            ours(&d, inv.cluster).is_some(),
            ours(&d, inv.target_group).is_some(),
            ours(&d, inv.listener_rule).is_some(),
            ours(&d, inv.security_group).is_some(),
            ours(&d, inv.log_group).is_some(),
            ours(&d, inv.execution_role).is_some(),
            ours(&d, inv.task_role).is_some(),
        ];
        if owned.iter().any(|o| *o) {
            left.push(format!("{pid}: {owned:?}"));
        }
    }
    left.extend(active_revisions(h, many).await);
    left
}

/// ACTIVE revisions of the default family tagged by any of the stacks.
async fn active_revisions(h: &Harness, many: &[Vec<Done>]) -> Vec<String> {
    let ids: Vec<&str> = many
        .iter()
        .filter_map(|s| s[0].data["PhysicalResourceId"].as_str())
        .collect();
    let family = Locator::from_properties(&many[0][0].data["Locator"]).task_family;
    let ecs = &h.clients.ecs;
    let Ok(listed) = ecs
        .list_task_definitions()
        .family_prefix(&family)
        .send()
        .await
    else {
        return vec!["listing the family failed".into()];
    };
    let mut left = Vec::new();
    for arn in listed.task_definition_arns() {
        let described = ecs
            .describe_task_definition()
            .task_definition(arn)
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await;
        let tagged = described.ok().is_some_and(|d| {
            d.tags()
                .iter()
                .any(|t| t.value().is_some_and(|v| ids.contains(&v)))
        });
        if tagged {
            left.push(format!("task definition {arn}"));
        }
    }
    left
}
