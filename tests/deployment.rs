//! Deployment controls and observability (issue #15, part): `MinimumHealthyPercent`,
//! `MaximumPercent` and `CircuitBreaker` reach ECS on Create and change in place with one
//! UpdateService and no new revision (asserted on the requests the proxy forwarded: moto drops
//! `deploymentConfiguration` from what it returns); `ContainerInsights` is the cluster's
//! setting, changed with one UpdateCluster; `DeploymentAlarms` reach ECS, and a deployment an
//! alarm fails answers FAILED naming the alarm; a new set is gated by its 5xx and unhealthy
//! targets alarms by default, and a set made before that keeps none through an Update whose
//! properties leave them out (issue #27, the alarm gate).

use serde_json::{json, Value};

use crate::support::patience::releasing;
use crate::support::rollout::Rollout;
use crate::support::{unique, Harness, Stack, ACCOUNT, REGION};

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

/// The deployment configuration prod-e sends: `alarms` (on when any), the percentages and the
/// circuit breaker.
fn configuration(alarms: &[String], (min, max): (u32, u32), breaker: bool) -> Value {
    let on = !alarms.is_empty();
    json!({
        "alarms": {"alarmNames": alarms, "enable": on, "rollback": on},
        "deploymentCircuitBreaker": {"enable": breaker, "rollback": breaker},
        "maximumPercent": max,
        "minimumHealthyPercent": min,
        "strategy": "ROLLING",
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
    // ECS's own defaults, said explicitly, and the alarm gate.
    let id = out.physical_id();
    let gate = ["target-5xx", "unhealthy-targets"].map(|k| format!("{id}-{k}"));
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"],
        configuration(&gate, (100, 200), true)
    );
    assert_eq!(insights(&h, &cluster).await.as_deref(), Some("enhanced"));
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
        configuration(&gate, (50, 150), false)
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
    // CloudFormation's rollback, once ECS is back on the old revision; then no deployment
    // alarms at all.
    h.proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.update(&id, &new, &props))
        .await
        .assert_success();
    let mut none = props.clone();
    none["DeploymentAlarms"] = json!([]);
    h.invoke(stack.update(&id, &props, &none))
        .await
        .assert_success();
    assert_eq!(
        h.last_request("UpdateService")["deploymentConfiguration"]["alarms"],
        json!({"alarmNames": [], "enable": false, "rollback": false})
    );
    // Left out again: the default, the gate on the set's alarms.
    let mut gated = none.clone();
    gated
        .as_object_mut()
        .expect("object")
        .remove("DeploymentAlarms");
    h.invoke(stack.update(&id, &none, &gated))
        .await
        .assert_success();
    let gate = ["target-5xx", "unhealthy-targets"].map(|k| format!("{id}-{k}"));
    assert_eq!(
        h.last_request("UpdateService")["deploymentConfiguration"]["alarms"],
        json!({"alarmNames": gate, "enable": true, "rollback": true})
    );
    h.invoke(stack.delete(&id, &gated)).await.assert_success();
}

#[tokio::test]
async fn a_new_set_is_gated_by_its_own_alarms_and_a_5xx_burst_rolls_an_update_back() {
    let h = Harness::new().await;
    let stack = Stack::new("gate");
    let props = h.properties(json!({"ClusterName": format!("gate-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let inv = crate::inspect::everything(&h.clients, &id, &props).await;
    assert_eq!(inv.alarms.len(), 4, "{:?}", inv.alarms);
    let target_5xx = format!("{id}-target-5xx");
    let gate = [target_5xx.clone(), format!("{id}-unhealthy-targets")];
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"]["alarms"],
        json!({"alarmNames": gate, "enable": true, "rollback": true})
    );
    h.proxy
        .rollouts
        .set_for_all(Rollout::Alarm(target_5xx.clone()));
    let mut new = props.clone();
    new["Image"] = json!("nginx:5xx");
    let failed = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(failed.status(), "FAILED");
    let rolled_back =
        format!("failed and ECS, on deployment alarm(s) {target_5xx}, rolled it back");
    assert!(
        failed.reason().contains(&rolled_back),
        "{}",
        failed.reason()
    );
    h.proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

#[tokio::test]
async fn a_set_made_before_the_gate_keeps_no_alarms_through_an_update() {
    let h = Harness::new().await;
    let stack = Stack::new("pre-gate");
    // The set as an earlier prod-e made it from properties that left Alarms out: no alarms,
    // and its service without the mark of the gate's defaults.
    let cluster = format!("pre-gate-{}", unique());
    let made = h.properties(json!({"ClusterName": cluster, "Alarms": false}));
    let out = h.invoke(stack.create(&made)).await;
    out.assert_success();
    let id = out.physical_id();
    let mark = json!({"key": prod_e::plan::ALARM_GATE_TAG, "value": "default"});
    let tags = h.last_request("CreateService")["tags"].clone();
    assert!(tags.as_array().is_some_and(|t| t.contains(&mark)), "{tags}");
    let service = format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/prod-e-service");
    let untag = h.clients.ecs.untag_resource().resource_arn(service);
    let untag = untag.tag_keys(prod_e::plan::ALARM_GATE_TAG).send().await;
    untag.expect("the mark removed");
    let mut old = made.clone();
    old.as_object_mut().expect("object").remove("Alarms");
    let mut new = old.clone();
    new["MinimumHealthyPercent"] = json!(50);
    let writes = h.writes_of(stack.update(&id, &old, &new)).await;
    assert_eq!(writes, ["UpdateService"]);
    assert_eq!(
        h.last_request("UpdateService")["deploymentConfiguration"],
        configuration(&[], (50, 200), true)
    );
    let inv = crate::inspect::everything(&h.clients, &id, &new).await;
    assert!(inv.alarms.is_empty(), "{:?}", inv.alarms);
    // `prod-e status` reads the properties with the set's defaults too: no drift.
    let path = crate::cli::write_properties(&new);
    let (code, out, err) =
        crate::cli::prod_e(&["status", "--physical-id", &id, "--properties", &path]);
    assert_eq!(code, 0, "{out}{err}");
    // CloudFormation's rollback of an Update that turned them on leaves none either.
    let mut on = new.clone();
    on["Alarms"] = json!(true);
    let writes = h.writes_of(stack.update(&id, &new, &on)).await;
    assert_eq!(writes.iter().filter(|w| *w == "PutMetricAlarm").count(), 4);
    h.invoke(stack.update(&id, &on, &new))
        .await
        .assert_success();
    let inv = crate::inspect::everything(&h.clients, &id, &new).await;
    assert!(inv.alarms.is_empty(), "{:?}", inv.alarms);
    // A replacement's new set keeps the old set's defaults: no alarms, and no mark.
    let mut moved = new.clone();
    moved["ClusterName"] = json!(format!("{cluster}-b"));
    let replaced = h.invoke(stack.update(&id, &new, &moved)).await;
    replaced.assert_success();
    let new_id = replaced.physical_id();
    assert_ne!(new_id, id);
    let tags = h.last_request("CreateService")["tags"].clone();
    assert!(
        !tags.as_array().is_some_and(|t| t.contains(&mark)),
        "{tags}"
    );
    let inv = crate::inspect::everything(&h.clients, &new_id, &moved).await;
    assert!(inv.alarms.is_empty(), "{:?}", inv.alarms);
    // CloudFormation's cleanup of the old set, then the stack's deletion.
    h.invoke(stack.delete(&id, &new)).await.assert_success();
    h.invoke(stack.delete(&new_id, &moved))
        .await
        .assert_success();
}

/// A replacement bakes after its one ModifyRule: when a gate alarm of the new set goes into
/// ALARM meanwhile, the rule goes back to the old set as it was, the new set is removed, and
/// the answer is FAILED with the old id, naming the alarm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_alarm_during_a_replacements_bake_moves_the_traffic_back() {
    let h = Harness::new().await;
    let stack = Stack::new("bake");
    let props = h.properties(json!({"ClusterName": format!("bake-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let (rule, old_group) = (out.data("ListenerRuleArn"), out.data("TargetGroupArn"));
    let mut new = props.clone();
    new["ContainerPort"] = json!(8080);
    let new_id = stack.deployment(&new).physical_id().to_string();
    let alarm = format!("{new_id}-target-5xx");
    let from = h.proxy.calls().len();
    let baking = || {
        let calls = h.proxy.calls();
        // The route (conditions and forward), not the join of the new group at weight 0.
        let route = |c: &&crate::support::call::Call| {
            c.action == "ModifyRule" && c.body.contains("Conditions")
        };
        let moved = calls[from..].iter().position(|c| route(&c));
        moved.is_some_and(|i| {
            calls[from + i..]
                .iter()
                .any(|c| c.action == "DescribeAlarms")
        })
    };
    let cloudwatch = h.clients.cloudwatch.clone();
    let name = alarm.clone();
    let trip = move || {
        tokio::spawn(async move {
            let set = cloudwatch.set_alarm_state().alarm_name(name);
            let set = set.state_value(aws_sdk_cloudwatch::types::StateValue::Alarm);
            set.state_reason("a 5xx burst")
                .send()
                .await
                .expect("alarm set");
        });
    };
    let failed = releasing(
        h.invoke(stack.update(&id, &props, &new)),
        "the replacement's bake to begin",
        baking,
        trip,
    )
    .await;
    assert_eq!(failed.status(), "FAILED");
    assert_eq!(failed.physical_id(), id);
    assert!(failed.reason().contains(&alarm), "{}", failed.reason());
    let rules = h.clients.elb.describe_rules().rule_arns(&rule).send().await;
    let rules = rules.expect("rule");
    let action = rules.rules()[0].actions()[0].clone();
    let groups = action.forward_config().map(|f| f.target_groups().to_vec());
    let groups: Vec<String> = groups
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.target_group_arn().map(str::to_string))
        .collect();
    assert_eq!(groups, [old_group]);
    crate::emulator::assert_nothing_left(&h, &new_id, &new).await;
    h.invoke(stack.update(&id, &new, &props))
        .await
        .assert_success();
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}
