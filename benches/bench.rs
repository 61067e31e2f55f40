//! `make bench`: a benchmark, not a test — it reports and never fails. Measures the release
//! `prod-e-provisioner` as Lambda runs it (a process under a Runtime API): cold start; Create,
//! Update and Delete wall time against moto behind a proxy adding a fixed latency per AWS call,
//! next to the critical-path bound; AWS calls per operation; peak RSS; binary and zip sizes;
//! the same operations with concurrency switched off (the proxy serializes the calls); and
//! many stacks at once ([`scale`]).

mod rollouts;

use prod_e_testkit as support;

mod scale;
mod summary;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::proxy::{Call, Proxy};
use support::runtime::Function;
use support::{moto, unique, Harness, Stack};

const COLD_STARTS: usize = 25;
const LATENCIES_MS: [u64; 3] = [0, 50, 100];
const INVOCATION: Duration = Duration::from_secs(300);
const BINARY: &str = env!("CARGO_BIN_EXE_prod-e-provisioner");

#[tokio::main]
async fn main() {
    if cfg!(debug_assertions) {
        eprintln!("this is a debug build: run `make bench` (cargo bench) for meaningful figures");
        return;
    }
    let h = Harness::new().await;
    let proxy = Proxy::start(moto::endpoint()).await;
    // The wall-time and chain runs measure the provider's own round trips: rollouts complete
    // and deleted services drain at once (the rollouts section plays their real durations).
    proxy.rules.draining_for(Duration::ZERO);
    // ... and AWS reads its writes at once (rule 8's first-use refusals off): the chain is the
    // provider's own. The read-after-write run below shows what those refusals add.
    proxy.rules.fresh_reads(0);
    let mut report = json!({"machine": machine()});

    // Warm moto's lazily loaded services so that the first measurement is not moto's start.
    let mut warm = Function::start(BINARY, &proxy.endpoint, INVOCATION, &[]).await;
    run_set(&h, &mut warm, &proxy, "warm").await;
    drop(warm);

    let (to_next, to_answer) = cold_starts(&h, &proxy).await;
    println!("Cold start ({COLD_STARTS} fresh processes of the release binary):");
    println!(
        "  process start → first Runtime API /next:          median {:>6.1} ms   p90 {:>6.1} ms",
        pct(&to_next, 50),
        pct(&to_next, 90)
    );
    println!(
        "  process start → Delete (nothing to delete) answered: median {:>6.1} ms   p90 {:>6.1} ms",
        pct(&to_answer, 50),
        pct(&to_answer, 90)
    );
    report["cold_start_ms"] = json!({
        "to_first_next": {"median": pct(&to_next, 50), "p90": pct(&to_next, 90)},
        "to_first_response": {"median": pct(&to_answer, 50), "p90": pct(&to_answer, 90)},
    });

    println!("\nWall time per operation against moto + fixed latency per AWS call:");
    println!(
        "  {:<10} {:>7} {:>9} {:>7} {:>10} {:>6} {:>6}",
        "operation", "latency", "wall", "chain", "bound", "ratio", "calls"
    );
    let mut runs = Vec::new();
    for latency in LATENCIES_MS {
        proxy.latency(Duration::from_millis(latency));
        let mut f = Function::start(BINARY, &proxy.endpoint, INVOCATION, &[]).await;
        for m in run_set(&h, &mut f, &proxy, "bench").await {
            println!(
                "  {:<10} {:>5} ms {:>7.0} ms {:>7} {:>7.0} ms {:>6} {:>6}",
                m.operation,
                latency,
                m.wall_ms,
                m.chain,
                m.chain as f64 * latency as f64,
                ratio(m.wall_ms, m.chain, latency),
                m.calls.values().sum::<usize>()
            );
            runs.push(json!({"latency_ms": latency, "operation": m.operation, "wall_ms": m.wall_ms, "chain": m.chain,
                "bound_ms": m.chain as f64 * latency as f64, "calls": m.calls, "peak_rss_kib": m.peak_rss_kib}));
        }
    }
    report["operations"] = json!(runs);

    // The same at 50 ms with rule 8 on: each new resource's first use refused once, as AWS
    // does for a few seconds after a create; the retries lengthen the chain.
    proxy.latency(Duration::from_millis(50));
    proxy.rules.fresh_reads(1);
    let mut f = Function::start(BINARY, &proxy.endpoint, INVOCATION, &[]).await;
    let mut fresh = Vec::new();
    println!("  with AWS's read-after-write delays (rule 8), 50 ms per call:");
    for m in run_set(&h, &mut f, &proxy, "fresh").await {
        println!(
            "  {:<10} {:>5} ms {:>7.0} ms {:>7} {:>7.0} ms {:>6} {:>6}",
            m.operation,
            50,
            m.wall_ms,
            m.chain,
            m.chain as f64 * 50.0,
            ratio(m.wall_ms, m.chain, 50),
            m.calls.values().sum::<usize>()
        );
        fresh.push(
            json!({"operation": m.operation, "wall_ms": m.wall_ms, "chain": m.chain,
            "calls": m.calls}),
        );
    }
    proxy.rules.fresh_reads(0);
    report["read_after_write_50ms"] = json!(fresh);

    proxy.latency(Duration::from_millis(50));
    proxy.serialize(true);
    let mut sequential = Function::start(BINARY, &proxy.endpoint, INVOCATION, &[]).await;
    let seq = run_set(&h, &mut sequential, &proxy, "seq").await;
    proxy.calm();
    println!("\nConcurrency switched off (the proxy answers one call at a time), 50 ms per call:");
    let concurrent: BTreeMap<String, f64> = runs
        .iter()
        .filter(|r| r["latency_ms"] == 50)
        .map(|r| {
            (
                r["operation"].as_str().unwrap_or_default().to_string(),
                r["wall_ms"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    for m in &seq {
        let with = concurrent.get(m.operation).copied().unwrap_or(f64::NAN);
        println!(
            "  {:<10} sequential {:>6.0} ms, concurrent {:>6.0} ms: {:.2}× faster",
            m.operation,
            m.wall_ms,
            with,
            m.wall_ms / with
        );
    }
    report["rollouts"] = rollouts::run(&h, &proxy).await;
    report["sequential_50ms"] = json!(seq
        .iter()
        .map(|m| json!({"operation": m.operation, "wall_ms": m.wall_ms}))
        .collect::<Vec<_>>());

    println!("\nAWS calls by action (0 ms run):");
    for r in runs.iter().filter(|r| r["latency_ms"] == 0) {
        println!(
            "  {}: {}",
            r["operation"].as_str().unwrap_or_default(),
            r["calls"]
        );
        let preflight: u64 = support::PREFLIGHT_READS
            .iter()
            .filter_map(|a| r["calls"][*a].as_u64())
            .sum();
        println!(
            "    of which preflight reads ({}): {preflight}",
            support::PREFLIGHT_READS.join(", ")
        );
    }
    let rss = runs
        .iter()
        .filter(|r| r["operation"] == "Create")
        .filter_map(|r| r["peak_rss_kib"].as_u64())
        .max()
        .unwrap_or(0);
    println!(
        "\nPeak RSS of the Lambda process during Create: {:.1} MiB",
        rss as f64 / 1024.0
    );
    report["peak_rss_mib"] = json!(rss as f64 / 1024.0);

    let binary_size = std::fs::metadata(BINARY).map(|m| m.len()).unwrap_or(0);
    let zip = std::env::var("PROD_E_ZIP")
        .ok()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    println!(
        "Release binary (x86_64, stripped by the release profile): {:.1} MB",
        binary_size as f64 / 1e6
    );
    match zip {
        Some(size) => println!("arm64 deployment zip: {:.2} MB", size as f64 / 1e6),
        None => println!("arm64 deployment zip: not built (make package builds it)"),
    }
    report["scale"] = scale::run(&h, BINARY).await;
    report["binary_bytes"] = json!(binary_size);
    report["arm64_zip_bytes"] = json!(zip);

    report["summary"] = summary::print(&report);
    let path = std::env::var("PROD_E_BENCH_JSON").unwrap_or_else(|_| "bench-results.json".into());
    let written = std::fs::write(
        &path,
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    );
    println!(
        "\nJSON: {path} ({})",
        if written.is_ok() {
            "written"
        } else {
            "could not write"
        }
    );
}

/// One measured operation.
struct Measured {
    operation: &'static str,
    wall_ms: f64,
    chain: usize,
    calls: BTreeMap<String, usize>,
    peak_rss_kib: Option<u64>,
}

/// Create, Update (new image), Delete of a fresh deployment on `f`.
async fn run_set(h: &Harness, f: &mut Function, proxy: &Proxy, name: &str) -> Vec<Measured> {
    let stack = Stack::new(name);
    let props = h.properties(json!({"ClusterName": format!("{name}-{}", unique())}));
    let mut new = props.clone();
    new["Image"] = json!("nginx:1.27");
    let pid = stack.deployment(&props).physical_id().to_string();
    let events = [
        ("Create", stack.create(&props)),
        ("Update", stack.update(&pid, &props, &new)),
        ("Delete", stack.delete(&pid, &new)),
    ];
    let mut out = Vec::new();
    for (operation, event) in events {
        let before = proxy.calls().len();
        let started = Instant::now();
        let reported = f.invoke(&event, INVOCATION).await;
        let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
        if reported.is_none() {
            eprintln!("{operation} did not finish");
        }
        let calls: Vec<Call> = proxy.calls().split_off(before);
        let mut by_action = BTreeMap::new();
        for c in &calls {
            *by_action
                .entry(format!("{}:{}", c.service, c.action))
                .or_insert(0) += 1;
        }
        out.push(Measured {
            operation,
            wall_ms,
            chain: longest_chain(&calls),
            calls: by_action,
            peak_rss_kib: f.peak_rss_kib(),
        });
    }
    out
}

/// The longest chain of calls each of which started after the previous one was answered:
/// the round trips that could not overlap.
fn longest_chain(calls: &[Call]) -> usize {
    let mut spans: Vec<(Instant, Instant)> = calls
        .iter()
        .filter_map(|c| Some((c.arrived, c.answered?)))
        .collect();
    spans.sort_by_key(|s| s.1);
    let mut best = vec![1; spans.len()];
    for i in 0..spans.len() {
        for j in 0..i {
            if spans[j].1 <= spans[i].0 {
                best[i] = best[i].max(best[j] + 1);
            }
        }
    }
    best.into_iter().max().unwrap_or(0)
}

async fn cold_starts(h: &Harness, proxy: &Proxy) -> (Vec<f64>, Vec<f64>) {
    let (mut to_next, mut to_answer) = (Vec::new(), Vec::new());
    for _ in 0..COLD_STARTS {
        let stack = Stack::new("cold");
        let event = stack.delete("made-up", &h.properties(json!({})));
        let mut f = Function::start(BINARY, &proxy.endpoint, INVOCATION, &[]).await;
        let reported = f.invoke(&event, INVOCATION).await;
        if let (Some(_), Some(first)) = (reported, f.first_poll()) {
            to_next.push((first - f.started).as_secs_f64() * 1000.0);
            to_answer.push(f.started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    (to_next, to_answer)
}

fn pct(values: &[f64], p: usize) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get((v.len().saturating_sub(1)) * p / 100)
        .copied()
        .unwrap_or(f64::NAN)
}

fn ratio(wall_ms: f64, chain: usize, latency: u64) -> String {
    match latency {
        0 => "-".to_string(),
        l => format!("{:.2}", wall_ms / (chain as f64 * l as f64)),
    }
}

fn machine() -> Value {
    json!({"cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "os": std::env::consts::OS, "arch": std::env::consts::ARCH})
}
