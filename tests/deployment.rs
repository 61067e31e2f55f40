//! Deployment controls (issue #15, part): `MinimumHealthyPercent`, `MaximumPercent` and
//! `CircuitBreaker` reach ECS on Create and change in place with one UpdateService and no new
//! revision. Asserted on the requests the proxy forwarded: moto drops `deploymentConfiguration`
//! from what it returns.

use serde_json::{json, Value};

use crate::support::{unique, Harness, Stack};

fn configuration(min: u32, max: u32, breaker: bool) -> Value {
    json!({
        "deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker},
        "maximumPercent": max,
        "minimumHealthyPercent": min,
    })
}

#[tokio::test]
async fn deployment_settings_are_created_and_changed_in_place() {
    let h = Harness::new().await;
    let stack = Stack::new("deployment");
    let props = h.properties(json!({"ClusterName": format!("deployment-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    // ECS's own defaults, said explicitly.
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"],
        configuration(100, 200, true)
    );
    let id = out.physical_id();
    let mut changed = props.clone();
    changed["MinimumHealthyPercent"] = json!(50);
    changed["MaximumPercent"] = json!("150");
    changed["CircuitBreaker"] = json!(false);
    let before = h.proxy.calls().len();
    h.invoke(stack.update(&id, &props, &changed))
        .await
        .assert_success();
    assert_eq!(h.writes_since(before), ["UpdateService"]);
    let update = h.last_request("UpdateService");
    assert_eq!(
        update["deploymentConfiguration"],
        configuration(50, 150, false)
    );
    assert_eq!(update.get("taskDefinition"), None, "{update}");
    h.invoke(stack.delete(&id, &changed)).await.assert_success();
}
