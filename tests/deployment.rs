//! Deployment controls and observability (issue #15, part): `MinimumHealthyPercent`,
//! `MaximumPercent` and `CircuitBreaker` reach ECS on Create and change in place with one
//! UpdateService and no new revision (asserted on the requests the proxy forwarded: moto drops
//! `deploymentConfiguration` from what it returns); `ContainerInsights` is the cluster's
//! setting, changed with one UpdateCluster.

use serde_json::{json, Value};

use crate::support::{unique, Harness, Stack};

/// The cluster's `containerInsights` setting, as ECS reports it.
async fn insights(h: &Harness, cluster: &str) -> Option<String> {
    let out = h
        .clients
        .ecs
        .describe_clusters()
        .clusters(cluster)
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .send()
        .await
        .expect("cluster");
    let settings = out.clusters().first()?.settings().to_vec();
    settings.first()?.value().map(str::to_string)
}

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
    let cluster = format!("deployment-{}", unique());
    let props = h.properties(json!({"ClusterName": cluster, "ContainerInsights": "enhanced"}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    // ECS's own defaults, said explicitly.
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"],
        configuration(100, 200, true)
    );
    assert_eq!(insights(&h, &cluster).await.as_deref(), Some("enhanced"));
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
    let mut off = changed.clone();
    off["ContainerInsights"] = json!("disabled");
    let before = h.proxy.calls().len();
    h.invoke(stack.update(&id, &changed, &off))
        .await
        .assert_success();
    assert_eq!(h.writes_since(before), ["UpdateCluster"]);
    assert_eq!(insights(&h, &cluster).await.as_deref(), Some("disabled"));
    let changed = off;
    h.invoke(stack.delete(&id, &changed)).await.assert_success();
}
