//! Replacement: an Update of a replacement property builds a new set beside the old one,
//! moves traffic once it is steady and answers a new PhysicalResourceId; CloudFormation's
//! cleanup Delete of the old id then removes only the old set. A failed replacement is
//! undone by CloudFormation's rollback Update.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::inspect;
use crate::support::patience::{releasing, SHORT_LAMBDA_TIME};
use crate::support::proxy::Fault;
use crate::support::rollout::Rollout;
use crate::support::{unique, Harness, Network, Stack, LAMBDA_TIME};

/// `changes` merged over `props`.
pub fn merged(props: &Value, changes: Value) -> Value {
    let mut new = props.clone();
    if let (Some(n), Value::Object(c)) = (new.as_object_mut(), changes) {
        n.extend(c);
    }
    new
}

/// Create, replace with `changes`, clean up the old id as CloudFormation does, then delete
/// the stack; checks each set at every point.
async fn replaces(h: Harness, name: &str, changes: Value) {
    let c = &h.clients;
    let stack = Stack::new(name);
    let props = h.properties(json!({"ClusterName": format!("{name}-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let old_id = created.physical_id();
    let new = merged(&props, changes);

    let out = h.invoke(stack.update(&old_id, &props, &new)).await;
    out.assert_success();
    let new_id = out.physical_id();
    assert_ne!(
        new_id, old_id,
        "a replacement answers a new PhysicalResourceId"
    );
    assert_eq!(new_id, stack.deployment(&new).physical_id());
    // The task role always, and the security group within one VPC, outlive the replacement.
    assert_eq!(out.data("TaskRoleArn"), created.data("TaskRoleArn"));
    let same_group = out.data("SecurityGroupId") == created.data("SecurityGroupId");
    assert_eq!(
        same_group,
        new["VpcId"] == props["VpcId"],
        "{name}: SecurityGroupId"
    );

    // The new set is whole and ours, and the rule forwards to its target group.
    let d = prod_e::naming::Deployment::parse(&new_id).expect("id");
    let inv = inspect::everything(c, &new_id, &new).await;
    let tg = inv.target_group.as_ref().expect("new target group");
    assert_eq!(out.data("TargetGroupArn"), tg.arn);
    assert_ne!(out.data("TargetGroupArn"), created.data("TargetGroupArn"));
    let rule = inv.listener_rule.as_ref().expect("rule");
    assert!(d.owns(&rule.tags), "the rule belongs to the new set");
    assert_eq!(rule.target_group_arns, vec![tg.arn.clone()]);
    assert_eq!(out.data("ListenerRuleArn"), rule.arn);
    let cluster = out.data("ClusterName");
    let svc = inspect::service(c, &cluster, &out.data("ServiceName")).await;
    assert_eq!(svc.target_group_arn, tg.arn);
    assert!(inv.service.as_ref().is_some_and(|s| d.owns(&s.tags)));
    assert!(inv.cluster.as_ref().is_some_and(|k| d.owns(&k.tags)));

    // CloudFormation's cleanup: Delete of the old id, with the old properties.
    h.invoke(stack.delete(&old_id, &props))
        .await
        .assert_success();
    crate::emulator::assert_nothing_left(&h, &old_id, &props).await;
    let after = inspect::everything(c, &new_id, &new).await;
    for (what, ours) in [
        (
            "roles",
            after.execution_role.is_some() && after.task_role.is_some(),
        ),
        ("security group", after.security_group.is_some()),
        ("log group", after.log_group.is_some()),
        (
            "cluster",
            after.cluster.as_ref().is_some_and(|k| d.owns(&k.tags)),
        ),
        ("target group", after.target_group.is_some()),
        (
            "rule",
            after
                .listener_rule
                .as_ref()
                .is_some_and(|r| d.owns(&r.tags)),
        ),
        (
            "service",
            after.service.as_ref().is_some_and(|s| d.owns(&s.tags)),
        ),
        ("task definition", after.task_definitions.len() == 1),
    ] {
        assert!(
            ours,
            "the cleanup Delete of the old set touched the new set's {what}"
        );
    }

    // Stack deletion.
    h.invoke(stack.delete(&new_id, &new)).await.assert_success();
    inspect::assert_nothing_of(c, &stack).await;
    println!("FIGURE replacement ({name}): new id, traffic on the new set, the cleanup Delete removed only the old set");
}

#[tokio::test]
async fn container_port_shares_the_cluster_and_renames_the_new_service() {
    let h = Harness::new().await;
    replaces(h, "rp-port", json!({"ContainerPort": "8080"})).await;
}

#[tokio::test]
async fn container_name() {
    let h = Harness::new().await;
    replaces(h, "rp-container", json!({"ContainerName": "web"})).await;
}

#[tokio::test]
async fn service_name() {
    let h = Harness::new().await;
    replaces(h, "rp-service", json!({"ServiceName": "renamed"})).await;
}

#[tokio::test]
async fn cluster_name() {
    let h = Harness::new().await;
    let cluster = format!("rp-other-{}", unique());
    replaces(h, "rp-cluster", json!({"ClusterName": cluster})).await;
}

#[tokio::test]
async fn target_protocol() {
    let h = Harness::new().await;
    let image = "public.ecr.aws/docker/library/envoy:v1.31";
    let changes = json!({"TargetProtocol": "HTTPS", "Image": image});
    replaces(h, "rp-protocol", changes).await;
}

#[tokio::test]
async fn listener_arn() {
    let h = Harness::new().await;
    let listener = h.network.another_listener(&h.clients).await;
    let group = &h.network.alb_security_group_id;
    h.proxy.deploys_behind(&h.network.vpc_id, &listener, group);
    replaces(h, "rp-listener", json!({"ListenerArn": listener})).await;
}

#[tokio::test]
async fn vpc_id_with_its_subnets_load_balancer_and_listener() {
    let h = Harness::new().await;
    let other = Network::create(&h.clients).await;
    // The operator moved the function's stack to the new network's parameters first (its
    // policy names one VpcId and ListenerArn).
    h.proxy.deploys_behind(
        &other.vpc_id,
        &other.listener_arn,
        &other.alb_security_group_id,
    );
    let changes = json!({
        "VpcId": other.vpc_id,
        "SubnetIds": other.subnet_ids,
        "LoadBalancerSecurityGroupId": other.alb_security_group_id,
        "ListenerArn": other.listener_arn,
    });
    replaces(h, "rp-vpc", changes).await;
}

/// A security group that admits the service's group, as a database's does
/// (`!GetAtt Service.SecurityGroupId`): its id.
async fn database_admitting(h: &Harness, group: &str) -> String {
    use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
    let ec2 = &h.clients.ec2;
    let db = ec2
        .create_security_group()
        .group_name(format!("db-{}", unique()))
        .description("a database")
        .vpc_id(&h.network.vpc_id)
        .send()
        .await
        .expect("database group");
    let db = db.group_id().expect("group id").to_string();
    let from_service = UserIdGroupPair::builder().group_id(group).build();
    let rule = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .user_id_group_pairs(from_service)
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(&db)
        .ip_permissions(rule)
        .send()
        .await
        .expect("database rule");
    db
}

#[tokio::test]
async fn the_new_tasks_are_in_the_group_a_database_admits_before_traffic_moves() {
    let h = Harness::new().await;
    let c = &h.clients;
    let stack = Stack::new("rp-group");
    let props = h.properties(json!({"ClusterName": format!("group-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let (old_id, group) = (created.physical_id(), created.data("SecurityGroupId"));
    let database = database_admitting(&h, &group).await;
    let new = merged(&props, json!({"ContainerPort": 8080}));
    let from = h.proxy.calls().len();
    let out = h.invoke(stack.update(&old_id, &props, &new)).await;
    out.assert_success();
    assert_eq!(out.data("SecurityGroupId"), group, "the same group");
    assert_eq!(out.data("TaskRoleArn"), created.data("TaskRoleArn"));
    // The new service was created in that group, and traffic moved to it afterwards.
    let calls = h.proxy.calls()[from..].to_vec();
    let created_at = calls.iter().position(|c| c.action == "CreateService");
    let created_at = created_at.expect("the new service");
    assert!(
        calls[created_at].body.contains(&group),
        "created in {group}"
    );
    let routed_at = calls.iter().rposition(|c| c.action == "ModifyRule");
    assert!(routed_at.is_some_and(|r| r > created_at), "routed after");
    let svc = inspect::service(c, &out.data("ClusterName"), &out.data("ServiceName")).await;
    assert_eq!(svc.security_groups, vec![group.clone()]);
    // The group admits the load balancer on the new port only.
    let sg = c
        .ec2
        .describe_security_groups()
        .group_ids(&group)
        .send()
        .await;
    let sg = sg.expect("the group");
    let ports: Vec<_> = sg.security_groups()[0]
        .ip_permissions()
        .iter()
        .filter_map(|p| p.from_port())
        .collect();
    assert_eq!(ports, vec![8080]);
    // CloudFormation's cleanup of the old id leaves the group and the role to the new set.
    h.invoke(stack.delete(&old_id, &props))
        .await
        .assert_success();
    crate::emulator::assert_nothing_left(&h, &old_id, &props).await;
    let after = inspect::everything(c, &out.physical_id(), &new).await;
    assert_eq!(after.security_group.map(|g| g.id), Some(group));
    assert!(after
        .task_role
        .is_some_and(|r| r.arn == out.data("TaskRoleArn")));
    // The stack is deleted: the database first (its rule names the group), then the service.
    c.ec2
        .delete_security_group()
        .group_id(&database)
        .send()
        .await
        .expect("database gone");
    h.invoke(stack.delete(&out.physical_id(), &new))
        .await
        .assert_success();
    inspect::assert_nothing_of(c, &stack).await;
}

/// The rule's target group and whether the service behind it is steady, as the rollouts
/// the proxy plays show it.
async fn sample(h: &Harness, cluster: &str) -> (String, bool) {
    let c = &h.clients;
    let rules = c
        .elb
        .describe_rules()
        .listener_arn(&h.network.listener_arn)
        .send()
        .await
        .expect("rules");
    let action = rules
        .rules()
        .iter()
        .find(|r| !r.is_default().unwrap_or(false))
        .and_then(|r| r.actions().first());
    // Where requests go: the group of a plain forward, or the weighted groups with weight > 0
    // (a replacement's new group joins the rule at weight 0 before its service exists).
    let weighted = action
        .and_then(|a| a.forward_config())
        .map(|f| f.target_groups())
        .unwrap_or_default()
        .iter()
        .filter(|t| t.weight().unwrap_or(1) > 0)
        .find_map(|t| t.target_group_arn());
    let target = weighted
        .or_else(|| action.and_then(|a| a.target_group_arn()))
        .unwrap_or_default()
        .to_string();
    let services = prod_e::resources::service::list(&c.ecs, cluster)
        .await
        .expect("services");
    let mut steady = false;
    for s in services {
        let view = inspect::service(c, cluster, &s.name).await;
        if view.target_group_arn == target {
            steady = h.proxy.rollouts.is_steady(&s.arn);
        }
    }
    (target, steady)
}

/// Holds once `n` listener samples were taken after the provider's next CreateService (from
/// now on): samples while the new service rolls out.
fn sampled_since_create_service<'a>(
    h: &'a Harness,
    samples: &'a Mutex<Vec<(String, bool)>>,
    n: usize,
) -> impl FnMut() -> bool + 'a {
    let (from, mut before) = (h.proxy.calls().len(), None);
    move || {
        let taken = samples.lock().expect("samples").len();
        let calls = h.proxy.calls();
        if before.is_none() && calls[from..].iter().any(|c| c.action == "CreateService") {
            before = Some(taken);
        }
        before.is_some_and(|b| taken >= b + n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_only_ever_reaches_a_steady_service() {
    let h = Arc::new(Harness::new().await);
    let stack = Stack::new("zero-downtime");
    let cluster = format!("zd-{}", unique());
    let props = h.properties(json!({"ClusterName": cluster}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    // The new service rolls out until the listener was sampled 10 times since its
    // CreateService, however fast or slow the machine; the old one keeps serving meanwhile.
    h.proxy.rollouts.set_for_new(Rollout::Stuck);
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (h, samples, stop, cluster) =
            (h.clone(), samples.clone(), stop.clone(), cluster.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let s = sample(&h, &cluster).await;
                samples.lock().expect("samples").push(s);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let new = merged(&props, json!({"ContainerPort": 8080}));
    let out = releasing(
        h.invoke(stack.update(&created.physical_id(), &props, &new)),
        "10 listener samples while the new service rolls out",
        sampled_since_create_service(&h, &samples, 10),
        || h.proxy.rollouts.set_for_all(Rollout::Done),
    )
    .await;
    let last = sample(&h, &cluster).await;
    stop.store(true, Ordering::SeqCst);
    sampler.await.expect("sampler");
    out.assert_success();
    let mut samples = samples.lock().expect("samples").clone();
    samples.push(last);
    let bad: Vec<_> = samples.iter().filter(|(_, steady)| !steady).collect();
    assert!(
        bad.is_empty(),
        "{} of {} samples forwarded to a service not steady: {bad:?}",
        bad.len(),
        samples.len()
    );
    let (old_tg, new_tg) = (created.data("TargetGroupArn"), out.data("TargetGroupArn"));
    assert!(samples.len() >= 10, "only {} samples", samples.len());
    assert!(
        samples.iter().any(|(tg, _)| *tg == old_tg),
        "never saw the old target group"
    );
    assert_eq!(samples.last().map(|(tg, _)| tg.clone()), Some(new_tg));
    println!(
        "FIGURE zero downtime: {} of {} listener samples during a replacement forwarded to a steady service",
        samples.len(),
        samples.len()
    );
}

#[tokio::test]
async fn a_replacement_cut_short_is_rolled_back_to_the_state_before() {
    let h = Harness::new().await;
    let c = &h.clients;
    let stack = Stack::new("rp-rollback");
    let props = h.properties(json!({"ClusterName": format!("rb-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    let before = inspect::snapshot(c, &stack, &id, &props).await;

    // The new service's creation never answers: the Update is cut short half-way.
    let new = merged(&props, json!({"ContainerPort": 8080}));
    h.proxy.fail_first("CreateService", 1, Fault::Hang);
    let out = h
        .invoke_with_time(stack.update(&id, &props, &new), SHORT_LAMBDA_TIME)
        .await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(out.physical_id(), id);
    assert!(
        out.reason().contains("while creating ECS service"),
        "{}",
        out.reason()
    );
    let half_built = stack.deployment(&new);
    let left = inspect::everything(c, half_built.physical_id(), &new).await;
    assert!(
        left.execution_role.is_some() && left.target_group.is_some(),
        "nothing was half-built"
    );
    h.proxy.calm();

    // CloudFormation's rollback Update: old and new properties swapped, the original id.
    let rollback = h.invoke(stack.update(&id, &new, &props)).await;
    rollback.assert_success();
    assert_eq!(rollback.physical_id(), id);
    assert_eq!(
        rollback.data("TargetGroupArn"),
        created.data("TargetGroupArn")
    );
    crate::emulator::assert_nothing_left(&h, half_built.physical_id(), &new).await;
    assert_eq!(inspect::snapshot(c, &stack, &id, &props).await, before);
    println!(
        "FIGURE rollback: a replacement cut short half-way, then CloudFormation's rollback Update: the half-built set removed, {} facts of the stack identical to before",
        before.len()
    );
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(c, &stack).await;
}

#[tokio::test]
async fn a_rollback_after_a_successful_replacement_returns_to_the_original_set() {
    let h = Harness::new().await;
    let c = &h.clients;
    let stack = Stack::new("rp-back");
    let props = h.properties(json!({"ClusterName": format!("back-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let a = created.physical_id();
    let before = inspect::snapshot(c, &stack, &a, &props).await;
    let new = merged(&props, json!({"ContainerPort": 8080}));
    let replaced = h.invoke(stack.update(&a, &props, &new)).await;
    replaced.assert_success();
    let b = replaced.physical_id();
    // Another resource of the stack failed: CloudFormation rolls the stack back, and this
    // resource with an Update to A's properties under B's id (aws-cdk docs/CLOUDFORMATION.md:
    // ResourceProperties=OLD, OldResourceProperties=NEW), then deletes B in its cleanup.
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&b),
    );
    let back = h
        .invoke_directly(stack.update(&b, &new, &props), LAMBDA_TIME)
        .await;
    back.assert_success();
    assert_eq!(back.physical_id(), a, "the original set, adopted as it is");
    assert_eq!(back.data("TargetGroupArn"), created.data("TargetGroupArn"));
    let cleanup = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS";
    stack.show(cleanup, "UPDATE_COMPLETE", Some(&a));
    h.invoke_directly(stack.delete(&b, &new), LAMBDA_TIME)
        .await
        .assert_success();
    crate::emulator::assert_nothing_left(&h, &b, &new).await;
    assert_eq!(inspect::snapshot(c, &stack, &a, &props).await, before);
    h.invoke(stack.delete(&a, &props)).await.assert_success();
    inspect::assert_nothing_of(c, &stack).await;
}
