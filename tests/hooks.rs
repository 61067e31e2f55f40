//! `LifecycleHooks` (issue #27): Lambda functions ECS invokes at the stages of a set's native
//! deployments. The switch to the strategy hands ECS the hooks with the set's traffic role,
//! which may invoke exactly them; a deployment runs them (rule 27b); a hook that answers
//! FAILED rolls the deployment back and the operation answers FAILED naming it, the previous
//! revision serving; a function outside the operator's `LifecycleHookFunctionArns` is refused
//! before anything is written.

use serde_json::{json, Value};

use crate::inspect;
use crate::support::{unique, Harness, Stack};
use prod_e::naming::Deployment;

const CHECK: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-a-smoke";

/// The traffic role's inline policy statements that allow `lambda:InvokeFunction`.
async fn invoke_grants(h: &Harness, d: &Deployment) -> Vec<Value> {
    let iam = &h.clients.iam;
    let policy = iam.get_role_policy().role_name(d.traffic_role());
    let policy = policy.policy_name("prod-e-traffic").send().await;
    let policy = policy.expect("traffic policy");
    let text = prod_e_testkit::http::percent_decode(policy.policy_document());
    let document: Value = serde_json::from_str(&text).expect("json");
    let statements = document["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let invokes = |s: &Value| s["Action"] == "lambda:InvokeFunction";
    statements.into_iter().filter(invokes).collect()
}

#[tokio::test]
async fn hooks_run_at_their_stages_and_a_failing_one_rolls_the_deployment_back() {
    let mut h = Harness::new().await;
    let allowed = "arn:aws:lambda:us-east-1:123456789012:function:team-a-*";
    h.provider.clients.caps.hook_functions = Some(vec![allowed.to_string()]);
    let stack = Stack::new("hooks");
    let props = h.properties(json!({
        "ClusterName": format!("hooks-{}", unique()),
        "DeploymentStrategy": "CANARY",
        "LifecycleHooks": [{"HookTargetArn": CHECK,
            "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
            "HookDetails": {"Path": "/health"}}],
    }));
    // A function outside the operator's: refused before any write.
    let mut foreign = props.clone();
    foreign["LifecycleHooks"][0]["HookTargetArn"] =
        json!("arn:aws:lambda:us-east-1:123456789012:function:team-b-smoke");
    let refused = h.invoke(stack.create(&foreign)).await;
    assert_eq!(refused.status(), "FAILED");
    assert!(
        refused
            .reason()
            .contains("team-b-smoke is not among the operator's"),
        "{}",
        refused.reason()
    );
    assert!(h.writes_since(0).is_empty(), "{:?}", h.writes_since(0));
    inspect::assert_nothing_of(&h.clients, &stack).await;

    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let d = Deployment::parse(&id).expect("our id");
    let role_arn = format!("arn:aws:iam::123456789012:role/{}", d.traffic_role());
    let hooks = &h.last_request("UpdateService")["deploymentConfiguration"]["lifecycleHooks"];
    assert_eq!(
        hooks,
        &json!([{"targetType": "AWS_LAMBDA", "hookTargetArn": CHECK, "roleArn": role_arn,
            "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
            "hookDetails": {"Path": "/health"}}])
    );
    let grants = invoke_grants(&h, &d).await;
    assert_eq!(
        grants,
        [json!({"Effect": "Allow", "Action": "lambda:InvokeFunction",
        "Resource": [CHECK]})]
    );

    let mut next = props.clone();
    next["Image"] = json!("nginx:1.28");
    h.invoke(stack.update(&id, &props, &next))
        .await
        .assert_success();
    let invoked = h.proxy.rollouts.invocations();
    let stages: Vec<&str> = invoked.iter().map(|i| i.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"]
    );
    assert!(invoked
        .iter()
        .all(|i| i.details == json!({"Path": "/health"})));
    let rule = out.data("ListenerRuleArn");
    let before = crate::strategy::forwards(&h, &rule).await;

    // The smoke test fails on this image: rolled back, FAILED naming the hook, and the
    // revision that served still serves.
    h.proxy.rollouts.fail_hook(CHECK, "nginx:bad");
    let mut bad = next.clone();
    bad["Image"] = json!("nginx:bad");
    let failed = h.invoke(stack.update(&id, &next, &bad)).await;
    assert_eq!(failed.status(), "FAILED");
    let named = format!("ECS, on lifecycle hook(s) {CHECK} (FAILED at POST_TEST_TRAFFIC_SHIFT)");
    assert!(failed.reason().contains(&named), "{}", failed.reason());
    assert_eq!(crate::strategy::forwards(&h, &rule).await, before);
    h.invoke(stack.update(&id, &bad, &next))
        .await
        .assert_success();

    // No hooks: the role loses the grant, and ECS is told none.
    let mut none = next.clone();
    none.as_object_mut()
        .expect("object")
        .remove("LifecycleHooks");
    h.invoke(stack.update(&id, &next, &none))
        .await
        .assert_success();
    assert!(invoke_grants(&h, &d).await.is_empty());
    let hooks = &h.last_request("UpdateService")["deploymentConfiguration"]["lifecycleHooks"];
    assert_eq!(hooks, &json!([]));
    h.invoke(stack.delete(&id, &none)).await.assert_success();
}
