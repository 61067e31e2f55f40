//! The closing table of `make bench`: every figure issue 16 sets a target for, read from the
//! report the other sections filled in, with its target and whether it is met.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::{json, Value};

/// One line: what, the figure, the target, met or not (`None`: not measured in this run).
struct Row {
    measure: String,
    result: String,
    target: &'static str,
    met: Option<bool>,
}

/// Prints the table and returns it as JSON.
pub fn print(report: &Value) -> Value {
    let mut rows = chains(report);
    rows.extend(scale(report));
    rows.extend(footprint(report));
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["measure", "result", "target", "met"]);
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        table.add_row([r.measure.as_str(), r.result.as_str(), r.target, met]);
    }
    println!("\nSummary (issue 16's targets):\n{table}");
    json!(rows
        .iter()
        .map(
            |r| json!({"measure": r.measure, "result": r.result, "target": r.target, "met": r.met})
        )
        .collect::<Vec<_>>())
}

/// Critical-path length and wall time against the bound, per operation, at 50 ms a call.
fn chains(report: &Value) -> Vec<Row> {
    let limits = [("Create", 8), ("Update", 5), ("Delete", 8)];
    let runs = report["operations"].as_array().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    for (operation, limit) in limits {
        let Some(run) = runs
            .iter()
            .find(|r| r["latency_ms"] == 50 && r["operation"] == operation)
        else {
            continue;
        };
        let chain = run["chain"].as_u64().unwrap_or(u64::MAX);
        let wall = run["wall_ms"].as_f64().unwrap_or(f64::NAN);
        let bound = run["bound_ms"].as_f64().unwrap_or(f64::NAN);
        // moto's own time: the same operation with no added latency.
        let moto = runs
            .iter()
            .find(|r| r["latency_ms"] == 0 && r["operation"] == operation)
            .and_then(|r| r["wall_ms"].as_f64())
            .unwrap_or(f64::NAN);
        rows.push(Row {
            measure: format!("{operation}: chain of dependent calls"),
            result: chain.to_string(),
            target: match operation {
                "Update" => "≤ 5",
                _ => "≤ 8",
            },
            met: Some(chain <= limit),
        });
        rows.push(Row {
            measure: format!("{operation}: wall time / bound, 50 ms a call"),
            result: format!("{:.2}", wall / bound),
            target: "-",
            met: None,
        });
        let net = (wall - moto) / bound;
        rows.push(Row {
            measure: format!("{operation}: (wall − moto's own time) / bound"),
            result: format!("{net:.2}"),
            target: "≤ 1.15",
            met: Some(net <= 1.15),
        });
    }
    rows
}

/// The scale run: calls per stack against one stack alone, and time per stack.
fn scale(report: &Value) -> Vec<Row> {
    let s = &report["scale"];
    let mut rows = Vec::new();
    for op in s["operations"].as_array().cloned().unwrap_or_default() {
        let name = op["operation"].as_str().unwrap_or_default();
        let alone = op["calls_alone"].as_u64().unwrap_or(0);
        let calls: Vec<u64> = values(&op["calls_per_stack"])
            .filter_map(|v| v.as_u64())
            .collect();
        let most = calls.iter().copied().max().unwrap_or(0);
        rows.push(Row {
            measure: format!("{} stacks at once, {name}: calls per stack", s["stacks"]),
            result: format!(
                "{}–{most} (alone {alone})",
                calls.iter().min().unwrap_or(&0)
            ),
            target: "= alone",
            met: Some(!calls.is_empty() && calls.iter().all(|c| *c == alone)),
        });
        let walls: Vec<f64> = values(&op["wall_per_stack_ms"])
            .filter_map(Value::as_f64)
            .collect();
        let median = walls.get(walls.len() / 2).copied().unwrap_or(f64::NAN);
        let ratio = median / op["wall_alone_ms"].as_f64().unwrap_or(f64::NAN);
        rows.push(Row {
            measure: format!(
                "{} stacks at once, {name}: median time per stack",
                s["stacks"]
            ),
            result: format!("{ratio:.2}× alone"),
            target: "≤ 1.5×",
            met: Some(ratio <= 1.5),
        });
    }
    let clean = s["not_success"] == 0
        && s["shared"].as_array().is_some_and(Vec::is_empty)
        && s["left_behind"].as_array().is_some_and(Vec::is_empty);
    rows.push(Row {
        measure: "scale run: all SUCCESS, no cross-talk, nothing left".into(),
        result: if clean { "yes" } else { "no (see above)" }.into(),
        target: "yes",
        met: s.get("stacks").map(|_| clean),
    });
    rows
}

/// Package size, cold start and memory.
fn footprint(report: &Value) -> Vec<Row> {
    let zip = report["arm64_zip_bytes"].as_f64().map(|b| b / 1e6);
    let cold = report["cold_start_ms"]["to_first_next"]["median"].as_f64();
    let rss = report["peak_rss_mib"].as_f64();
    vec![
        Row {
            measure: "arm64 deployment zip".into(),
            result: zip.map_or("not built".into(), |z| format!("{z:.2} MB")),
            target: "≤ 3.0 MB",
            met: zip.map(|z| z <= 3.0),
        },
        Row {
            measure: "cold start, median (process start → first /next)".into(),
            result: cold.map_or("-".into(), |c| format!("{c:.1} ms")),
            target: "≤ 10 ms",
            met: cold.map(|c| c <= 10.0),
        },
        Row {
            measure: "peak RSS during Create".into(),
            result: rss.map_or("-".into(), |r| format!("{r:.1} MiB")),
            target: "≤ 20 MiB",
            met: rss.map(|r| r <= 20.0),
        },
    ]
}

fn values(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}
