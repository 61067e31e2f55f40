//! Fargate Spot (issue #14): a capacity provider strategy associates its providers with the
//! cluster first (ECS refuses a strategy naming others: rule 13 of the proxy), changes in
//! place with a new deployment, and going back to the launch type is a replacement.

use serde_json::json;

use crate::support::{unique, Harness, Stack};

async fn capacity_providers(h: &Harness, cluster: &str) -> Vec<String> {
    let out = h
        .clients
        .ecs
        .describe_clusters()
        .clusters(cluster)
        .send()
        .await;
    out.expect("describe cluster").clusters()[0]
        .capacity_providers()
        .to_vec()
}

#[tokio::test]
async fn spot_is_associated_then_used_and_changed_in_place() {
    let h = Harness::new().await;
    let stack = Stack::new("spot");
    let cluster = format!("spot-{}", unique());
    let props = h.properties(json!({
        "ClusterName": cluster,
        "CpuArchitecture": "ARM64",
        "CapacityProviderStrategy": [
            {"CapacityProvider": "FARGATE", "Base": 1, "Weight": "1"},
            {"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
        ],
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    assert_eq!(
        capacity_providers(&h, &cluster).await,
        ["FARGATE", "FARGATE_SPOT"]
    );
    let created = h.last_request("CreateService");
    assert_eq!(created.get("launchType"), None, "{created}");
    assert_eq!(
        created["capacityProviderStrategy"],
        json!([{"capacityProvider": "FARGATE", "weight": 1, "base": 1},
               {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0}])
    );
    // Another strategy: in place, one UpdateService with a new deployment.
    let id = out.physical_id();
    let mut spot_only = props.clone();
    spot_only["CapacityProviderStrategy"] =
        json!([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]);
    let before = h.proxy.calls().len();
    let moved = h.invoke(stack.update(&id, &props, &spot_only)).await;
    moved.assert_success();
    assert_eq!(moved.physical_id(), id);
    assert_eq!(h.writes_since(before), ["UpdateService"]);
    let asked = h.last_request("UpdateService");
    assert_eq!(asked["forceNewDeployment"], true);
    assert_eq!(
        asked["capacityProviderStrategy"][0]["capacityProvider"],
        "FARGATE_SPOT"
    );
    // Back to the launch type: ECS cannot do it in place, so a new set.
    let mut plain = spot_only.clone();
    plain
        .as_object_mut()
        .expect("object")
        .remove("CapacityProviderStrategy");
    let replaced = h.invoke(stack.update(&id, &spot_only, &plain)).await;
    replaced.assert_success();
    assert_ne!(replaced.physical_id(), id, "a replacement");
    assert_eq!(h.last_request("CreateService")["launchType"], "FARGATE");
}

#[tokio::test]
async fn a_strategy_naming_a_provider_the_cluster_lacks_is_refused() {
    let h = Harness::new().await;
    h.proxy.not_the_provider(); // a call of the test's own, out of the policy judgement
    h.proxy.rules.service_linked_role_exists(true);
    let cluster = format!("bare-{}", unique());
    h.clients
        .ecs
        .create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .expect("cluster");
    let refused = h
        .provider
        .clients
        .ecs
        .create_service()
        .cluster(&cluster)
        .service_name("spot")
        .task_definition("whatever:1")
        .capacity_provider_strategy(
            aws_sdk_ecs::types::CapacityProviderStrategyItem::builder()
                .capacity_provider("FARGATE_SPOT")
                .weight(1)
                .build()
                .expect("item"),
        )
        .send()
        .await;
    let err = refused.expect_err("refused");
    let message = aws_sdk_ecs::error::DisplayErrorContext(&err).to_string();
    assert!(
        message.contains("not associated with the cluster"),
        "{message}"
    );
}

/// Two sets share a cluster while a replacement that keeps ClusterName runs (the only way two
/// sets ever share one: another stack's cluster is refused). PutClusterCapacityProviders
/// replaces the cluster's whole list, so the new set adds its provider to the list it reads,
/// and the old set's service keeps the provider it runs on.
#[tokio::test]
async fn sets_sharing_a_cluster_each_keep_their_capacity_providers() {
    let h = Harness::new().await;
    let stack = Stack::new("spot-share");
    let cluster = format!("spot-share-{}", unique());
    let props = h.properties(json!({
        "ClusterName": cluster,
        "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
    }));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    assert_eq!(capacity_providers(&h, &cluster).await, ["FARGATE"]);
    let mut spot = props.clone();
    spot["ContainerPort"] = json!(8080);
    spot["CapacityProviderStrategy"] = json!([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]);
    let replaced = h
        .invoke(stack.update(&created.physical_id(), &props, &spot))
        .await;
    replaced.assert_success();
    assert_ne!(
        replaced.physical_id(),
        created.physical_id(),
        "a replacement"
    );
    assert_eq!(
        capacity_providers(&h, &cluster).await,
        ["FARGATE", "FARGATE_SPOT"],
        "the old set's provider was dropped while its service still runs on it"
    );
    h.invoke(stack.delete(&created.physical_id(), &props))
        .await
        .assert_success();
    assert_eq!(
        capacity_providers(&h, &cluster).await,
        ["FARGATE", "FARGATE_SPOT"],
        "a provider is never removed"
    );
    h.invoke(stack.delete(&replaced.physical_id(), &spot))
        .await
        .assert_success();
}
