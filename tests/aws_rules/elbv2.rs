//! Rules 1 and 2: target groups and the listeners and rules that forward to them.

use aws_sdk_ecs::types::LoadBalancer;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, ProtocolEnum, RuleCondition, TargetGroupTuple,
    TargetTypeEnum,
};
use prod_e::aws::Clients;

use super::{cluster, described, error, refusal, service, task_definition, Account};
use crate::support::{unique, Network};

pub(super) async fn target_group(c: &Clients, vpc: &str) -> String {
    let out = c
        .elb
        .create_target_group()
        .name(format!("tg-{}", unique()))
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .expect("create target group");
    let arn = out.target_groups()[0].target_group_arn();
    arn.expect("target group arn").to_string()
}

/// A new security group for tasks in `vpc`: its id.
async fn tasks_group(c: &Clients, vpc: &str) -> String {
    let made = c.ec2.create_security_group().group_name(unique());
    let made = made.description("tasks").vpc_id(vpc).send().await;
    made.expect("tasks' group")
        .group_id()
        .expect("id")
        .to_string()
}

/// A forward to `groups` ((ARN, weight); a plain forward for one of weight 1).
fn forward(groups: &[(&str, i32)]) -> Action {
    let action = Action::builder().r#type(ActionTypeEnum::Forward);
    if let [(arn, 1)] = groups {
        return action.target_group_arn(*arn).build();
    }
    let tuples = groups.iter().map(|(arn, weight)| {
        let tuple = TargetGroupTuple::builder().target_group_arn(*arn);
        tuple.weight(*weight).build()
    });
    let config = ForwardActionConfig::builder().set_target_groups(Some(tuples.collect()));
    action.forward_config(config.build()).build()
}

/// A listener rule (path `/<unique>`) forwarding to `groups`; its ARN.
pub(super) async fn rule(c: &Clients, listener: &str, groups: &[(&str, i32)]) -> String {
    let path = RuleCondition::builder().field("path-pattern");
    let out = c
        .elb
        .create_rule()
        .listener_arn(listener)
        .priority(1)
        .conditions(path.values(format!("/{}", unique())).build())
        .actions(forward(groups))
        .send()
        .await
        .expect("create rule");
    out.rules()[0].rule_arn().expect("rule arn").to_string()
}

pub(super) async fn modify_rule(c: &Clients, rule: &str, groups: &[(&str, i32)]) {
    let modifying = c.elb.modify_rule().rule_arn(rule).actions(forward(groups));
    modifying.send().await.expect("modify rule");
}

#[tokio::test]
async fn a_target_group_nothing_forwards_to_cannot_serve() {
    let a = Account::with_ecs_role().await;
    let net = Network::create(&a.moto).await;
    let (tg, other) = (
        target_group(&a.moto, &net.vpc_id).await,
        target_group(&a.moto, &net.vpc_id).await,
    );
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let balancer = |tg: &str| {
        let b = LoadBalancer::builder().target_group_arn(tg);
        b.container_name("web").container_port(8080).build()
    };
    let unassociated = |tg: &str| {
        let message = format!(
            "The target group with targetGroupArn {tg} does not have an associated load balancer."
        );
        error("InvalidParameterException", &message)
    };
    let create = service(&a.aws, &cluster, "web", &td).load_balancers(balancer(&tg));
    assert_eq!(refusal(create.clone().send().await), unassociated(&tg));
    // A rule forwarding to it at weight 0 associates it.
    rule(&a.moto, &net.listener_arn, &[(&other, 1), (&tg, 0)]).await;
    create
        .send()
        .await
        .expect("an associated target group serves");
    let lonely = target_group(&a.moto, &net.vpc_id).await;
    let update = a.aws.ecs.update_service().cluster(&cluster).service("web");
    let moved = update.load_balancers(balancer(&lonely)).send().await;
    assert_eq!(refusal(moved), unassociated(&lonely));
}

#[tokio::test]
async fn a_target_group_a_rule_forwards_to_cannot_be_deleted() {
    let a = Account::new().await;
    let net = Network::create(&a.moto).await;
    let kept = target_group(&a.moto, &net.vpc_id).await;
    let joined = target_group(&a.moto, &net.vpc_id).await;
    let rule = rule(&a.moto, &net.listener_arn, &[(&kept, 1)]).await;
    modify_rule(&a.moto, &rule, &[(&kept, 1), (&joined, 0)]).await;
    let delete = a.aws.elb.delete_target_group().target_group_arn(&joined);
    let message = format!("Target group '{joined}' is currently in use by a listener or a rule");
    let refused = refusal(delete.clone().send().await);
    assert_eq!(refused, error("ResourceInUse", &message));
    // Once the rule forwards to the other group alone, this one can go.
    modify_rule(&a.moto, &rule, &[(&kept, 1)]).await;
    delete
        .send()
        .await
        .expect("a target group nothing forwards to is deleted");
}

/// Rule 16: AWS returns the existing group to a CreateTargetGroup with the same name and
/// settings (moto refuses it); other settings stay `DuplicateTargetGroupName`.
#[tokio::test]
async fn a_target_group_created_again_with_the_same_settings_is_returned() {
    let a = Account::new().await;
    let net = Network::create(&a.moto).await;
    let name = format!("tg-{}", unique());
    let create = |port: i32| {
        a.aws
            .elb
            .create_target_group()
            .name(&name)
            .protocol(ProtocolEnum::Http)
            .port(port)
            .vpc_id(&net.vpc_id)
            .target_type(TargetTypeEnum::Ip)
    };
    let arn_of = |out: aws_sdk_elasticloadbalancingv2::operation::create_target_group::CreateTargetGroupOutput| {
        out.target_groups()[0].target_group_arn().map(str::to_string)
    };
    let first = arn_of(create(8080).send().await.expect("created"));
    let again = arn_of(
        create(8080)
            .send()
            .await
            .expect("the same settings: returned"),
    );
    assert_eq!(again, first);
    let other = refusal(create(8081).send().await);
    assert_eq!(other.0, "DuplicateTargetGroupName", "{other:?}");
}

/// Rule 12b: a gRPC target group's success codes change with ModifyTargetGroup (moto drops
/// them) and show in DescribeTargetGroups.
#[tokio::test]
async fn a_target_groups_grpc_codes_change_in_place() {
    use aws_sdk_elasticloadbalancingv2::types::Matcher;
    let a = Account::new().await;
    let net = Network::create(&a.moto).await;
    let created = a
        .aws
        .elb
        .create_target_group()
        .name(format!("grpc-{}", unique()));
    let created = created
        .protocol(ProtocolEnum::Http)
        .protocol_version("GRPC")
        .port(50051);
    let grpc = |code: &str| Matcher::builder().grpc_code(code).build();
    let created = created.vpc_id(&net.vpc_id).target_type(TargetTypeEnum::Ip);
    let out = created.matcher(grpc("12")).send().await.expect("created");
    let arn = out.target_groups()[0]
        .target_group_arn()
        .unwrap_or_default()
        .to_string();
    let modified = a.aws.elb.modify_target_group().target_group_arn(&arn);
    modified
        .matcher(grpc("0-5"))
        .send()
        .await
        .expect("modified");
    let found = a
        .aws
        .elb
        .describe_target_groups()
        .target_group_arns(&arn)
        .send()
        .await;
    let found = found.expect("described");
    let matcher = found.target_groups()[0]
        .matcher()
        .and_then(|m| m.grpc_code());
    assert_eq!(matcher, Some("0-5"));
}

/// Rule 18: a load balancer none of whose security groups lets traffic out to the tasks on the
/// container port never sees them healthy; the circuit breaker stops the rollout.
#[tokio::test]
async fn a_service_whose_groups_let_nothing_out_never_becomes_healthy() {
    use aws_sdk_ec2::types::{IpPermission, IpRange};
    use aws_sdk_ecs::types::{AwsVpcConfiguration, NetworkConfiguration};
    let a = Account::with_ecs_role().await;
    a.proxy.rules.fresh_reads(0);
    let net = Network::create(&a.moto).await;
    let tg = target_group(&a.moto, &net.vpc_id).await;
    rule(&a.moto, &net.listener_arn, &[(&tg, 1)]).await;
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let tasks = tasks_group(&a.moto, &net.vpc_id).await;
    let run = |name: &'static str| {
        let balancer = LoadBalancer::builder().target_group_arn(&tg);
        let balancer = balancer.container_name("web").container_port(8080).build();
        let network = AwsVpcConfiguration::builder()
            .set_subnets(Some(net.subnet_ids.clone()))
            .security_groups(&tasks)
            .build()
            .expect("awsvpc");
        let network = NetworkConfiguration::builder().awsvpc_configuration(network);
        let create = service(&a.aws, &cluster, name, &td).load_balancers(balancer);
        create.network_configuration(network.build())
    };
    let rollout = |s: Option<aws_sdk_ecs::types::Service>| {
        let s = s.expect("the service");
        let state = s.deployments()[0]
            .rollout_state()
            .map(|r| r.as_str().to_string());
        let events: Vec<String> = s
            .events()
            .iter()
            .filter_map(|e| e.message())
            .map(str::to_string)
            .collect();
        (state, events)
    };
    // The network's load balancer group lets all traffic out (a new group's default).
    run("open").send().await.expect("created");
    let (state, events) = rollout(described(&a.aws, &cluster, "open").await);
    assert_eq!((state.as_deref(), events.len()), (Some("COMPLETED"), 0));
    // Without outbound rules, no health check reaches a task.
    let everything = IpRange::builder().cidr_ip("0.0.0.0/0").build();
    let all = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(everything)
        .build();
    let ec2 = &a.moto.ec2;
    let revoke = ec2.revoke_security_group_egress();
    let revoke = revoke
        .group_id(&net.alb_security_group_id)
        .ip_permissions(all.clone());
    revoke.send().await.expect("no way out");
    run("closed").send().await.expect("created");
    let (state, events) = rollout(described(&a.aws, &cluster, "closed").await);
    assert_eq!(state.as_deref(), Some("FAILED"));
    let unhealthy = format!("(port 8080) is unhealthy in (target-group {tg}) due to");
    assert!(events.iter().any(|e| e.contains(&unhealthy)), "{events:?}");
    // Rule 23: the load balancer reaches the tasks, but their own group lets nothing out.
    let allow = ec2.authorize_security_group_egress();
    let allow = allow.group_id(&net.alb_security_group_id);
    allow
        .ip_permissions(all.clone())
        .send()
        .await
        .expect("way out");
    let shut = ec2.revoke_security_group_egress().group_id(&tasks);
    shut.ip_permissions(all)
        .send()
        .await
        .expect("tasks shut in");
    run("shut").send().await.expect("created");
    let (state, events) = rollout(described(&a.aws, &cluster, "shut").await);
    assert_eq!(state.as_deref(), Some("FAILED"));
    let pull = "task stopped: CannotPullContainerError: dial tcp :443: i/o timeout (no outbound \
                rule to logs (over the internet: CidrIp 0.0.0.0/0))";
    assert!(events.iter().any(|e| e.contains(pull)), "{events:?}");
}

/// Rule 22: a security group another group's rule names cannot be deleted until that rule goes.
#[tokio::test]
async fn a_group_another_group_names_cannot_be_deleted() {
    use aws_sdk_ec2::types::{IpPermission, UserIdGroupPair};
    let a = Account::new().await;
    a.proxy.rules.fresh_reads(0);
    let net = Network::create(&a.moto).await;
    let tasks = tasks_group(&a.moto, &net.vpc_id).await;
    let to_tasks = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&tasks).build())
        .build();
    let ec2 = &a.moto.ec2;
    let allow = ec2
        .authorize_security_group_egress()
        .group_id(&net.alb_security_group_id);
    allow
        .ip_permissions(to_tasks.clone())
        .send()
        .await
        .expect("the load balancer's rule");
    let delete = a.aws.ec2.delete_security_group().group_id(&tasks);
    let refused = delete
        .clone()
        .send()
        .await
        .expect_err("named by the load balancer's group");
    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&refused);
    assert_eq!(code, Some("DependencyViolation"));
    let revoke = ec2
        .revoke_security_group_egress()
        .group_id(&net.alb_security_group_id);
    revoke
        .ip_permissions(to_tasks)
        .send()
        .await
        .expect("the rule gone");
    delete.send().await.expect("then the group goes");
}

/// Rule 26: revoking by a rule id the group lacks revokes nothing and is refused.
#[tokio::test]
async fn a_rule_id_the_group_lacks_is_not_revoked() {
    let a = Account::new().await;
    a.proxy.rules.fresh_reads(0);
    let net = Network::create(&a.moto).await;
    let group = &net.alb_security_group_id;
    let rules = |c: &prod_e::aws::Clients| {
        let filter = aws_sdk_ec2::types::Filter::builder()
            .name("group-id")
            .values(group)
            .build();
        c.ec2.describe_security_group_rules().filters(filter).send()
    };
    let listed = rules(&a.moto).await.expect("rules");
    let ids: Vec<String> = listed
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(true))
        .filter_map(|r| r.security_group_rule_id().map(str::to_string))
        .collect();
    assert!(!ids.is_empty(), "a new group has its outbound rule");
    let revoke = a.aws.ec2.revoke_security_group_egress().group_id(group);
    let both = revoke
        .clone()
        .security_group_rule_ids(&ids[0])
        .security_group_rule_ids("sgr-0000feed");
    let refused = refusal(both.send().await);
    assert_eq!(
        refused.0, "InvalidSecurityGroupRuleId.NotFound",
        "{refused:?}"
    );
    let after = rules(&a.moto).await.expect("rules");
    let still = after.security_group_rules().iter();
    let still: Vec<_> = still.filter_map(|r| r.security_group_rule_id()).collect();
    assert!(still.contains(&ids[0].as_str()), "nothing was revoked");
    let known = revoke.security_group_rule_ids(&ids[0]).send().await;
    known.expect("a rule id the group has is revoked");
    let after = rules(&a.moto).await.expect("rules");
    let gone = after.security_group_rules().iter();
    let gone = !gone
        .filter_map(|r| r.security_group_rule_id())
        .any(|id| id == ids[0]);
    assert!(gone, "the known rule is revoked");
}
