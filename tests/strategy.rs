//! `DeploymentStrategy` on ECS's own engine (issue #27): a set with a native strategy is born
//! rolling, takes its strategy once it serves (the alternate target group at weight 0 in its
//! rule, the traffic role, UpdateService with the load balancer's advanced configuration), and
//! ECS then moves the rule's weights at each deployment (rule 27): prod-e's own rule writes
//! keep them; the gate's alarms sum both groups; a crashing image and a 5xx burst are rolled
//! back with the old group serving; going back to ROLLING names the group that serves; the
//! Delete removes both groups and the role. A strategy whose bakes cannot finish inside `ServiceTimeout` is
//! refused before anything is written.

use serde_json::{json, Value};

use crate::emulator::assert_nothing_left;
use crate::support::rollout::Rollout;
use crate::support::{unique, Harness, Stack, TRAFFIC_ROLE_BOUNDARY};
use prod_e::naming::Deployment;

/// The (target group ARN, weight) pairs of rule `arn`, as moto has them.
pub(crate) async fn forwards(h: &Harness, arn: &str) -> Vec<(String, i32)> {
    let out = h.clients.elb.describe_rules().rule_arns(arn).send().await;
    let out = out.expect("rule");
    let rule = out.rules().first().expect("one rule").clone();
    let action = rule.actions().first().expect("forward").clone();
    let tuples = action.forward_config().map(|f| f.target_groups().to_vec());
    match tuples {
        Some(t) if !t.is_empty() => t
            .iter()
            .map(|t| {
                (
                    t.target_group_arn().unwrap_or_default().to_string(),
                    t.weight().unwrap_or(1),
                )
            })
            .collect(),
        _ => vec![(action.target_group_arn().unwrap_or_default().to_string(), 1)],
    }
}

/// The ARN of target group `name`.
async fn group(h: &Harness, name: &str) -> String {
    let out = h
        .clients
        .elb
        .describe_target_groups()
        .names(name)
        .send()
        .await;
    let out = out.expect("target group");
    let tg = out.target_groups().first().expect("found");
    tg.target_group_arn().unwrap_or_default().to_string()
}

/// The weight rule `rule` gives each of `groups`.
async fn weights(h: &Harness, rule: &str, groups: [&str; 2]) -> [i32; 2] {
    let found = forwards(h, rule).await;
    let weight = |g: &str| found.iter().find(|(a, _)| a == g).map_or(-1, |(_, w)| *w);
    [weight(groups[0]), weight(groups[1])]
}

#[tokio::test]
async fn a_native_strategy_moves_traffic_between_its_two_groups() {
    let h = Harness::new().await;
    let stack = Stack::new("strategy");
    let props = h.properties(json!({
        "ClusterName": format!("strategy-{}", unique()),
        "DeploymentStrategy": "CANARY",
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let d = Deployment::parse(&id).expect("our id");
    // Born rolling; the switch names both groups, the rule and the role.
    let created = h.last_request("CreateService");
    assert_eq!(created["deploymentConfiguration"]["strategy"], "ROLLING");
    let (rule, primary) = (out.data("ListenerRuleArn"), out.data("TargetGroupArn"));
    let alternate = group(&h, &d.alternate_target_group()).await;
    let switch = h.last_request("UpdateService");
    let role_arn = format!("arn:aws:iam::123456789012:role/{}", d.traffic_role());
    assert_eq!(
        switch["loadBalancers"][0]["advancedConfiguration"],
        json!({"alternateTargetGroupArn": alternate, "productionListenerRule": rule,
               "roleArn": role_arn})
    );
    let configured = &switch["deploymentConfiguration"];
    assert_eq!(configured["strategy"], "CANARY");
    assert_eq!(configured["bakeTimeInMinutes"], 3);
    assert_eq!(
        configured["canaryConfiguration"],
        json!({"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 3})
    );
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [1, 0]);
    assert_traffic_role(&h, &d, &rule, [&primary, &alternate]).await;
    assert_eq!(
        watched_groups(&h, &d).await,
        [group_dimension(&primary), group_dimension(&alternate)]
    );

    // A crashing image and a 5xx burst during the canary: rolled back, FAILED, and the old
    // revision's group still serves.
    let mut crashing = props.clone();
    crashing["Image"] = json!("nginx:crash");
    h.proxy.rollouts.crash_image("nginx:crash");
    let failed = h.invoke(stack.update(&id, &props, &crashing)).await;
    assert_eq!(failed.status(), "FAILED", "{}", failed.reason());
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [1, 0]);
    h.invoke(stack.update(&id, &crashing, &props))
        .await
        .assert_success();
    // CloudFormation's rollback deployed a revision again: the other group serves now.
    let serving = weights(&h, &rule, [&primary, &alternate]).await;
    assert_eq!(serving, [0, 1]);
    let gate = format!("{id}-target-5xx");
    h.proxy.rollouts.set_for_all(Rollout::Alarm(gate.clone()));
    let mut bursting = props.clone();
    bursting["Image"] = json!("nginx:5xx");
    let failed = h.invoke(stack.update(&id, &props, &bursting)).await;
    assert_eq!(failed.status(), "FAILED");
    assert!(failed.reason().contains(&gate), "{}", failed.reason());
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, serving);
    h.proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.update(&id, &bursting, &props))
        .await
        .assert_success();
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [1, 0]);

    // Each new revision moves all traffic to the other group; prod-e's rule writes keep that.
    let mut new = props.clone();
    new["Image"] = json!("nginx:1.27");
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    assert_eq!(h.last_request("UpdateService").get("loadBalancers"), None);
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [0, 1]);
    let mut routed = new.clone();
    routed["PathPatterns"] = json!(["/api/*"]);
    routed["HealthCheck"] = json!({"Path": "/healthz"});
    h.invoke(stack.update(&id, &new, &routed))
        .await
        .assert_success();
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [0, 1]);
    // Both groups judge tasks alike: either may serve the next revision.
    for name in [d.target_group(), d.alternate_target_group()] {
        let out = h
            .clients
            .elb
            .describe_target_groups()
            .names(&name)
            .send()
            .await;
        let out = out.expect("target group");
        let path = out.target_groups()[0]
            .health_check_path()
            .map(str::to_string);
        assert_eq!(path.as_deref(), Some("/healthz"), "{name}");
    }

    // `prod-e status` names the group that serves, and the flipped weights are no drift.
    let properties = crate::cli::write_properties(&routed);
    let status = ["status", "--physical-id", &id, "--properties", &properties];
    let (code, out, err) = crate::cli::prod_e(&status);
    assert_eq!(code, 0, "{out}{err}");
    let serving = format!(", CANARY, serving {}", d.alternate_target_group());
    assert!(out.contains(&serving), "{out}");

    // Back to ROLLING: the service names the group that serves, and the weights stay.
    let mut rolling = routed.clone();
    rolling["DeploymentStrategy"] = json!("ROLLING");
    h.invoke(stack.update(&id, &routed, &rolling))
        .await
        .assert_success();
    let back = h.last_request("UpdateService");
    assert_eq!(
        back["loadBalancers"],
        json!([{"targetGroupArn": alternate, "containerName": props_container(&props),
                "containerPort": 80}])
    );
    assert_eq!(back["deploymentConfiguration"]["strategy"], "ROLLING");
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [0, 1]);

    h.invoke(stack.delete(&id, &rolling)).await.assert_success();
    assert_nothing_left(&h, &id, &rolling).await;
}

/// The `TargetGroup` dimension of target group `arn` (`targetgroup/<name>/<id>`).
fn group_dimension(arn: &str) -> String {
    arn.split_once(":targetgroup/")
        .map_or(String::new(), |(_, g)| format!("targetgroup/{g}"))
}

/// The target groups the set's 5xx alarm sums, in the order of its series.
async fn watched_groups(h: &Harness, d: &Deployment) -> Vec<String> {
    let out = h
        .clients
        .cloudwatch
        .describe_alarms()
        .alarm_names(d.alarm("target-5xx"));
    let out = out.send().await.expect("alarms");
    let alarm = out.metric_alarms().first().expect("the 5xx alarm").clone();
    let series = alarm.metrics().iter().filter_map(|q| q.metric_stat());
    let group = |m: &aws_sdk_cloudwatch::types::MetricStat| {
        let dims = m
            .metric()
            .map(|m| m.dimensions().to_vec())
            .unwrap_or_default();
        let tg = dims.iter().find(|d| d.name() == Some("TargetGroup"));
        tg.and_then(|d| d.value()).unwrap_or_default().to_string()
    };
    series.map(group).collect()
}

/// The container name the properties give (the harness's default if none).
fn props_container(props: &Value) -> String {
    let name = props["ContainerName"].as_str().unwrap_or("dummy-container");
    name.to_string()
}

/// The traffic role: trusted by ECS only, under its boundary, allowed exactly the set's rule
/// and groups.
async fn assert_traffic_role(h: &Harness, d: &Deployment, rule: &str, groups: [&str; 2]) {
    let iam = &h.clients.iam;
    let role = iam.get_role().role_name(d.traffic_role()).send().await;
    let role = role.expect("traffic role").role().expect("role").clone();
    let trust = prod_e_testkit::http::percent_decode(
        role.assume_role_policy_document().unwrap_or_default(),
    );
    assert!(
        trust.contains("ecs.amazonaws.com") && !trust.contains("ecs-tasks"),
        "{trust}"
    );
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn());
    assert_eq!(boundary, Some(TRAFFIC_ROLE_BOUNDARY));
    let document = traffic_policy(h, d).await;
    let statements = document["Statement"].as_array().expect("statements");
    assert_eq!(statements[1]["Resource"], json!(groups));
    assert_eq!(statements[2]["Resource"], json!([rule]));
}

/// The traffic role's inline policy `prod-e-traffic`, as a document.
pub(crate) async fn traffic_policy(h: &Harness, d: &Deployment) -> Value {
    let policy = h
        .clients
        .iam
        .get_role_policy()
        .role_name(d.traffic_role())
        .policy_name("prod-e-traffic")
        .send()
        .await
        .expect("traffic policy");
    let text = prod_e_testkit::http::percent_decode(policy.policy_document());
    serde_json::from_str(&text).expect("json")
}

#[tokio::test]
async fn a_strategy_whose_bakes_outlast_service_timeout_is_refused_naming_the_sum() {
    let h = Harness::new().await;
    let stack = Stack::new("strategy-long");
    // AWS's linear defaults: 10 steps of 10 %, 6 minutes between them, then a 15-minute bake.
    let props = h.properties(json!({
        "ClusterName": format!("strategy-long-{}", unique()),
        "DeploymentStrategy": "LINEAR",
        "LinearConfiguration": {"StepPercent": 10, "StepBakeTimeInMinutes": 6},
        "BakeTimeInMinutes": 15,
    }));
    let before = h.proxy.calls().len();
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED");
    assert!(
        out.reason().contains("69 minutes") && out.reason().contains("ServiceTimeout (3600 s)"),
        "{}",
        out.reason()
    );
    assert_eq!(h.writes_since(before), Vec::<String>::new());
}

/// A replacement of a native set whose alternate group serves, rolled back by CloudFormation
/// after it succeeded: the rule goes back to the group the old set's tasks are registered in
/// (which the rule no longer weighs: target health tells), with its other group at weight 0.
#[tokio::test]
async fn a_rolled_back_replacement_routes_to_the_group_the_old_tasks_serve_from() {
    let h = Harness::new().await;
    let stack = Stack::new("strategy-back");
    let props = h.properties(json!({
        "ClusterName": format!("strategy-back-{}", unique()),
        "DeploymentStrategy": "BLUE_GREEN",
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let d = Deployment::parse(&id).expect("our id");
    let (rule, primary) = (out.data("ListenerRuleArn"), out.data("TargetGroupArn"));
    let alternate = group(&h, &d.alternate_target_group()).await;
    let mut new = props.clone();
    new["Image"] = json!("nginx:1.27");
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    assert_eq!(weights(&h, &rule, [&primary, &alternate]).await, [0, 1]);
    let mut replaced = new.clone();
    replaced["ContainerPort"] = json!(8080);
    let out = h.invoke(stack.update(&id, &new, &replaced)).await;
    let new_id = out.assert_success().physical_id();
    assert_eq!(
        forwards(&h, &rule).await.len(),
        2,
        "the new set's two groups"
    );
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&new_id),
    );
    let back = stack.update(&new_id, &replaced, &new);
    h.invoke(back).await.assert_success();
    let mut found = forwards(&h, &rule).await;
    found.sort();
    let mut want = vec![(primary.clone(), 0), (alternate.clone(), 1)];
    want.sort();
    assert_eq!(found, want);
}

/// ECS changes the strategy only of a service with no deployment in progress: a forward
/// Update that switches while one runs is refused before any write, and goes through once the
/// deployment is done.
#[tokio::test]
async fn a_switch_while_a_deployment_runs_is_refused_before_any_write() {
    let h = Harness::new().await;
    let stack = Stack::new("strategy-busy");
    let props = h.properties(json!({"ClusterName": format!("strategy-busy-{}", unique()),
                                    "WaitForSteadyState": false}));
    let id = h
        .invoke(stack.create(&props))
        .await
        .assert_success()
        .physical_id();
    h.proxy.rollouts.set_for_all(Rollout::Stuck);
    let mut new = props.clone();
    new["Image"] = json!("nginx:1.27");
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    let mut switched = new.clone();
    switched["DeploymentStrategy"] = json!("BLUE_GREEN");
    let before = h.proxy.calls().len();
    let refused = h.invoke(stack.update(&id, &new, &switched)).await;
    assert_eq!(refused.status(), "FAILED");
    assert!(
        refused.reason().contains("has a deployment in progress"),
        "{}",
        refused.reason()
    );
    assert_eq!(h.writes_since(before), Vec::<String>::new());
    h.proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.update(&id, &new, &switched))
        .await
        .assert_success();
    h.invoke(stack.delete(&id, &switched))
        .await
        .assert_success();
}

/// Under each strategy, an image whose tasks crash is rolled back and answered FAILED, with the
/// previous revision's group still serving; the next good image deploys.
#[tokio::test]
async fn a_crashing_image_fails_under_every_strategy_with_the_old_group_serving() {
    let h = Harness::new().await;
    h.proxy.rollouts.crash_image("nginx:crash");
    for strategy in ["ROLLING", "BLUE_GREEN", "CANARY", "LINEAR"] {
        let stack = Stack::new("strategy-crash");
        let props = h.properties(json!({
            "ClusterName": format!("crash-{}", unique()),
            "DeploymentStrategy": strategy,
        }));
        let out = h.invoke(stack.create(&props)).await;
        let id = out.assert_success().physical_id();
        let rule = out.data("ListenerRuleArn");
        let serving = forwards(&h, &rule).await;
        let mut crashing = props.clone();
        crashing["Image"] = json!("nginx:crash");
        let failed = h.invoke(stack.update(&id, &props, &crashing)).await;
        assert_eq!(failed.status(), "FAILED", "{strategy}: {}", failed.reason());
        assert_eq!(forwards(&h, &rule).await, serving, "{strategy}");
        h.invoke(stack.update(&id, &crashing, &props))
            .await
            .assert_success();
        let mut good = props.clone();
        good["Image"] = json!("nginx:1.27");
        h.invoke(stack.update(&id, &props, &good))
            .await
            .assert_success();
        h.invoke(stack.delete(&id, &good)).await.assert_success();
    }
}

/// One sample of the production rule during a deployment: the groups it sends traffic to
/// (weight above 0), and whether that is safe: every one is `initial` (the group that served
/// before the deployment, whose tasks stay until it ends), or the service's new revision has
/// rolled out (the rollout player shows it steady), read before or after the weights.
async fn sample(h: &Harness, rule: &str, (service, initial): (&str, &str)) -> (Vec<String>, bool) {
    let steady = || h.proxy.rollouts.is_steady(service);
    let before = steady();
    let found = forwards(h, rule).await.into_iter();
    let weighted: Vec<String> = found.filter(|(_, w)| *w > 0).map(|(g, _)| g).collect();
    let rolled_out = before || steady();
    let ok = !weighted.is_empty() && weighted.iter().all(|g| g == initial || rolled_out);
    (weighted, ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_strategy_deploys_an_image_with_traffic_only_on_the_group_that_serves() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let h = Arc::new(Harness::new().await);
    for strategy in ["ROLLING", "BLUE_GREEN", "CANARY", "LINEAR"] {
        let stack = Stack::new(&format!("sampled-{}", strategy.to_lowercase()));
        let props = h.properties(json!({
            "ClusterName": format!("sampled-{}", unique()),
            "DeploymentStrategy": strategy,
        }));
        let out = h.invoke(stack.create(&props)).await;
        out.assert_success();
        let (rule, service) = (out.data("ListenerRuleArn"), out.data("ServiceArn"));
        let primary = out.data("TargetGroupArn");
        let before = sample(&h, &rule, (&service, &primary)).await;
        let initial = before.0.first().cloned().unwrap_or_default();
        // The new revision rolls out until the rule was sampled 10 times since its
        // UpdateService; ECS then moves a native set's traffic to the tasks that run.
        h.proxy.rollouts.set_for_all(Rollout::Stuck);
        let (samples, stop) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(AtomicBool::new(false)),
        );
        let sampler = {
            let (h, samples, stop) = (h.clone(), samples.clone(), stop.clone());
            let (rule, service, initial) = (rule.clone(), service.clone(), initial.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let s = sample(&h, &rule, (&service, &initial)).await;
                    samples.lock().expect("samples").push(s);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            })
        };
        // A new image and new routing: prod-e writes the rule's conditions while ECS owns its
        // weights.
        let mut new = props.clone();
        new["Image"] = json!("nginx:2");
        new["PathPatterns"] = json!(["/v2/*"]);
        let calls = h.proxy.calls().len();
        let taken = |n: usize| {
            let (h, samples) = (h.clone(), samples.clone());
            let mut from = None;
            move || {
                let count = samples.lock().expect("samples").len();
                let updated = h.proxy.calls()[calls..]
                    .iter()
                    .any(|c| c.action == "UpdateService");
                from = from.or(updated.then_some(count));
                from.is_some_and(|f| count >= f + n)
            }
        };
        let updated = crate::support::patience::releasing(
            h.invoke(stack.update(&out.physical_id(), &props, &new)),
            "10 samples while the new revision rolls out",
            taken(10),
            || h.proxy.rollouts.set_for_all(Rollout::Done),
        )
        .await;
        let after = sample(&h, &rule, (&service, &initial)).await;
        stop.store(true, Ordering::SeqCst);
        sampler.await.expect("sampler");
        updated.assert_success();
        let mut samples = samples.lock().expect("samples").clone();
        samples.push(after.clone());
        let bad: Vec<_> = samples.iter().filter(|(_, ok)| !ok).collect();
        assert!(
            bad.is_empty(),
            "{strategy}: {} of {} samples sent traffic to the new revision's group before it rolled out: {bad:?}",
            bad.len(),
            samples.len()
        );
        assert!(
            samples.len() >= 10,
            "{strategy}: only {} samples",
            samples.len()
        );
        let wrote = h.proxy.calls()[calls..]
            .iter()
            .any(|c| c.action == "ModifyRule");
        assert!(wrote, "{strategy}: the rule's conditions were not written");
        // A native strategy's deployment ends on the other group; a rolling one on its own.
        let moved = before.0 != after.0;
        assert_eq!(
            moved,
            strategy != "ROLLING",
            "{strategy}: {before:?} → {after:?}"
        );
        println!("FIGURE zero downtime, {strategy}: {} of {} rule samples during an image Update sent traffic only to tasks that run (the Update's rule write among them)", samples.len(), samples.len());
    }
}
