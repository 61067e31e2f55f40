//! Preflight against the emulator (issue #13): each problem alone and all at once is
//! answered FAILED with every problem named and nothing written; a healthy network passes
//! with reads only before the first write; a replacement is checked; Delete never is.

use serde_json::{json, Value};

use crate::support::{is_read, unique, Harness, Network, Stack, PREFLIGHT_READS};

/// Invokes a Create of `props`; asserts it FAILED naming each of `want`, and that it wrote
/// nothing. Returns the reason.
pub async fn refused(h: &Harness, props: &Value, want: &[&str]) -> String {
    let before = h.proxy.calls().len();
    let out = h.invoke(Stack::new("pre").create(props)).await;
    assert_eq!(out.status(), "FAILED", "{:?}", out.response);
    let reason = out.reason().to_string();
    assert!(reason.starts_with("preflight found"), "{reason}");
    assert!(reason.contains("nothing was written"), "{reason}");
    assert!(!reason.contains("removed again"), "{reason}");
    for w in want {
        assert!(reason.contains(w), "{w:?} not in {reason}");
    }
    let writes = h.writes_since(before);
    assert!(writes.is_empty(), "preflight failure wrote {writes:?}");
    reason
}

/// A security group in the network's VPC that the load balancer does not have.
async fn unattached_group(h: &Harness) -> String {
    let sg = h
        .clients
        .ec2
        .create_security_group()
        .group_name(format!("loose-{}", unique()))
        .description("not the ALB's")
        .vpc_id(&h.network.vpc_id)
        .send()
        .await
        .expect("create sg");
    sg.group_id().expect("sg id").to_string()
}

/// A rule of someone else's at `priority` on `listener`.
pub async fn foreign_rule(h: &Harness, listener: &str, priority: i32) {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, FixedResponseActionConfig, PathPatternConditionConfig,
        RuleCondition,
    };
    let answer = FixedResponseActionConfig::builder()
        .status_code("200")
        .build();
    h.clients
        .elb
        .create_rule()
        .listener_arn(listener)
        .priority(priority)
        .conditions(
            RuleCondition::builder()
                .field("path-pattern")
                .path_pattern_config(
                    PathPatternConditionConfig::builder()
                        .values(format!("/other-{priority}/*"))
                        .build(),
                )
                .build(),
        )
        .actions(
            Action::builder()
                .r#type(ActionTypeEnum::FixedResponse)
                .fixed_response_config(answer)
                .build(),
        )
        .send()
        .await
        .expect("foreign rule");
}

#[tokio::test]
async fn each_problem_alone_is_refused_before_any_write() {
    let h = Harness::new().await;
    let (c, n) = (&h.clients, &h.network);
    let other = Network::create(c).await;
    let first = n.subnet_ids[0].clone();
    let zone_c = n.private_subnet(c, 3, "us-east-1c").await;
    let isolated = n.isolated_subnet(c, 4, "us-east-1b").await;
    let loose = unattached_group(&h).await;
    foreign_rule(&h, &n.listener_arn, 7).await;
    let missing_listener = n.listener_arn.replace(
        n.listener_arn.rsplit('/').next().unwrap_or_default(),
        "0123456789abcdef",
    );
    let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";
    let cases: Vec<(Value, Vec<String>)> = vec![
        (
            json!({"VpcId": "vpc-0000feed"}),
            vec!["VPC vpc-0000feed does not exist".into()],
        ),
        (
            json!({"SubnetIds": [first, "subnet-0000feed"]}),
            vec!["subnet subnet-0000feed does not exist".into()],
        ),
        (
            json!({"SubnetIds": [first, other.subnet_ids[1]]}),
            vec![format!(
                "subnet {} is in {}, not in {}",
                other.subnet_ids[1], other.vpc_id, n.vpc_id
            )],
        ),
        (
            json!({"SubnetIds": [first]}),
            vec!["SubnetIds are all in us-east-1a".into()],
        ),
        (
            json!({"ListenerArn": missing_listener}),
            vec![format!("listener {missing_listener} does not exist")],
        ),
        (
            json!({"SubnetIds": [first, zone_c]}),
            vec![format!(
                "subnet {zone_c} is in us-east-1c, where the load balancer is not enabled"
            )],
        ),
        (
            json!({"LoadBalancerSecurityGroupId": loose}),
            vec![format!(
                "security group {loose} is not attached to the load balancer"
            )],
        ),
        (
            json!({"LoadBalancerSecurityGroupId": other.alb_security_group_id}),
            vec![format!(
                "security group {} is in {}",
                other.alb_security_group_id, other.vpc_id
            )],
        ),
        (
            json!({"RulePriority": 7}),
            vec!["RulePriority 7 is taken by another rule".into()],
        ),
        (
            json!({"SubnetIds": [first, isolated]}),
            vec![format!(
                "tasks in subnet {isolated} cannot pull public.ecr.aws/docker/library/node:16 (not in \
                 private ECR)"
            )],
        ),
        (
            json!({"SubnetIds": [first, isolated], "Image": ecr}),
            vec![
                format!("tasks in subnet {isolated} have no internet egress"),
                "ecr.api (interface, private DNS)".into(),
            ],
        ),
        (
            json!({"ListenerArn": other.listener_arn}),
            vec![format!("is in {}, not in {}", other.vpc_id, n.vpc_id)],
        ),
    ];
    for (extra, want) in cases {
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        refused(&h, &h.properties(extra), &want).await;
    }
}

#[tokio::test]
async fn every_problem_is_named_at_once() {
    let h = Harness::new().await;
    let (c, n) = (&h.clients, &h.network);
    let other = Network::create(c).await;
    let zone_c = n.private_subnet(c, 5, "us-east-1c").await;
    let isolated = n.isolated_subnet(c, 6, "us-east-1c").await;
    let loose = unattached_group(&h).await;
    foreign_rule(&h, &n.listener_arn, 8).await;
    let props = h.properties(json!({
        "SubnetIds": [zone_c, isolated, other.subnet_ids[0]],
        "LoadBalancerSecurityGroupId": loose,
        "RulePriority": 8,
    }));
    let reason = refused(
        &h,
        &props,
        &[
            &format!("subnet {} is in {}", other.subnet_ids[0], other.vpc_id),
            &format!("subnet {zone_c} is in us-east-1c, where the load balancer is not enabled"),
            &format!("subnet {isolated} is in us-east-1c, where"),
            &format!("security group {loose} is not attached"),
            "RulePriority 8 is taken",
            &format!(
                "tasks in subnet {isolated} cannot pull public.ecr.aws/docker/library/node:16"
            ),
        ],
    )
    .await;
    assert!(reason.contains("preflight found 6 problem(s)"), "{reason}");
}

#[tokio::test]
async fn an_application_load_balancer_with_room_for_a_rule_is_required() {
    use aws_sdk_elasticloadbalancingv2::types::{LoadBalancerTypeEnum, ProtocolEnum};
    let h = Harness::new().await;
    let (c, n) = (&h.clients, &h.network);
    let nlb = c
        .elb
        .create_load_balancer()
        .name(format!("nlb-{}", unique()))
        .set_subnets(Some(n.subnet_ids.clone()))
        .r#type(LoadBalancerTypeEnum::Network)
        .send()
        .await
        .expect("create nlb");
    let nlb_arn = nlb.load_balancers()[0].load_balancer_arn().expect("arn");
    let tcp = c
        .elb
        .create_listener()
        .load_balancer_arn(nlb_arn)
        .protocol(ProtocolEnum::Tcp)
        .port(80)
        .send()
        .await
        .expect("tcp listener");
    let listener = tcp.listeners()[0].listener_arn().expect("arn").to_string();
    refused(
        &h,
        &h.properties(json!({"ListenerArn": listener})),
        &[&format!(
            "load balancer {nlb_arn} is not an Application Load Balancer"
        )],
    )
    .await;
    // The account's limit counts the rules of every listener of the load balancer.
    let second = n.another_listener(c).await;
    for p in 1..=60 {
        foreign_rule(&h, &n.listener_arn, p).await;
    }
    for p in 1..=40 {
        foreign_rule(&h, &second, p).await;
    }
    refused(
        &h,
        &h.properties(json!({})),
        &["the load balancer has 100 rules, the account's limit (rules-per-application-load-balancer) is 100"],
    )
    .await;
}

#[tokio::test]
async fn a_healthy_network_passes_with_reads_only_and_delete_checks_nothing() {
    let h = Harness::new().await;
    let stack = Stack::new("pre-ok");
    let props = h.properties(json!({"ClusterName": format!("pre-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let calls = h.proxy.calls();
    let first_write = calls
        .iter()
        .position(|c| !is_read(&c.action))
        .expect("a write");
    for read in PREFLIGHT_READS {
        let at = calls.iter().position(|c| c.action == read);
        assert!(
            at.is_some_and(|i| i < first_write),
            "{read} before the first write"
        );
    }
    // Multi-AZ: the service is asked to spread over both zones' subnets (Fargate spreads
    // tasks across the zones of its subnets).
    let create = calls
        .iter()
        .find(|c| c.action == "CreateService")
        .expect("CreateService");
    for subnet in &h.network.subnet_ids {
        assert!(create.body.contains(subnet.as_str()), "{}", create.body);
    }
    let before = h.proxy.calls().len();
    h.invoke(stack.delete(&out.physical_id(), &props))
        .await
        .assert_success();
    let checked: Vec<String> = h.proxy.calls()[before..]
        .iter()
        .filter(|c| PREFLIGHT_READS.contains(&c.action.as_str()))
        .map(|c| c.action.clone())
        .collect();
    assert!(checked.is_empty(), "Delete ran preflight reads {checked:?}");
}

#[tokio::test]
async fn a_replacement_is_checked_before_it_builds_and_the_old_set_keeps_serving() {
    let h = Harness::new().await;
    let (c, n) = (&h.clients, &h.network);
    let stack = Stack::new("pre-repl");
    let props = h.properties(json!({"ClusterName": format!("pre-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let zone_c = n.private_subnet(c, 7, "us-east-1c").await;
    let mut new = props.clone();
    new["ContainerPort"] = json!(8080);
    new["SubnetIds"] = json!([n.subnet_ids[0], zone_c]);
    let before = h.proxy.calls().len();
    let failed = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(failed.status(), "FAILED");
    assert_eq!(failed.physical_id(), id);
    let reason = failed.reason();
    assert!(
        reason.contains("where the load balancer is not enabled"),
        "{reason}"
    );
    assert!(reason.ends_with(&format!("{id} still serves")), "{reason}");
    let writes = h.writes_since(before);
    assert!(writes.is_empty(), "{writes:?}");
}

/// A Create delivered again after it succeeded, when the network has changed since: preflight
/// refuses it, and removes nothing (the live set stays), answering with the set's own id.
#[tokio::test]
async fn a_refusal_never_tears_down_what_exists() {
    let h = Harness::new().await;
    let stack = Stack::new("pre-late");
    let props = h.properties(json!({"ClusterName": format!("pre-{}", unique())}));
    let create = stack.create(&props);
    let out = h.invoke(create.clone()).await;
    out.assert_success();
    foreign_rule(&h, &h.network.listener_arn, 9).await;
    let mut moved = props.clone();
    moved["RulePriority"] = json!(9);
    let mut late = stack.create(&moved);
    late["RequestId"] = create["RequestId"].clone();
    let before = h.proxy.calls().len();
    let refused = h.invoke(late).await;
    assert_eq!(refused.status(), "FAILED");
    assert!(
        refused.reason().contains("RulePriority 9 is taken"),
        "{}",
        refused.reason()
    );
    assert_eq!(refused.physical_id(), out.physical_id());
    assert!(
        h.writes_since(before).is_empty(),
        "{:?}",
        h.writes_since(before)
    );
    crate::inspect::assert_one_set(&h, &out.physical_id(), &props).await;
}

/// Private subnets without egress pull a private-ECR image through the VPC's endpoints.
#[tokio::test]
async fn private_ecr_through_vpc_endpoints_passes() {
    use aws_sdk_ec2::types::{Filter, VpcEndpointType};
    let h = Harness::new().await;
    let (c, n) = (&h.clients, &h.network);
    let isolated = [
        n.isolated_subnet(c, 11, "us-east-1a").await,
        n.isolated_subnet(c, 12, "us-east-1b").await,
    ];
    let main = c
        .ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&n.vpc_id).build())
        .filters(
            Filter::builder()
                .name("association.main")
                .values("true")
                .build(),
        )
        .send()
        .await
        .expect("main table");
    let main_id = main.route_tables()[0]
        .route_table_id()
        .expect("id")
        .to_string();
    for (service, kind) in [
        ("ecr.api", VpcEndpointType::Interface),
        ("ecr.dkr", VpcEndpointType::Interface),
        ("logs", VpcEndpointType::Interface),
        ("s3", VpcEndpointType::Gateway),
    ] {
        let request = c
            .ec2
            .create_vpc_endpoint()
            .vpc_id(&n.vpc_id)
            .service_name(format!("com.amazonaws.us-east-1.{service}"))
            .vpc_endpoint_type(kind.clone());
        let request = match kind {
            VpcEndpointType::Gateway => request.route_table_ids(&main_id),
            _ => request
                .private_dns_enabled(true)
                .set_subnet_ids(Some(isolated.to_vec())),
        };
        request.send().await.expect("endpoint");
    }
    let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";
    let props = h.properties(json!({
        "ClusterName": format!("pre-ecr-{}", unique()),
        "SubnetIds": isolated,
        "Image": image,
        "Command": ["serve"],
    }));
    let stack = Stack::new("pre-ecr");
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success(); // the endpoints are enough
    h.invoke(stack.delete(&out.physical_id(), &props))
        .await
        .assert_success();
}

/// The outbound rules of group `group`: (port, the group they lead to, whose they are).
async fn outbound(h: &Harness, group: &str) -> Vec<(i32, String, Option<String>)> {
    use aws_sdk_ec2::types::Filter;
    let rules = h.clients.ec2.describe_security_group_rules();
    let rules = rules.filters(Filter::builder().name("group-id").values(group).build());
    let out = rules.send().await.expect("rules");
    let owner = |r: &aws_sdk_ec2::types::SecurityGroupRule| {
        let tag = r
            .tags()
            .iter()
            .find(|t| t.key() == Some("prod-e:physical-id"));
        tag.and_then(|t| t.value()).map(str::to_string)
    };
    let egress = out
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(true));
    egress
        .map(|r| {
            let to = r.referenced_group_info().and_then(|g| g.group_id());
            let to = to.or(r.cidr_ipv4()).unwrap_or_default().to_string();
            (r.from_port().unwrap_or_default(), to, owner(r))
        })
        .collect()
}

#[tokio::test]
async fn a_load_balancer_that_cannot_reach_the_tasks_is_refused_unless_its_egress_is_managed() {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    let h = Harness::new().await;
    let alb = h.network.alb_security_group_id.clone();
    let everything = IpRange::builder().cidr_ip("0.0.0.0/0").build();
    let all = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(everything);
    let revoke = h.clients.ec2.revoke_security_group_egress().group_id(&alb);
    revoke
        .ip_permissions(all.build())
        .send()
        .await
        .expect("no way out");
    let props = h.properties(json!({}));
    let no_way = format!("security groups ({alb}) let no TCP traffic out on port 80");
    let reason = refused(&h, &props, &[&no_way, "LoadBalancerEgress: managed"]).await;
    assert!(reason.contains(&h.network.subnet_ids[0]), "{reason}");
    // prod-e adds the one rule to the tasks' group; the rollout's health checks pass.
    let stack = Stack::new("egress");
    let managed = h.properties(
        json!({"ClusterName": format!("egress-{}", unique()), "LoadBalancerEgress": "managed"}),
    );
    let out = h.invoke(stack.create(&managed)).await;
    out.assert_success();
    let (id, tasks) = (out.physical_id(), out.data("SecurityGroupId"));
    let made = [(80, tasks, Some(id.clone()))];
    assert_eq!(outbound(&h, &alb).await, made);
    // No longer managed, with no other way out: refused before any write, the rule kept.
    let mut unmanaged = managed.clone();
    unmanaged
        .as_object_mut()
        .expect("object")
        .remove("LoadBalancerEgress");
    let from = h.proxy.calls().len();
    let out = h.invoke(stack.update(&id, &managed, &unmanaged)).await;
    assert_eq!(out.status(), "FAILED", "{:?}", out.response);
    assert!(out.reason().contains(&no_way), "{}", out.reason());
    assert_eq!(h.writes_since(from), Vec::<String>::new());
    assert_eq!(outbound(&h, &alb).await, made);
    h.invoke(stack.delete(&id, &managed)).await.assert_success();
    assert_eq!(outbound(&h, &alb).await, []);
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;
}
