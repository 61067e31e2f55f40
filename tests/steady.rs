//! Steady state, and operations longer than one invocation: Create and Update answer once
//! the service is steady; a rollout the circuit breaker stops fails with the service's
//! events; a wait longer than the invocation continues in new asynchronous invocations of
//! the real binary until one answers, exactly once, within the overall limit.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::inspect;
use crate::support::capture::Capture;
use crate::support::patience::{releasing, SHORT_LAMBDA_TIME};
use crate::support::proxy::{Fault, Proxy};
use crate::support::rollout::Rollout;
use crate::support::runtime::{Function, Reported};
use crate::support::{moto, unique, Harness, Stack};

/// What DescribeNetworkInterfaces answers while Fargate still holds a task ENI (moto has none).
const ONE_ENI: &str = "<DescribeNetworkInterfacesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><networkInterfaceSet><item><networkInterfaceId>eni-0task</networkInterfaceId><status>in-use</status></item></networkInterfaceSet></DescribeNetworkInterfacesResponse>";

const EVENTS: [&str; 2] = [
    "(service prod-e-service) failed to launch a task with (error ECS was unable to assume the role).",
    "(service prod-e-service) deployment ecs-svc/123 deployment failed: tasks failed to start.",
];

#[tokio::test]
async fn a_create_whose_rollout_the_circuit_breaker_stops_fails_with_the_events() {
    let h = Harness::new().await;
    h.proxy
        .rollouts
        .set_for_new(Rollout::Failed(EVENTS.map(str::to_string).to_vec()));
    let stack = Stack::new("breaker");
    let props = h.properties(json!({"ClusterName": format!("breaker-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(
        out.reason(),
        format!(
            "the deployment of ECS service (prod-e-service) failed and a deployment alarm or the circuit breaker rolled it back; \
             latest service events: {} | {} (everything created was removed again)",
            EVENTS[0], EVENTS[1]
        )
    );
    inspect::assert_nothing_of(&h.clients, &stack).await;
    println!("FIGURE circuit breaker: a Create whose rollout the breaker stops is FAILED with the service's events, and nothing is left");
}

#[tokio::test]
async fn an_update_whose_rollout_fails_keeps_its_id_for_the_rollback() {
    let h = Harness::new().await;
    let stack = Stack::new("breaker-upd");
    let props = h.properties(json!({"ClusterName": format!("breaker-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    h.proxy
        .rollouts
        .set_for_all(Rollout::Failed(EVENTS.map(str::to_string).to_vec()));
    let mut new = props.clone();
    new["Image"] = json!("nginx:broken");
    let out = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(out.physical_id(), id);
    assert!(out.reason().contains(EVENTS[1]), "{}", out.reason());
    // With steady-state waits off, the same Update answers as soon as ECS accepted it.
    new["WaitForSteadyState"] = json!("false");
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    h.invoke(stack.delete(&id, &new)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn delete_waits_for_the_task_network_interfaces_before_the_security_group() {
    let h = Harness::new().await;
    let stack = Stack::new("enis");
    let props = h.properties(json!({"ClusterName": format!("enis-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    // Fargate releases task ENIs minutes after the service is gone; moto has none.
    h.proxy
        .fail_first("DescribeNetworkInterfaces", 3, Fault::Answer(ONE_ENI));
    let start = h.proxy.calls().len();
    h.invoke(stack.delete(&created.physical_id(), &props))
        .await
        .assert_success();
    let calls: Vec<String> = h.proxy.calls()[start..]
        .iter()
        .map(|c| c.action.clone())
        .filter(|a| a == "DescribeNetworkInterfaces" || a == "DeleteSecurityGroup")
        .collect();
    assert_eq!(
        calls,
        [
            "DescribeNetworkInterfaces",
            "DescribeNetworkInterfaces",
            "DescribeNetworkInterfaces",
            "DescribeNetworkInterfaces",
            "DeleteSecurityGroup"
        ]
    );
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

/// The real binary behind `proxy`, each invocation getting `time`.
async fn function(proxy: &Proxy, time: Duration) -> Function {
    Function::start(
        env!("CARGO_BIN_EXE_prod-e-provisioner"),
        &proxy.endpoint,
        time,
        &[],
    )
    .await
}

/// Runs `event` (its ResponseURL replaced by `capture`'s) until an answer arrives and every
/// invocation has ended; returns the answers, and how long the first took to arrive.
async fn run(f: &Function, capture: &Capture, mut event: Value) -> (Vec<Value>, Duration) {
    event["ResponseURL"] = json!(capture.url);
    let started = Instant::now();
    f.submit(&event);
    let deadline = started + Duration::from_secs(120);
    let mut answered = None;
    while answered.is_none() || !f.idle() {
        assert!(Instant::now() < deadline, "no answer: {:?}", f.reports());
        if answered.is_none() && !capture.requests().is_empty() {
            answered = Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Nothing else may come: no late answer, no further invocation.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(f.idle(), "an invocation started after the answer");
    let answers = capture
        .requests()
        .iter()
        .map(|r| serde_json::from_slice(&r.body).expect("json answer"))
        .collect();
    (answers, answered.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_longer_than_an_invocation_finishes_in_a_later_one_with_one_answer() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    proxy.rollouts.set_for_new(Rollout::Stuck);
    let f = function(&proxy, SHORT_LAMBDA_TIME).await;
    let capture = Capture::start("/cfn/answer?X-Amz-Signature=secret-signature", vec![200]).await;
    let stack = Stack::new("long-rollout");
    let props = h.properties(json!({"ClusterName": format!("long-{}", unique())}));

    // The rollout completes once the third invocation is queued: it outlasts two invocations,
    // however fast or slow the machine.
    let (answers, _) = releasing(
        run(&f, &capture, stack.create(&props)),
        "the Create to be continued twice",
        || f.continuations().len() >= 2,
        || proxy.rollouts.set_for_all(Rollout::Done),
    )
    .await;
    assert_eq!(answers.len(), 1, "exactly one answer: {answers:?}");
    assert_eq!(answers[0]["Status"], "SUCCESS", "{}", answers[0]);
    let id = stack.deployment(&props).physical_id().to_string();
    assert_eq!(answers[0]["PhysicalResourceId"], id);

    let reports = f.reports();
    let continuations = f.continuations();
    assert!(reports.len() >= 3, "{} invocation(s)", reports.len());
    assert_eq!(continuations.len(), reports.len() - 1);
    for (i, (_, report)) in reports.iter().enumerate() {
        let Reported::Response(value) = report else {
            panic!("invocation {i} failed: {report:?}");
        };
        match i + 1 == reports.len() {
            true => assert_eq!(value["Status"], "SUCCESS"),
            false => assert_eq!(value["Continued"], json!(i + 2)),
        }
    }
    for (i, payload) in continuations.iter().enumerate() {
        assert_eq!(payload["ProdEContinuation"]["Invocation"], json!(i + 2));
        assert_eq!(payload["RequestId"], answers[0]["RequestId"]);
        let size = serde_json::to_vec(payload).expect("json").len();
        assert!(size < 8 * 1024, "continuation payload of {size} bytes");
    }
    assert!(
        !f.log().contains("secret-signature"),
        "the ResponseURL reached the log"
    );
    println!(
        "FIGURE continuation: a rollout outlasting two 16 s invocations finished in {} invocations with 1 answer; payload {} bytes",
        reports.len(),
        serde_json::to_vec(&continuations[0]).map_or(0, |b| b.len())
    );

    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_overall_limit_the_operation_fails_naming_what_was_pending() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    proxy.rollouts.set_for_new(Rollout::Stuck);
    let f = function(&proxy, SHORT_LAMBDA_TIME).await;
    let capture = Capture::start("/cfn/answer", vec![200]).await;
    let stack = Stack::new("overall-limit");
    // A task family of its own: the shared default one holds every other test's revisions,
    // which each invocation lists again.
    let own = format!("limit-{}", unique());
    let props = h.properties(json!({
        "ClusterName": own,
        "TaskFamily": format!("prod-e-{own}"),
        // Room for three invocations (waits hand over after 8 s), less the limit's margin.
        "ServiceTimeout": "24",
    }));

    let (answers, answered_after) = run(&f, &capture, stack.create(&props)).await;
    assert_eq!(answers.len(), 1, "exactly one answer: {answers:?}");
    let answer = &answers[0];
    assert_eq!(answer["Status"], "FAILED");
    let reason = answer["Reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("gave up after "), "{reason}");
    // Named by the wait ("to reach a steady state") or by its step, if the limit came while
    // it ran ("to be steady"): either way, the pending wait for the service.
    let limit = "(ServiceTimeout 24 s, less a margin to answer): still waiting for ECS service";
    assert!(
        reason.contains(&format!("{limit} (prod-e-service) to reach a steady state"))
            || reason.contains(&format!("{limit} (prod-e-service) to be steady")),
        "{reason}"
    );
    // How long it took is a figure, not a check: the limit is the provider's own clock
    // (`Limit::left`, unit-tested), and a loaded machine answers when it can.
    // Resources exist: the id is the real one, for CloudFormation's rollback Delete.
    let id = stack.deployment(&props).physical_id().to_string();
    assert_eq!(answer["PhysicalResourceId"], id);
    let invocations = f.reports().len();
    assert!(invocations >= 3, "{invocations} invocation(s)");
    assert_eq!(f.continuations().len(), invocations - 1);
    println!(
        "FIGURE overall limit: ServiceTimeout 24 s, a rollout that never completes, 16 s invocations: FAILED after {:.1} s over {invocations} invocations naming the pending wait; 1 answer, no invocation after it",
        answered_after.as_secs_f64()
    );

    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn an_update_continued_in_another_invocation_writes_once() {
    continued_update(json!({"Image": "nginx:1.27"})).await;
    // A new family: the continuation must wait for the revision registered there.
    continued_update(
        json!({"Image": "nginx:1.27", "TaskFamily": format!("prod-e-fam-{}", unique())}),
    )
    .await;
}

/// An in-place Update with `changes` whose rollout outlasts an invocation: one registration,
/// one UpdateService, SUCCESS once the service runs the new revision.
async fn continued_update(changes: Value) {
    let h = Harness::new().await;
    let stack = Stack::new("continued-update");
    let cluster = format!("cont-{}", unique());
    let props = h.properties(json!({"ClusterName": cluster}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    // The new revision rolls out until the Update has handed over to another invocation.
    h.proxy.rollouts.set_for_all(Rollout::Stuck);
    let mut new = props.clone();
    if let (Some(n), Value::Object(c)) = (new.as_object_mut(), changes) {
        n.extend(c);
    }
    let (start, queued) = (h.proxy.calls().len(), h.proxy.invocations().len());
    let (out, invocations) = releasing(
        h.invoke_to_the_end(stack.update(&id, &props, &new), SHORT_LAMBDA_TIME),
        "the Update to hand over to another invocation",
        || h.proxy.invocations().len() > queued,
        || h.proxy.rollouts.set_for_all(Rollout::Done),
    )
    .await;
    out.assert_success();
    assert!(invocations >= 2, "{invocations} invocation(s)");
    let writes: Vec<String> = h.proxy.calls()[start..]
        .iter()
        .map(|c| c.action.clone())
        .filter(|a| a == "RegisterTaskDefinition" || a == "UpdateService")
        .collect();
    assert_eq!(writes, ["RegisterTaskDefinition", "UpdateService"]);
    let svc = inspect::service(&h.clients, &cluster, "prod-e-service").await;
    assert_eq!(svc.task_definition, out.data("TaskDefinitionArn"));
    assert_eq!(
        inspect::task_definition(&h.clients, &svc.task_definition)
            .await
            .image,
        "nginx:1.27"
    );
    let first = created.data("TaskDefinitionArn");
    assert_eq!(
        inspect::task_definition(&h.clients, &first).await.status,
        "INACTIVE"
    );
    h.invoke(stack.delete(&id, &new)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_waiting_for_enis_longer_than_an_invocation_continues() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    let f = function(&proxy, SHORT_LAMBDA_TIME).await;
    let capture = Capture::start("/cfn/answer", vec![200]).await;
    let stack = Stack::new("eni-delete");
    let props = h.properties(json!({"ClusterName": format!("enid-{}", unique())}));
    h.invoke(stack.create(&props)).await.assert_success();
    // Fargate holds the task ENIs until the Delete has handed over to another invocation.
    let eni = Fault::Answer(ONE_ENI);
    proxy.fail_first("DescribeNetworkInterfaces", u32::MAX, eni);
    let id = stack.deployment(&props).physical_id().to_string();
    let (answers, _) = releasing(
        run(&f, &capture, stack.delete(&id, &props)),
        "the Delete to hand over to another invocation",
        || !f.continuations().is_empty(),
        || proxy.calm(),
    )
    .await;
    assert_eq!(answers.len(), 1, "exactly one answer: {answers:?}");
    assert_eq!(answers[0]["Status"], "SUCCESS", "{}", answers[0]);
    assert!(
        f.reports().len() >= 2,
        "{} invocation(s)",
        f.reports().len()
    );
    let deletes = proxy
        .calls()
        .iter()
        .filter(|c| c.action == "DeleteSecurityGroup")
        .count();
    assert_eq!(deletes, 1);
    inspect::assert_nothing_of(&h.clients, &stack).await;
}
