//! Auto scaling and baseline alarms (issue #15): the scalable target, its target tracking
//! policies and scheduled actions are made once the service is steady, changed in place and
//! removed before the service; an Update never resets the count the scaler chose (only moves
//! it into new bounds); a replacement starts at the old service's count; `Alarms: true` makes
//! four alarms, owned and tagged, named in `Data` and usable as deployment alarms.

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use serde_json::{json, Value};

use crate::emulator::assert_nothing_left;
use crate::support::{unique, Harness, Stack};

/// (MinCapacity, MaxCapacity) of the service's scalable target, if it has one.
async fn bounds(h: &Harness, cluster: &str, service: &str) -> Option<(i32, i32)> {
    let out = h
        .clients
        .scaling
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(format!("service/{cluster}/{service}"))
        .send()
        .await
        .expect("scalable targets");
    let t = out.scalable_targets().first()?;
    Some((t.min_capacity(), t.max_capacity()))
}

/// The names of the target's scaling policies and scheduled actions, sorted.
async fn scaling_names(h: &Harness, cluster: &str, service: &str) -> (Vec<String>, Vec<String>) {
    let id = format!("service/{cluster}/{service}");
    let policies = h
        .clients
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .expect("policies");
    let actions = h
        .clients
        .scaling
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .expect("scheduled actions");
    let mut p: Vec<String> = policies
        .scaling_policies()
        .iter()
        .map(|p| p.policy_name().into())
        .collect();
    let mut a: Vec<String> = actions
        .scheduled_actions()
        .iter()
        .map(|a| a.scheduled_action_name().into())
        .collect();
    p.sort();
    a.sort();
    (p, a)
}

/// (MinCapacity, MaxCapacity) of each scheduled action of the service's target.
async fn scheduled_bounds(
    h: &Harness,
    cluster: &str,
    service: &str,
) -> Vec<(Option<i32>, Option<i32>)> {
    let out = h
        .clients
        .scaling
        .describe_scheduled_actions()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(format!("service/{cluster}/{service}"))
        .send()
        .await
        .expect("scheduled actions");
    let actions = out.scheduled_actions().iter();
    let bounds = actions.map(|a| {
        a.scalable_target_action()
            .map(|t| (t.min_capacity(), t.max_capacity()))
    });
    bounds.map(Option::unwrap_or_default).collect()
}

/// The service's desired count in ECS.
async fn desired(h: &Harness, cluster: &str, service: &str) -> i32 {
    let out = h
        .clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .expect("services");
    out.services().first().map_or(-1, |s| s.desired_count())
}

/// What the scaler does: a new desired count.
async fn scale_to(h: &Harness, cluster: &str, service: &str, count: i32) {
    h.clients
        .ecs
        .update_service()
        .cluster(cluster)
        .service(service)
        .desired_count(count)
        .send()
        .await
        .expect("scaled");
}

fn scaled(props: &Value, scaling: Value) -> Value {
    let mut p = props.clone();
    p["AutoScaling"] = scaling;
    p
}

#[tokio::test]
async fn scaling_is_made_changed_in_place_and_never_resets_the_scalers_count() {
    let h = Harness::new().await;
    let stack = Stack::new("scaling");
    let (cluster, service) = (format!("scaling-{}", unique()), "web".to_string());
    let base = h.properties(json!({"ClusterName": cluster, "ServiceName": service,
                                  "DesiredCount": 2}));
    let props = scaled(
        &base,
        json!({"MinCapacity": 1, "MaxCapacity": 4, "CpuTarget": 60,
                                     "RequestsPerTarget": "500"}),
    );
    let mut props = props;
    props["ScheduledActions"] = json!([{"ScheduledActionName": "night",
        "Schedule": "cron(0 22 * * ? *)", "Timezone": "Europe/Berlin", "MaxCapacity": 2}]);
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    assert_eq!(h.last_request("CreateService")["desiredCount"], json!(2));
    let calls: Vec<String> = h.proxy.calls().iter().map(|c| c.action.clone()).collect();
    let at = |a: &str| calls.iter().position(|c| c == a).unwrap_or(usize::MAX);
    assert!(
        at("CreateService") < at("RegisterScalableTarget"),
        "{calls:?}"
    );
    assert_eq!(bounds(&h, &cluster, &service).await, Some((1, 4)));
    let requests = h.last_request("PutScalingPolicy");
    let spec = &requests["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(spec["TargetValue"], json!(500.0));
    let label = spec["PredefinedMetricSpecification"]["ResourceLabel"]
        .as_str()
        .unwrap_or("");
    assert!(
        label.starts_with("app/") && label.contains("/targetgroup/"),
        "{label}"
    );
    assert_eq!(
        scaling_names(&h, &cluster, &service).await,
        (
            vec![format!("{id}-cpu"), format!("{id}-requests")],
            vec![format!("{id}-night")]
        )
    );
    // A scheduled action that drops its MaxCapacity for a MinCapacity keeps no old bound.
    let mut night = props.clone();
    night["ScheduledActions"][0]["MaxCapacity"] = json!(null);
    night["ScheduledActions"][0]["MinCapacity"] = json!(1);
    h.invoke(stack.update(&id, &props, &night))
        .await
        .assert_success();
    assert_eq!(
        scheduled_bounds(&h, &cluster, &service).await,
        vec![(Some(1), None)]
    );
    let props = night;
    // The scaler moves the count; an image Update keeps it.
    scale_to(&h, &cluster, &service, 3).await;
    let mut image = props.clone();
    image["Image"] = json!("nginx:1.27");
    image["DesiredCount"] = json!(1);
    h.invoke(stack.update(&id, &props, &image))
        .await
        .assert_success();
    assert_eq!(h.last_request("UpdateService").get("desiredCount"), None);
    assert_eq!(desired(&h, &cluster, &service).await, 3);
    // New bounds above the count: moved into them. Memory instead of CPU; no schedule.
    let mut bounded = scaled(
        &image,
        json!({"MinCapacity": 4, "MaxCapacity": 6,
                                            "MemoryTarget": 70, "RequestsPerTarget": 500}),
    );
    bounded["ScheduledActions"] = json!([]);
    let writes = h.writes_of(stack.update(&id, &image, &bounded)).await;
    assert!(
        writes.contains(&"DeleteScalingPolicy".to_string()),
        "{writes:?}"
    );
    // Application Auto Scaling moves the count into the new bounds; prod-e sends none.
    assert!(!writes.contains(&"UpdateService".to_string()), "{writes:?}");
    assert_eq!(desired(&h, &cluster, &service).await, 4);
    assert_eq!(bounds(&h, &cluster, &service).await, Some((4, 6)));
    assert_eq!(
        scaling_names(&h, &cluster, &service).await,
        (
            vec![format!("{id}-memory"), format!("{id}-requests")],
            vec![]
        )
    );
    // Scaling off: the target goes, DesiredCount takes over.
    let mut off = bounded.clone();
    off.as_object_mut().expect("object").remove("AutoScaling");
    off.as_object_mut()
        .expect("object")
        .remove("ScheduledActions");
    h.invoke(stack.update(&id, &bounded, &off))
        .await
        .assert_success();
    assert_eq!(bounds(&h, &cluster, &service).await, None);
    assert_eq!(
        desired(&h, &cluster, &service).await,
        1,
        "DesiredCount takes over"
    );
    // On again, then Delete removes it before the service.
    h.invoke(stack.update(&id, &off, &bounded))
        .await
        .assert_success();
    assert_eq!(bounds(&h, &cluster, &service).await, Some((4, 6)));
    let writes = h.writes_of(stack.delete(&id, &bounded)).await;
    let at = |a: &str| writes.iter().position(|c| c == a).unwrap_or(usize::MAX);
    assert!(
        at("DeregisterScalableTarget") < at("DeleteService"),
        "{writes:?}"
    );
    assert_eq!(bounds(&h, &cluster, &service).await, None);
    assert_nothing_left(&h, &id, &bounded).await;
}

/// A replacement that keeps ServiceName runs its service as `web-<fingerprint>` beside `web`:
/// each set finds its own target under either name (an Update of the new set while the old
/// one still runs changes only its own).
#[tokio::test]
async fn a_replacement_starts_at_the_count_the_old_service_runs() {
    let h = Harness::new().await;
    let stack = Stack::new("scaling-replace");
    let cluster = format!("scaling-replace-{}", unique());
    let props = scaled(
        &h.properties(json!({"ClusterName": cluster, "ServiceName": "web"})),
        json!({"MinCapacity": 1, "MaxCapacity": 5, "CpuTarget": 50}),
    );
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let old_id = out.physical_id();
    scale_to(&h, &cluster, "web", 4).await;
    let mut new = props.clone();
    new["ContainerPort"] = json!(8080);
    let replaced = h.invoke(stack.update(&old_id, &props, &new)).await;
    replaced.assert_success();
    let new_id = replaced.physical_id();
    let fingerprinted = format!("web-{}", new_id.rsplit('-').next().unwrap_or_default());
    assert_eq!(replaced.data("ServiceName"), fingerprinted);
    assert_eq!(h.last_request("CreateService")["desiredCount"], json!(4));
    assert_eq!(bounds(&h, &cluster, &fingerprinted).await, Some((1, 5)));
    // The new set's bounds change in place; the old set's target is not touched.
    let wider = scaled(
        &new,
        json!({"MinCapacity": 2, "MaxCapacity": 6, "CpuTarget": 50}),
    );
    h.invoke(stack.update(&new_id, &new, &wider))
        .await
        .assert_success();
    assert_eq!(bounds(&h, &cluster, &fingerprinted).await, Some((2, 6)));
    assert_eq!(bounds(&h, &cluster, "web").await, Some((1, 5)));
    h.invoke(stack.delete(&old_id, &props))
        .await
        .assert_success();
    assert_eq!(bounds(&h, &cluster, "web").await, None);
    assert_eq!(bounds(&h, &cluster, &fingerprinted).await, Some((2, 6)));
    h.invoke(stack.delete(&new_id, &wider))
        .await
        .assert_success();
    assert_eq!(bounds(&h, &cluster, &fingerprinted).await, None);
    assert_nothing_left(&h, &new_id, &wider).await;
}

#[tokio::test]
async fn baseline_alarms_are_owned_named_in_data_and_usable_as_deployment_alarms() {
    let h = Harness::new().await;
    let stack = Stack::new("alarms");
    let props = h.properties(json!({
        "ClusterName": format!("alarms-{}", unique()),
        "Alarms": true,
        "DeploymentAlarms": ["prod-e:target-5xx", "team-latency"],
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let names =
        ["cpu-high", "memory-high", "target-5xx", "unhealthy-targets"].map(|k| format!("{id}-{k}"));
    assert_eq!(out.data("Target5xxAlarmName"), names[2]);
    assert_eq!(out.data("CpuHighAlarmName"), names[0]);
    assert_eq!(
        h.last_request("CreateService")["deploymentConfiguration"]["alarms"]["alarmNames"],
        json!([names[2], "team-latency"])
    );
    let inv = crate::inspect::everything(&h.clients, &id, &props).await;
    let mut found: Vec<String> = inv.alarms.iter().map(|a| a.name.clone()).collect();
    found.sort();
    assert_eq!(found, names.to_vec());
    let d = prod_e::naming::Deployment::parse(&id).expect("id");
    assert!(
        inv.alarms.iter().all(|a| d.owns(&a.tags)),
        "{:?}",
        inv.alarms
    );
    let mut off = props.clone();
    off["Alarms"] = json!(false);
    off["DeploymentAlarms"] = json!(["team-latency"]);
    let writes = h.writes_of(stack.update(&id, &props, &off)).await;
    assert_eq!(
        writes.iter().filter(|w| *w == "DeleteAlarms").count(),
        4,
        "{writes:?}"
    );
    let inv = crate::inspect::everything(&h.clients, &id, &off).await;
    assert!(inv.alarms.is_empty(), "{:?}", inv.alarms);
    h.invoke(stack.update(&id, &off, &props))
        .await
        .assert_success();
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    assert_nothing_left(&h, &id, &props).await;
}

/// Each of set `id`'s alarms: (its `AlarmActions`, its `OKActions`), read from moto.
async fn alarm_actions(h: &Harness, id: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let cw = &h.clients.cloudwatch;
    let out = cw.describe_alarms().alarm_name_prefix(format!("{id}-"));
    let out = out.send().await.expect("alarms");
    let each = out.metric_alarms().iter();
    each.map(|a| (a.alarm_actions().to_vec(), a.ok_actions().to_vec()))
        .collect()
}

#[tokio::test]
async fn alarm_actions_notify_sns_topics_and_change_in_place() {
    let h = Harness::new().await;
    let stack = Stack::new("alarm-actions");
    let pager = "arn:aws:sns:us-east-1:123456789012:ops-pager";
    let props = h.properties(json!({
        "ClusterName": format!("alarm-actions-{}", unique()),
        "AlarmActions": [pager],
    }));
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let both = |topics: &[&str]| {
        let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        vec![(topics.clone(), topics); 4]
    };
    assert_eq!(alarm_actions(&h, &id).await, both(&[pager]));

    // Another topic beside: the alarms are put again, nothing else is written.
    let chat = "arn:aws:sns:us-east-1:123456789012:ops-chat.fifo";
    let mut more = props.clone();
    more["AlarmActions"] = json!([pager, chat]);
    let writes = h.writes_of(stack.update(&id, &props, &more)).await;
    assert_eq!(writes, ["PutMetricAlarm"; 4], "{writes:?}");
    assert_eq!(alarm_actions(&h, &id).await, both(&[pager, chat]));
    let mut none = more.clone();
    none["AlarmActions"] = json!([]);
    h.invoke(stack.update(&id, &more, &none))
        .await
        .assert_success();
    assert_eq!(alarm_actions(&h, &id).await, both(&[]));

    // Refused before any write: actions without the alarms, and what is not a topic.
    let from = h.proxy.calls().len();
    let mut off = none.clone();
    off["Alarms"] = json!(false);
    off["AlarmActions"] = json!([pager]);
    let mut queue = none.clone();
    queue["AlarmActions"] = json!(["arn:aws:sqs:us-east-1:123456789012:q"]);
    let mut far = none.clone();
    far["AlarmActions"] = json!(["arn:aws:sns:eu-west-1:123456789012:pager"]);
    for (bad, why) in [
        (off, "they need Alarms: true"),
        (queue, "must be an SNS topic's ARN"),
        (far, "notify topics of their own region only"),
    ] {
        let refused = h.invoke(stack.update(&id, &none, &bad)).await;
        assert_eq!(refused.status(), "FAILED");
        assert!(refused.reason().contains(why), "{}", refused.reason());
    }
    assert!(
        h.writes_since(from).is_empty(),
        "{:?}",
        h.writes_since(from)
    );
    h.invoke(stack.delete(&id, &none)).await.assert_success();
    assert_nothing_left(&h, &id, &none).await;
}
