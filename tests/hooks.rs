//! `LifecycleHooks` (issue #27): Lambda functions ECS invokes at the stages of a set's native
//! deployments. The switch to the strategy hands ECS the hooks with the set's traffic role,
//! which may invoke exactly them; a deployment runs them (rule 27b); a hook that answers
//! FAILED rolls the deployment back and the operation answers FAILED naming it, the previous
//! revision serving; a function outside the operator's `LifecycleHookFunctionArns` is refused
//! before anything is written.

use serde_json::{json, Value};

use crate::inspect;
use crate::support::call::Fields;
use crate::support::{unique, Harness, Stack};
use prod_e::naming::Deployment;

const CHECK: &str = "arn:aws:lambda:us-east-1:123456789012:function:team-a-smoke";

/// The statements of the traffic role's hooks policy (none if it has none).
async fn invoke_grants(h: &Harness, d: &Deployment) -> Vec<Value> {
    let iam = &h.clients.iam;
    let policy = iam.get_role_policy().role_name(d.traffic_role());
    let Ok(policy) = policy.policy_name("prod-e-hooks").send().await else {
        return Vec::new();
    };
    let text = prod_e_testkit::http::percent_decode(policy.policy_document());
    let document: Value = serde_json::from_str(&text).expect("json");
    document["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Properties of a CANARY set whose one hook runs `function` after the test traffic shift
/// and after the production one.
fn hooked(h: &Harness, function: &str, details: Value) -> Value {
    h.properties(json!({
        "ClusterName": format!("hooks-{}", unique()),
        "DeploymentStrategy": "CANARY",
        "LifecycleHooks": [{"HookTargetArn": function,
            "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"],
            "HookDetails": details}],
    }))
}

/// A harness whose operator allows the functions `team-a-*`.
async fn allowing_team_a() -> Harness {
    let mut h = Harness::new().await;
    let allowed = "arn:aws:lambda:us-east-1:123456789012:function:team-a-*";
    h.provider.clients.caps.hook_functions = Some(vec![allowed.to_string()]);
    h
}

#[tokio::test]
async fn hooks_run_at_their_stages_and_a_failing_one_rolls_the_deployment_back() {
    let h = allowing_team_a().await;
    let stack = Stack::new("hooks");
    let props = hooked(&h, CHECK, json!({"Path": "/health"}));
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

    h.invoke(stack.delete(&id, &next)).await.assert_success();
}

#[tokio::test]
async fn a_changed_hook_is_granted_before_its_deployment_and_the_old_one_revoked_after() {
    let h = allowing_team_a().await;
    let stack = Stack::new("hooks-change");
    let props = hooked(&h, CHECK, json!({"Path": "/health"}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, d) = (
        out.physical_id(),
        Deployment::parse(&out.physical_id()).expect("ours"),
    );
    // Another function, other details: the Update's UpdateService names the role, and ECS
    // may invoke both while it deploys, only the new one after.
    let other = "arn:aws:lambda:us-east-1:123456789012:function:team-a-approve";
    let mut changed = props.clone();
    changed["LifecycleHooks"][0]["HookTargetArn"] = json!(other);
    changed["LifecycleHooks"][0]["HookDetails"] = json!({"Path": "/ready"});
    let calls_before = h.proxy.calls().len();
    h.invoke(stack.update(&id, &props, &changed))
        .await
        .assert_success();
    let role_arn = format!("arn:aws:iam::123456789012:role/{}", d.traffic_role());
    let update = h.last_request("UpdateService");
    let hook = &update["deploymentConfiguration"]["lifecycleHooks"][0];
    assert_eq!(
        (&hook["hookTargetArn"], &hook["roleArn"]),
        (&json!(other), &json!(role_arn))
    );
    assert_eq!(hook["hookDetails"], json!({"Path": "/ready"}));
    // The hooks policy's grants, put in order: both functions, then the new one alone.
    let granted: Vec<Value> = h.proxy.calls()[calls_before..]
        .iter()
        .filter(|c| c.action == "PutRolePolicy")
        .map(Fields::of)
        .filter(|f| f.get("PolicyName").as_deref() == Some("prod-e-hooks"))
        .map(|f| {
            let text = f.get("PolicyDocument").unwrap_or_default();
            let document: Value = serde_json::from_str(&text).expect("json");
            document["Statement"][0]["Resource"].clone()
        })
        .collect();
    assert_eq!(granted, [json!([other, CHECK]), json!([other])]);
    // Back to ROLLING: ECS is told no hooks, and the role loses its hooks policy.
    let mut rolling = changed.clone();
    rolling["DeploymentStrategy"] = json!("ROLLING");
    rolling
        .as_object_mut()
        .expect("object")
        .remove("LifecycleHooks");
    h.invoke(stack.update(&id, &changed, &rolling))
        .await
        .assert_success();
    let update = h.last_request("UpdateService");
    assert_eq!(
        update["deploymentConfiguration"]["lifecycleHooks"],
        json!([])
    );
    assert!(invoke_grants(&h, &d).await.is_empty());
    h.invoke(stack.delete(&id, &rolling)).await.assert_success();
}
