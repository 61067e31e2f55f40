//! `SmokeChecks` (issue #27): GET requests a one-off task of the new revision sends through the
//! set's test listener rule before production traffic moves (rule 28b plays the task, rule
//! 27c the `PAUSE` hook). A new set runs them after its test rule is made and before the
//! ModifyRule that routes it; an in-place Update's deployment pauses after its test traffic
//! shift until prod-e answers ContinueServiceDeployment: CONTINUE when every check passed,
//! else ROLLBACK, and the operation answers FAILED naming the check and the answer it got,
//! production traffic never having moved. CloudFormation's rollback runs no check.

use serde_json::{json, Value};

use crate::emulator::assert_nothing_left;
use crate::migration::{across_invocations, requests};
use crate::strategy::forwards;
use crate::support::proxy::Fault;
use crate::support::{unique, Harness, Stack};

/// A BLUE_GREEN set with a test host and two checks.
fn checked(h: &Harness) -> Value {
    h.properties(json!({
        "ClusterName": format!("smoke-{}", unique()),
        "DeploymentStrategy": "BLUE_GREEN",
        "TestHostHeaders": ["test.example.com"],
        "SmokeChecks": [{"Path": "/health"}, {"Path": "/", "TimeoutSeconds": 2}],
    }))
}

/// Indexes of the provider's form-encoded (ELBv2) calls of `action` from `from` on whose body
/// mentions `text`.
fn elb_calls(h: &Harness, from: usize, action: &str, text: &str) -> Vec<usize> {
    let calls = h.proxy.calls();
    let found = calls.iter().enumerate().skip(from);
    let decoded = |body: &str| prod_e_testkit::http::percent_decode(body);
    found
        .filter(|(_, c)| c.action == action && decoded(&c.body).contains(text))
        .map(|(i, _)| i)
        .collect()
}

/// A smoke-check task's environment, by name.
fn environment(run: &Value) -> serde_json::Map<String, Value> {
    let pairs = run["overrides"]["containerOverrides"][0]["environment"].as_array();
    let pairs = pairs.cloned().unwrap_or_default();
    pairs
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                p["value"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn passing_checks_continue_the_paused_deployment() {
    let h = Harness::new().await;
    let stack = Stack::new("smoke");
    let props = checked(&h);
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let rule = out.data("ListenerRuleArn");
    // A new set: the checks ran once, through the test host, after the test rule was made and
    // before the ModifyRule that routed the production rule.
    let [(ran, run)] = requests(&h, 0, "RunTask").try_into().expect("one RunTask");
    let env = environment(&run);
    assert_eq!(env["PROD_E_SMOKE_HOST"], "test.example.com");
    assert_eq!(env["PROD_E_SMOKE_CHECKS"], "/health 200 5\n/ 200 2");
    let url = env["PROD_E_SMOKE_URL"].as_str().unwrap_or_default();
    assert!(url.starts_with("http://") && url.ends_with(":80"), "{url}");
    let started_by = run["startedBy"].as_str().unwrap_or_default();
    assert!(started_by.starts_with(&format!("{id}/")), "{started_by}");
    assert!(started_by.ends_with("/smoke"), "{started_by}");
    let made = elb_calls(&h, 0, "CreateRule", "test.example.com");
    assert!(
        made.iter().any(|m| *m < ran),
        "the test rule came after the checks"
    );
    let routed = elb_calls(&h, 0, "ModifyRule", &rule);
    assert!(
        routed.iter().any(|r| *r > ran),
        "production traffic moved before the checks"
    );
    assert!(
        routed.iter().all(|r| *r > ran),
        "a ModifyRule of the rule before the checks"
    );
    let hooks = &h.last_request("UpdateService")["deploymentConfiguration"]["lifecycleHooks"];
    assert_eq!(
        hooks,
        &json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}])
    );

    // A new image: the deployment pauses, the checks run, prod-e answers CONTINUE (the reply
    // lost: the SDK's retry is refused, the pause having ended), and production traffic moves
    // to the new revision.
    h.proxy
        .fail_first("ContinueServiceDeployment", 1, Fault::Lost);
    let from = h.proxy.calls().len();
    let mut next = props.clone();
    next["Image"] = json!("nginx:1.28");
    h.invoke(stack.update(&id, &props, &next))
        .await
        .assert_success();
    let [(ran, _)] = requests(&h, from, "RunTask")
        .try_into()
        .expect("one RunTask");
    let [(answered, answer), (_, again)] = requests(&h, from, "ContinueServiceDeployment")
        .try_into()
        .expect("an answer and its retry");
    assert!(ran < answered);
    let actions = (&answer["action"], &again["action"]);
    assert_eq!(actions, (&json!("CONTINUE"), &json!("CONTINUE")));
    let moved = forwards(&h, &rule).await;
    assert_eq!(moved.iter().map(|(_, w)| *w).collect::<Vec<_>>(), [0, 1]);

    // Without checks, the pause goes with the next deployment.
    let mut unchecked = next.clone();
    unchecked["SmokeChecks"] = json!([]);
    h.invoke(stack.update(&id, &next, &unchecked))
        .await
        .assert_success();
    let hooks = &h.last_request("UpdateService")["deploymentConfiguration"]["lifecycleHooks"];
    assert_eq!(hooks, &json!([]));
    h.invoke(stack.delete(&id, &unchecked))
        .await
        .assert_success();
    assert_nothing_left(&h, &id, &unchecked).await;
}

#[tokio::test]
async fn a_failing_check_rolls_the_paused_deployment_back_naming_the_check() {
    let h = Harness::new().await;
    let stack = Stack::new("smoke-fail");
    let props = checked(&h);
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let rule = out.data("ListenerRuleArn");
    let before = forwards(&h, &rule).await;

    h.proxy.rules.smoke_answers("nginx:bad", "/health", "503");
    let from = h.proxy.calls().len();
    let mut bad = props.clone();
    bad["Image"] = json!("nginx:bad");
    let failed = h.invoke(stack.update(&id, &props, &bad)).await;
    assert_eq!(failed.status(), "FAILED");
    let reason = failed.reason();
    let named = "SmokeChecks check 1 (GET /health through the test listener rule, expected \
                 200) answered 503 (task arn:aws:ecs:";
    assert!(reason.contains(named), "{reason}");
    assert!(reason.contains("log stream ecs/"), "{reason}");
    let rolled_back = "the deployment was rolled back to the previous revision";
    assert!(reason.contains(rolled_back), "{reason}");
    let [(_, answer)] = requests(&h, from, "ContinueServiceDeployment")
        .try_into()
        .expect("one answer");
    assert_eq!(answer["action"], "ROLLBACK");
    // Production traffic never moved.
    assert_eq!(forwards(&h, &rule).await, before);

    // CloudFormation's rollback: its deployment pauses too, and goes on without a check.
    let from = h.proxy.calls().len();
    h.invoke(stack.update(&id, &bad, &props))
        .await
        .assert_success();
    assert!(
        requests(&h, from, "RunTask").is_empty(),
        "a check ran in a rollback"
    );
    let answers = requests(&h, from, "ContinueServiceDeployment");
    let actions: Vec<&Value> = answers.iter().map(|(_, a)| &a["action"]).collect();
    assert_eq!(actions, [&json!("CONTINUE")]);
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test]
async fn a_failing_check_leaves_a_new_set_unrouted_and_removed() {
    let h = Harness::new().await;
    let stack = Stack::new("smoke-new");
    let mut props = checked(&h);
    props["Image"] = json!("nginx:broken");
    h.proxy
        .rules
        .smoke_answers("nginx:broken", "/", "no response within 2s");
    let failed = h.invoke(stack.create(&props)).await;
    assert_eq!(failed.status(), "FAILED");
    let reason = failed.reason();
    let named = "SmokeChecks check 2 (GET / through the test listener rule, expected 200) \
                 answered no response within 2s";
    assert!(reason.contains(named), "{reason}");
    assert!(
        reason.contains("production traffic was not moved to the new set"),
        "{reason}"
    );
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_that_outlast_their_invocation_are_waited_for_not_run_again() {
    let h = Harness::new().await;
    let stack = Stack::new("smoke-long");
    let props = checked(&h);
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let mut next = props.clone();
    next["Image"] = json!("nginx:1.28");
    let before = across_invocations(&h, stack.update(&id, &props, &next)).await;
    let answers = requests(&h, before, "ContinueServiceDeployment");
    let actions: Vec<&Value> = answers.iter().map(|(_, a)| &a["action"]).collect();
    assert_eq!(actions, [&json!("CONTINUE")]);
}

#[tokio::test]
async fn checks_that_never_ran_or_never_end_fail_rather_than_pass() {
    let h = Harness::new().await;
    let stack = Stack::new("smoke-unrun");
    let props = checked(&h);
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    // An image whose ENTRYPOINT ignores its command: the task exits 0 without a check.
    let script = prod_e::smoke_check::command();
    let script: Vec<&str> = script.iter().map(String::as_str).collect();
    h.proxy.rules.one_off_exits(&script, 0);
    let mut ignoring = props.clone();
    ignoring["Image"] = json!("nginx:entrypoint");
    let failed = h.invoke(stack.update(&id, &props, &ignoring)).await;
    assert_eq!(failed.status(), "FAILED");
    let reason = failed.reason();
    assert!(
        reason.contains("task exited with code 0 before its checks ended"),
        "{reason}"
    );
    h.invoke(stack.roll_back(&id, &ignoring, &props))
        .await
        .assert_success();

    // A task that never ends: stopped once past its time, and the deployment rolled back.
    h.proxy.rules.one_off_exits(&script, 100);
    h.proxy.rules.one_offs_run_for(u32::MAX);
    h.proxy.rules.one_offs_created_ago(367.0);
    let from = h.proxy.calls().len();
    let mut hanging = props.clone();
    hanging["Image"] = json!("nginx:hangs");
    let failed = h.invoke(stack.update(&id, &props, &hanging)).await;
    assert_eq!(failed.status(), "FAILED");
    let reason = failed.reason();
    assert!(
        reason.contains("task ran past 367 s without ending its checks"),
        "{reason}"
    );
    assert_eq!(requests(&h, from, "StopTask").len(), 1);
    let [(_, answer)] = requests(&h, from, "ContinueServiceDeployment")
        .try_into()
        .expect("one answer");
    assert_eq!(answer["action"], "ROLLBACK");
}
