//! A native strategy's test route (`TestHostHeaders`, `TestPathPatterns`; issue #27): a rule
//! of the set's own, tagged as the test rule, at the free priority nearest below the
//! production rule's, matching the production conditions with the test hosts or paths in
//! their place and forwarding as the production rule does; named by the service's
//! `testListenerRule`, allowed to the traffic role, pointed at the new revision by ECS in each
//! deployment (rule 27), given new conditions in place, deleted when the route goes and with
//! the set. Refused without a native strategy, and before any write when it would match first
//! for another owner's rule.

use aws_sdk_elasticloadbalancingv2::types::Rule;
use serde_json::{json, Value};

use crate::emulator::{assert_nothing_left, reads};
use crate::strategy::forwards;
use crate::support::{unique, Harness, Stack};
use prod_e::naming::Deployment;

/// The set's rules on the harness's listener: (its production rule, its test rules).
async fn set_rules_all(h: &Harness, id: &str) -> (Option<Rule>, Vec<Rule>) {
    let rules = reads::rules(&h.clients, &h.network.listener_arn, id).await;
    let (mut production, mut tests) = (None, Vec::new());
    for rule in rules {
        let arn = rule.rule_arn().unwrap_or_default().to_string();
        let tags = h.clients.elb.describe_tags().resource_arns(&arn).send();
        let tags = tags.await.expect("rule tags");
        let mut tagged = tags.tag_descriptions()[0].tags().iter();
        match tagged.any(|t| t.key() == Some("prod-e:route") && t.value() == Some("test")) {
            true => tests.push(rule),
            false => production = Some(rule),
        }
    }
    (production, tests)
}

/// The set's rules on the harness's listener: (production, test), each `None` if missing.
async fn set_rules(h: &Harness, id: &str) -> (Option<Rule>, Option<Rule>) {
    let (production, tests) = set_rules_all(h, id).await;
    (production, tests.into_iter().next())
}

/// A second test rule of the set, as attempts at once would leave: a copy of `rule` (its
/// conditions, forward and tags) at `priority`.
async fn second_copy(h: &Harness, rule: &Rule, priority: i32) {
    let elb = &h.clients.elb;
    let arn = rule.rule_arn().unwrap_or_default();
    let tags = elb.describe_tags().resource_arns(arn).send().await;
    let tags = tags.expect("rule tags").tag_descriptions()[0]
        .tags()
        .to_vec();
    let made = elb
        .create_rule()
        .listener_arn(&h.network.listener_arn)
        .priority(priority)
        .set_conditions(Some(rule.conditions().to_vec()))
        .set_actions(Some(rule.actions().to_vec()))
        .set_tags(Some(tags))
        .send()
        .await;
    made.expect("a second test rule");
}

/// How many test rules the set has.
async fn test_rules(h: &Harness, id: &str) -> usize {
    set_rules_all(h, id).await.1.len()
}

/// A rule's (host-header values, path-pattern values).
fn conditions(rule: &Rule) -> (Vec<String>, Vec<String>) {
    let (mut hosts, mut paths) = (Vec::new(), Vec::new());
    for c in rule.conditions() {
        if let Some(h) = c.host_header_config() {
            hosts.extend(h.values().iter().cloned());
        }
        if let Some(p) = c.path_pattern_config() {
            paths.extend(p.values().iter().cloned());
        }
    }
    (hosts, paths)
}

fn priority(rule: &Rule) -> u32 {
    rule.priority()
        .unwrap_or_default()
        .parse()
        .expect("a number")
}

/// The traffic role's `ModifyRule` resources.
async fn modifiable(h: &Harness, d: &Deployment) -> Value {
    crate::strategy::traffic_policy(h, d).await["Statement"][2]["Resource"].clone()
}

#[tokio::test]
async fn a_test_route_follows_each_deployment_and_lives_and_dies_with_its_property() {
    let h = Harness::new().await;
    let stack = Stack::new("test-route");
    let props = h.properties(json!({
        "ClusterName": format!("test-route-{}", unique()),
        "DeploymentStrategy": "BLUE_GREEN",
        "TestHostHeaders": ["test.example.com"],
    }));
    let out = h.invoke(stack.create(&props)).await;
    let id = out.assert_success().physical_id();
    let d = Deployment::parse(&id).expect("our id");
    let (production, test) = set_rules(&h, &id).await;
    let (production, test) = (production.expect("rule"), test.expect("test rule"));
    let test_arn = test.rule_arn().unwrap_or_default().to_string();
    let rule = out.data("ListenerRuleArn");
    assert_eq!(production.rule_arn(), Some(rule.as_str()));
    // Evaluated first, the production conditions with the test host, forwarding alike.
    assert!(priority(&test) < priority(&production));
    assert_eq!(
        conditions(&test),
        (vec!["test.example.com".to_string()], vec!["/*".to_string()])
    );
    assert_eq!(forwards(&h, &test_arn).await, forwards(&h, &rule).await);
    let switch = h.last_request("UpdateService");
    let advanced = &switch["loadBalancers"][0]["advancedConfiguration"];
    assert_eq!(advanced["testListenerRule"], test_arn.as_str());
    assert_eq!(modifiable(&h, &d).await, json!([rule, test_arn]));

    // A new image: ECS sends test traffic to the new revision, then production traffic.
    let mut image = props.clone();
    image["Image"] = json!("nginx:1.27");
    h.invoke(stack.update(&id, &props, &image))
        .await
        .assert_success();
    let moved = forwards(&h, &rule).await;
    assert_eq!(moved.iter().map(|(_, w)| *w).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(forwards(&h, &test_arn).await, moved);

    // A second test rule of the set (attempts at once): the next Update keeps one.
    second_copy(&h, &test, 3).await;
    assert_eq!(test_rules(&h, &id).await, 2);
    // New hosts: the same rule, new conditions, the service's load balancer untouched.
    let mut qa = image.clone();
    qa["TestHostHeaders"] = json!(["qa.example.com"]);
    h.invoke(stack.update(&id, &image, &qa))
        .await
        .assert_success();
    let (_, changed) = set_rules(&h, &id).await;
    let changed = changed.expect("test rule kept");
    assert_eq!(changed.rule_arn(), Some(test_arn.as_str()));
    assert_eq!(conditions(&changed).0, ["qa.example.com"]);
    assert_eq!(test_rules(&h, &id).await, 1);
    assert_eq!(h.last_request("UpdateService").get("loadBalancers"), None);
    // `prod-e status` shows the test rule, and where it differs from the properties.
    let mut other = qa.clone();
    other["TestHostHeaders"] = json!(["other.example.com"]);
    let path = crate::cli::write_properties(&other);
    let status = ["status", "--physical-id", &id, "--properties", &path];
    let (code, out, err) = crate::cli::prod_e(&status);
    assert_eq!(code, 5, "{out}{err}");
    assert!(out.contains("listener rule (test)"), "{out}");
    let drift = "TestHostHeaders is qa.example.com, the properties say other.example.com";
    assert!(out.contains(drift), "{out}");

    // No test route: the service stops naming the rule, then the rule goes.
    let mut none = qa.clone();
    none.as_object_mut()
        .expect("object")
        .remove("TestHostHeaders");
    h.invoke(stack.update(&id, &qa, &none))
        .await
        .assert_success();
    let dropped = h.last_request("UpdateService");
    let advanced = &dropped["loadBalancers"][0]["advancedConfiguration"];
    assert_eq!(advanced["productionListenerRule"], rule.as_str());
    assert_eq!(advanced.get("testListenerRule"), None);
    assert!(set_rules(&h, &id).await.1.is_none());

    // Back again by path, then the Delete removes it with the set.
    let mut paths = none.clone();
    paths["TestPathPatterns"] = json!(["/test/*"]);
    h.invoke(stack.update(&id, &none, &paths))
        .await
        .assert_success();
    let (_, again) = set_rules(&h, &id).await;
    assert_eq!(conditions(&again.expect("test rule")).1, ["/test/*"]);
    // The rule moved ahead of it: the test rule follows, just below.
    let mut ahead = paths.clone();
    ahead["RulePriority"] = json!(500);
    h.invoke(stack.update(&id, &paths, &ahead))
        .await
        .assert_success();
    let (production, test) = set_rules(&h, &id).await;
    assert_eq!(priority(&production.expect("rule")), 500);
    let test = test.expect("test rule");
    assert_eq!(priority(&test), 499);
    // Two at the Delete: both go, then the target groups.
    second_copy(&h, &test, 4).await;
    h.invoke(stack.delete(&id, &ahead)).await.assert_success();
    assert_nothing_left(&h, &id, &ahead).await;
}

#[tokio::test]
async fn a_test_route_is_refused_without_a_native_strategy_or_over_another_owners_rule() {
    let h = Harness::new().await;
    let rolling = h.properties(json!({
        "ClusterName": format!("test-route-{}", unique()),
        "TestHostHeaders": ["test.example.com"],
    }));
    let out = h.invoke(Stack::new("rolling").create(&rolling)).await;
    assert_eq!(out.status(), "FAILED");
    assert!(out.reason().contains("TestHostHeaders"), "{}", out.reason());
    assert!(
        out.reason().contains("DeploymentStrategy"),
        "{}",
        out.reason()
    );

    // Another owner's rule for shadow.example.com at 100; ours at 10 on app.example.com.
    let theirs = crate::routing::host_rule(&h, "shadow.example.com", 100).await;
    let greedy = h.properties(json!({
        "ClusterName": format!("test-route-{}", unique()),
        "DeploymentStrategy": "CANARY",
        "HostHeaders": ["app.example.com"],
        "RulePriority": 10,
        "TestHostHeaders": ["shadow.example.com"],
    }));
    let want = [theirs.as_str(), "test listener rule", "at priority 9"];
    crate::preflight::refused(&h, &greedy, &want).await;

    // In place: a stack without a test route may not add that one either.
    let stack = Stack::new("in-place");
    let mut props = greedy.clone();
    props["ClusterName"] = json!(format!("test-route-{}", unique()));
    props["RulePriority"] = json!(20);
    props
        .as_object_mut()
        .expect("object")
        .remove("TestHostHeaders");
    let id = h
        .invoke(stack.create(&props))
        .await
        .assert_success()
        .physical_id();
    let mut shadowing = props.clone();
    shadowing["TestHostHeaders"] = json!(["shadow.example.com"]);
    let before = h.proxy.calls().len();
    let out = h.invoke(stack.update(&id, &props, &shadowing)).await;
    assert_eq!(out.status(), "FAILED");
    assert!(out.reason().contains(&theirs), "{}", out.reason());
    assert!(
        h.writes_since(before).is_empty(),
        "{:?}",
        h.writes_since(before)
    );
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

#[tokio::test]
async fn a_replacement_brings_its_own_test_route_ahead_of_the_old_one() {
    let h = Harness::new().await;
    let stack = Stack::new("test-route-replace");
    let props = h.properties(json!({
        "ClusterName": format!("test-route-{}", unique()),
        "DeploymentStrategy": "LINEAR",
        "TestPathPatterns": ["/test/*"],
    }));
    let old = h.invoke(stack.create(&props)).await;
    let old = old.assert_success().physical_id();
    let old_test = set_rules(&h, &old).await.1.expect("old test rule");
    let mut moved = props.clone();
    moved["ContainerPort"] = json!("8080");
    let before = h.proxy.calls().len();
    let new = h.invoke(stack.update(&old, &props, &moved)).await;
    let new = new.assert_success().physical_id();
    assert_ne!(new, old, "a replacement");
    // Its test rule is made before the one ModifyRule that routes production traffic to it.
    let calls = &h.proxy.calls()[before..];
    let at = |wanted: &dyn Fn(&prod_e_testkit::call::Call) -> bool| calls.iter().position(wanted);
    let made = at(&|c| c.action == "CreateRule").expect("test rule made");
    let routed = at(&|c| c.action == "ModifyRule" && c.body.contains("Conditions"));
    assert!(made < routed.expect("routed"), "test rule after the route");
    // Both sets' test rules match the same requests: the new set's is evaluated first.
    let new_test = set_rules(&h, &new).await.1.expect("new test rule");
    assert!(priority(&new_test) < priority(&old_test));
    assert_eq!(conditions(&new_test).1, ["/test/*"]);
    let test_arn = new_test.rule_arn().unwrap_or_default();
    assert_eq!(
        forwards(&h, test_arn).await.len(),
        2,
        "both groups, for ECS"
    );
    let switch = h.last_request("UpdateService");
    let advanced = &switch["loadBalancers"][0]["advancedConfiguration"];
    assert_eq!(
        advanced["testListenerRule"],
        new_test.rule_arn().unwrap_or_default()
    );
    // CloudFormation's cleanup Delete of the old set takes its test rule, not the new one's.
    h.invoke(stack.delete(&old, &props)).await.assert_success();
    assert_nothing_left(&h, &old, &props).await;
    let kept = set_rules(&h, &new).await.1.expect("new test rule kept");
    assert_eq!(kept.rule_arn(), new_test.rule_arn());
    // A second replacement's goes ahead again, though the first one's place is free now.
    let mut again = moved.clone();
    again["ContainerPort"] = json!("8081");
    let third = h.invoke(stack.update(&new, &moved, &again)).await;
    let third = third.assert_success().physical_id();
    let third_test = set_rules(&h, &third).await.1.expect("third test rule");
    assert!(priority(&third_test) < priority(&kept));
    h.invoke(stack.delete(&new, &moved)).await.assert_success();
    assert_nothing_left(&h, &new, &moved).await;
    h.invoke(stack.delete(&third, &again))
        .await
        .assert_success();
    assert_nothing_left(&h, &third, &again).await;
}
