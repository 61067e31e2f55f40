//! `prod-e logs` (issue #15, part): a deployment's container lines oldest first with the task
//! of each, one task's only, as JSON, and `--follow` printing a line written after it started.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::cli::{aws_env, deployed, prod_e};
use crate::support::patience::PATIENCE;
use crate::support::Harness;

/// Writes `lines` (milliseconds before now, message) to `stream` of `group`, as the awslogs
/// driver would.
async fn write(h: &Harness, group: &str, stream: &str, lines: &[(i64, &str)]) {
    let logs = &h.clients.logs;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let created = logs
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await;
    if let Err(e) = created {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_already_exists_exception());
        assert!(exists, "{e:?}");
    }
    let mut put = logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream);
    for (ago, message) in lines {
        let event = aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
            .timestamp(now - ago)
            .message(*message)
            .build()
            .expect("event");
        put = put.log_events(event);
    }
    put.send().await.expect("put log events");
}

#[tokio::test]
async fn logs_show_each_line_with_its_task_oldest_first_and_follow_new_ones() {
    let (h, stack, props, id) = deployed("logs").await;
    let group = prod_e::naming::Deployment::parse(&id)
        .expect("id")
        .log_group();
    write(
        &h,
        &group,
        "ecs/dummy-container/task-a",
        &[(3000, "first"), (1000, "third")],
    )
    .await;
    write(
        &h,
        &group,
        "ecs/dummy-container/task-b",
        &[(2000, "second")],
    )
    .await;

    let (code, out, err) = prod_e(&["logs", "--physical-id", &id]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().skip(1).collect())
        .collect();
    assert_eq!(
        lines,
        [
            ["task-a", "first"],
            ["task-b", "second"],
            ["task-a", "third"]
        ]
    );
    let (_, out, _) = prod_e(&["logs", "--physical-id", &id, "--task", "task-b"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("second"), "{out}");
    let (_, out, _) = prod_e(&["--output", "json", "logs", "--physical-id", &id]);
    let json: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["log_group"], group.as_str());
    assert_eq!(json["events"].as_array().map(Vec::len), Some(3));

    // --follow: the three lines, then one written after it started.
    let mut child = Command::new(env!("CARGO_BIN_EXE_prod-e"))
        .args(["logs", "--physical-id", &id, "--follow"])
        .envs(aws_env())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run prod-e logs --follow");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || rx.recv_timeout(PATIENCE).expect("a line");
    let first: Vec<String> = (0..3).map(|_| next()).collect();
    assert!(first[2].ends_with("third"), "{first:?}");
    write(&h, &group, "ecs/dummy-container/task-b", &[(0, "fourth")]).await;
    let fourth = next();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        fourth.ends_with("fourth") && fourth.contains("task-b"),
        "{fourth}"
    );
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}
