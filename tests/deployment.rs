//! Deployment controls and observability (issue #15, part): `MinimumHealthyPercent`,
//! `MaximumPercent` and `CircuitBreaker` reach ECS on Create and change in place with one
//! UpdateService and no new revision (asserted on the requests the proxy forwarded: moto drops
//! `deploymentConfiguration` from what it returns); `ContainerInsights` is the cluster's
//! setting, changed with one UpdateCluster; `DeploymentAlarms` reach ECS, and a deployment an
//! alarm fails answers FAILED naming the alarm.

use serde_json::{json, Value};

use crate::support::rollout::Rollout;
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
        "alarms": {"alarmNames": [], "enable": false, "rollback": false},
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
    changed["DesiredCount"] = json!(2);
    changed["MinimumHealthyPercent"] = json!(50);
    changed["MaximumPercent"] = json!("150");
    changed["CircuitBreaker"] = json!(false);
    let writes = h.writes_of(stack.update(&id, &props, &changed)).await;
    assert_eq!(writes, ["UpdateService"]);
    let update = h.last_request("UpdateService");
    assert_eq!(
        update["deploymentConfiguration"],
        configuration(50, 150, false)
    );
    assert_eq!(update.get("taskDefinition"), None, "{update}");
    let mut off = changed.clone();
    off["ContainerInsights"] = json!("disabled");
    let writes = h.writes_of(stack.update(&id, &changed, &off)).await;
    assert_eq!(writes, ["UpdateCluster"]);
    assert_eq!(insights(&h, &cluster).await.as_deref(), Some("disabled"));
    let changed = off;
    h.invoke(stack.delete(&id, &changed)).await.assert_success();
}

#[tokio::test]
async fn a_deployment_an_alarm_fails_is_failed_naming_the_alarm() {
    let h = Harness::new().await;
    let stack = Stack::new("deploy-alarm");
    let props = h.properties(json!({
        "ClusterName": format!("deploy-alarm-{}", unique()),
        "DeploymentAlarms": ["api-5xx", "api-latency"],
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"]["alarms"],
        json!({"alarmNames": ["api-5xx", "api-latency"], "enable": true, "rollback": true})
    );
    let id = out.physical_id();
    h.proxy
        .rollouts
        .set_for_all(Rollout::Alarm("api-5xx".into()));
    let mut new = props.clone();
    new["Image"] = json!("nginx:slow");
    let failed = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(failed.status(), "FAILED");
    assert_eq!(failed.physical_id(), id);
    assert!(
        failed
            .reason()
            .contains("failed and ECS, on deployment alarm(s) api-5xx, rolled it back"),
        "{}",
        failed.reason()
    );
    // CloudFormation's rollback, once ECS is back on the old revision; then no alarms at all.
    h.proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.update(&id, &new, &props))
        .await
        .assert_success();
    let mut none = props.clone();
    none.as_object_mut()
        .expect("object")
        .remove("DeploymentAlarms");
    h.invoke(stack.update(&id, &props, &none))
        .await
        .assert_success();
    assert_eq!(
        h.last_request("UpdateService")["deploymentConfiguration"]["alarms"],
        json!({"alarmNames": [], "enable": false, "rollback": false})
    );
    h.invoke(stack.delete(&id, &none)).await.assert_success();
}
