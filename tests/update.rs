//! Update in place: each group of in-place properties, same PhysicalResourceId, no stray writes.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute as Attribute;
use serde_json::{json, Value};

use crate::inspect;
use crate::support::{unique, Harness, Outcome, Stack};

struct Live {
    h: Harness,
    stack: Stack,
    id: String,
    props: Value,
    cluster: String,
}

impl Live {
    async fn new(name: &str) -> Live {
        let h = Harness::new().await;
        let stack = Stack::new(name);
        let cluster = format!("{name}-{}", unique());
        let props =
            h.properties(json!({"ClusterName": cluster, "Tags": {"team": "a", "old": "x"}}));
        let out = h.invoke(stack.create(&props)).await;
        out.assert_success();
        Live {
            id: out.physical_id(),
            h,
            stack,
            props,
            cluster,
        }
    }

    /// Sends an Update to `changes` merged over the current properties.
    async fn update(&mut self, changes: Value) -> Outcome {
        let mut new = self.props.clone();
        if let (Some(n), Value::Object(c)) = (new.as_object_mut(), changes) {
            n.extend(c);
        }
        let out = self
            .h
            .invoke(self.stack.update(&self.id, &self.props, &new))
            .await;
        if out.status() == "SUCCESS" {
            self.props = new;
        }
        out
    }
}

#[tokio::test]
async fn image_and_desired_count_roll_a_new_revision() {
    let mut live = Live::new("upd-image").await;
    let c = &live.h.clients.clone();
    let before = inspect::service(c, &live.cluster, "prod-e-service").await;
    let out = live
        .update(json!({"Image": "nginx:1.27", "DesiredCount": "2"}))
        .await;
    out.assert_success();
    assert_eq!(out.physical_id(), live.id);
    let after = inspect::service(c, &live.cluster, "prod-e-service").await;
    assert_eq!(after.desired, 2);
    assert_ne!(after.task_definition, before.task_definition);
    assert_eq!(out.data("TaskDefinitionArn"), after.task_definition);
    assert_eq!(
        inspect::task_definition(c, &after.task_definition)
            .await
            .image,
        "nginx:1.27"
    );
    assert_eq!(
        inspect::task_definition(c, &before.task_definition)
            .await
            .status,
        "INACTIVE"
    );
    let inv = inspect::everything(c, &live.id, &live.props).await;
    assert_eq!(
        inv.task_definitions.len(),
        1,
        "only the live revision stays registered"
    );
}

#[tokio::test]
async fn size_and_environment_change_the_task_definition() {
    let mut live = Live::new("upd-size").await;
    let c = &live.h.clients.clone();
    live.update(json!({"Cpu": 1024, "Memory": "3072", "Environment": {"A": "1"}}))
        .await
        .assert_success();
    let svc = inspect::service(c, &live.cluster, "prod-e-service").await;
    let td = inspect::task_definition(c, &svc.task_definition).await;
    assert_eq!((td.cpu.as_str(), td.memory.as_str()), ("1024", "3072"));
    assert_eq!(td.environment.get("A").map(String::as_str), Some("1"));
}

#[tokio::test]
async fn traffic_settings_change_where_they_live() {
    let mut live = Live::new("upd-traffic").await;
    let c = &live.h.clients.clone();
    let out = live.update(json!({"HealthCheckPath": "/health", "RulePriority": 42, "PathPattern": "/api/*", "LogRetentionDays": 7})).await;
    out.assert_success();
    let inv = inspect::everything(c, &live.id, &live.props).await;
    assert_eq!(inv.target_group.expect("tg").health_check.path, "/health");
    let rule = inv.listener_rule.expect("rule");
    assert_eq!(
        (rule.priority.as_str(), rule.routing.path_patterns.clone()),
        ("42", vec!["/api/*".to_string()])
    );
    assert_eq!(inv.log_group.expect("logs").retention_days, Some(7));
    assert_eq!(out.data("ListenerRuleArn"), rule.arn);
}

/// The target group's attributes, key → value, as moto holds them.
async fn attributes(live: &Live) -> BTreeMap<String, String> {
    let c = &live.h.clients;
    let tg = inspect::everything(c, &live.id, &live.props).await;
    let arn = tg.target_group.expect("the target group").arn;
    let out = c
        .elb
        .describe_target_group_attributes()
        .target_group_arn(arn);
    let out = out.send().await.expect("attributes");
    let pairs = out.attributes().iter();
    let pair = |a: &Attribute| Some((a.key()?.to_string(), a.value()?.to_string()));
    pairs.filter_map(pair).collect()
}

#[tokio::test]
async fn target_group_attributes_change_in_place_and_refuse_what_elbv2_does_not_honour() {
    let mut live = Live::new("upd-attrs").await;
    let from = live.h.proxy.calls().len();
    live.update(json!({"SlowStartSeconds": 120}))
        .await
        .assert_success();
    assert_eq!(live.h.writes_since(from), ["ModifyTargetGroupAttributes"]);
    assert_eq!(
        attributes(&live).await["slow_start.duration_seconds"],
        "120"
    );
    let sticky = json!({"Type": "app_cookie", "CookieName": "SESSION", "DurationSeconds": 600});
    let changes = json!({"SlowStartSeconds": 0, "LoadBalancingAlgorithm":
        "least_outstanding_requests", "Stickiness": sticky});
    let from = live.h.proxy.calls().len();
    live.update(changes).await.assert_success();
    assert_eq!(live.h.writes_since(from), ["ModifyTargetGroupAttributes"]);
    let found = attributes(&live).await;
    let want = [
        ("slow_start.duration_seconds", "0"),
        (
            "load_balancing.algorithm.type",
            "least_outstanding_requests",
        ),
        ("stickiness.enabled", "true"),
        ("stickiness.type", "app_cookie"),
        ("stickiness.app_cookie.cookie_name", "SESSION"),
        ("stickiness.app_cookie.duration_seconds", "600"),
    ];
    for (key, value) in want {
        assert_eq!(found.get(key).map(String::as_str), Some(value), "{key}");
    }
    // ALB User Guide, "Edit target group attributes": slow start only with round robin;
    // weighted random without sticky sessions; app cookies not across weighted groups.
    let refused = [
        (
            json!({"SlowStartSeconds": 10}),
            "must be 0 (off) or 30–900 seconds",
        ),
        (
            json!({"SlowStartSeconds": 60}),
            "works only with LoadBalancingAlgorithm round_robin",
        ),
        (
            json!({"LoadBalancingAlgorithm": "weighted_random"}),
            "does not work with LoadBalancingAlgorithm weighted_random",
        ),
        (
            json!({"DeploymentStrategy": "BLUE_GREEN"}),
            "does not work with DeploymentStrategy BLUE_GREEN",
        ),
        (
            json!({"Stickiness": {"Type": "app_cookie", "CookieName": "AWSALBX"}}),
            "AWSALB",
        ),
    ];
    let from = live.h.proxy.calls().len();
    for (change, reason) in refused {
        let out = live.update(change.clone()).await;
        assert_eq!(out.status(), "FAILED", "{change}");
        assert!(out.reason().contains(reason), "{change}: {}", out.reason());
    }
    assert!(
        live.h.writes_since(from).is_empty(),
        "a refused change wrote"
    );
    // lb_cookie, then off: the attributes follow in place.
    let lb = json!({"Stickiness": {"Type": "lb_cookie", "DurationSeconds": 60}});
    live.update(lb).await.assert_success();
    let found = attributes(&live).await;
    assert_eq!(found["stickiness.type"], "lb_cookie");
    assert_eq!(found["stickiness.lb_cookie.duration_seconds"], "60");
    live.update(json!({"Stickiness": ""}))
        .await
        .assert_success();
    assert_eq!(attributes(&live).await["stickiness.enabled"], "false");
}

#[tokio::test]
async fn network_settings_change_in_place() {
    let mut live = Live::new("upd-net").await;
    let c = &live.h.clients.clone();
    let new_alb_sg = live.h.network.another_security_group(c).await;
    let one_subnet = vec![live.h.network.subnet_ids[0].clone()];
    live.update(json!({"LoadBalancerSecurityGroupId": new_alb_sg, "SubnetIds": one_subnet, "AssignPublicIp": "true"}))
        .await
        .assert_success();
    let inv = inspect::everything(c, &live.id, &live.props).await;
    assert_eq!(
        inv.security_group.expect("sg").ingress,
        vec![(80, new_alb_sg)]
    );
    let svc = inspect::service(c, &live.cluster, "prod-e-service").await;
    assert_eq!(svc.subnets, one_subnet);
    assert_eq!(svc.public_ip, "ENABLED");
}

#[tokio::test]
async fn tags_change_on_every_resource() {
    let mut live = Live::new("upd-tags").await;
    let c = &live.h.clients.clone();
    live.update(json!({"Tags": {"team": "b", "new": "y"}}))
        .await
        .assert_success();
    let inv = inspect::everything(c, &live.id, &live.props).await;
    let (_, _, cluster_tags) = inspect::cluster(c, &live.cluster).await;
    let all = [
        ("execution role", inv.execution_role.map(|r| r.tags)),
        ("task role", inv.task_role.map(|r| r.tags)),
        ("security group", inv.security_group.map(|r| r.tags)),
        ("log group", inv.log_group.map(|r| r.tags)),
        ("cluster", Some(cluster_tags)),
        ("target group", inv.target_group.map(|r| r.tags)),
        ("rule", inv.listener_rule.map(|r| r.tags)),
        ("service", inv.service.map(|r| r.tags)),
        (
            "task definition",
            inv.task_definitions.first().map(|t| t.tags.clone()),
        ),
    ];
    for (what, tags) in all {
        let tags = tags.unwrap_or_else(|| panic!("{what} missing"));
        // The stack's own tags stay off the roles (their sessions' principal tags).
        let (team, new) = match what.ends_with(" role") {
            true => (None, None),
            false => (Some("b"), Some("y")),
        };
        assert_eq!(tags.get("team").map(String::as_str), team, "{what}");
        assert_eq!(tags.get("new").map(String::as_str), new, "{what}");
        assert!(!tags.contains_key("old"), "{what} kept a removed tag");
        assert_eq!(
            tags.get("prod-e:physical-id"),
            Some(&live.id),
            "{what} lost ownership"
        );
    }
}

#[tokio::test]
async fn an_unchanged_update_changes_nothing() {
    let mut live = Live::new("upd-same").await;
    let c = &live.h.clients.clone();
    let before = inspect::service(c, &live.cluster, "prod-e-service").await;
    let out = live.update(json!({})).await;
    out.assert_success();
    let after = inspect::service(c, &live.cluster, "prod-e-service").await;
    assert_eq!(after.task_definition, before.task_definition);
    let inv = inspect::everything(c, &live.id, &live.props).await;
    assert_eq!(inv.task_definitions.len(), 1);
    assert_eq!(out.data("TaskDefinitionArn"), before.task_definition);
}

#[tokio::test]
async fn a_refused_update_changes_nothing() {
    let cases = [
        // Invalid new properties.
        (
            json!({"DesiredCount": "many", "Image": "nginx"}),
            "DesiredCount: must be a whole number",
        ),
        (
            json!({"ServiceName": "x".repeat(250), "Image": "nginx"}),
            "ServiceName: must have at most 246 characters",
        ),
    ];
    for (change, reason) in cases {
        let mut live = Live::new("upd-refused").await;
        let c = &live.h.clients.clone();
        let out = live.update(change).await;
        assert_eq!(out.status(), "FAILED");
        assert!(out.reason().contains(reason), "{}", out.reason());
        assert_eq!(out.physical_id(), live.id);
        let svc = inspect::service(c, &live.cluster, "prod-e-service").await;
        assert_eq!(
            inspect::task_definition(c, &svc.task_definition)
                .await
                .image,
            prod_e::default_server::DEFAULT_IMAGE
        );
        assert_eq!(svc.desired, 1);
    }
}

/// An Update's AWS calls do not grow with other deployments' revisions in a shared task
/// family: an image Update makes the same calls before and after 25 revisions of another
/// stack join the family, and never lists or describes the family (the code before issue 16
/// described every ACTIVE revision of it, one call each).
#[tokio::test]
async fn an_updates_calls_do_not_grow_with_other_stacks_revisions() {
    let mut live = Live::new("upd-shared").await;
    let family = "prod-e-task";
    let calls_of = |live: &Live, since: usize| -> Vec<String> {
        let mut actions: Vec<String> = live.h.proxy.calls()[since..]
            .iter()
            .map(|c| c.action.clone())
            .collect();
        actions.sort();
        actions
    };
    // From the second Update on, each retires the revision the one before deregistered: the
    // calls of one Update are those of the next.
    live.update(json!({"Image": "nginx:1.25"}))
        .await
        .assert_success();
    let before = live.h.proxy.calls().len();
    live.update(json!({"Image": "nginx:1.26"}))
        .await
        .assert_success();
    let alone = calls_of(&live, before);
    for i in 0..25 {
        let container = aws_sdk_ecs::types::ContainerDefinition::builder()
            .name("other")
            .image(format!("busybox:{i}"))
            .memory(128)
            .build();
        live.h
            .clients
            .ecs
            .register_task_definition()
            .family(family)
            .container_definitions(container)
            .send()
            .await
            .expect("another stack's revision");
    }
    let before = live.h.proxy.calls().len();
    live.update(json!({"Image": "nginx:1.27"}))
        .await
        .assert_success();
    let shared = calls_of(&live, before);
    assert_eq!(shared, alone, "calls changed with the family's size");
    for reading_the_family in ["ListTaskDefinitions", "DescribeTaskDefinition"] {
        assert!(
            !shared.iter().any(|a| a == reading_the_family),
            "{shared:?}"
        );
    }
}
