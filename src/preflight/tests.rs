//! Unit tests of the preflight checks: each problem from facts built by hand, with the
//! message that names it; the integration tests run the same checks against the emulator.

use super::egress::{is_private_ecr, problem, Network};
use super::facts::Facts;
use super::*;
use crate::resources::load_balancer::LoadBalancer;
use crate::resources::route_table::{DefaultRoute, RouteTable};
use crate::resources::security_group::{Egress, SecurityGroup};
use crate::resources::subnet::Subnet;
use crate::resources::vpc_endpoint::VpcEndpoint;
use serde_json::json;

const ECR: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1";

fn table(id: &str, main: bool, subnets: &[&str], target: Option<&str>) -> RouteTable {
    RouteTable {
        id: id.into(),
        main,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        default_route: target.map(|t| DefaultRoute {
            target: t.into(),
            active: true,
        }),
        endpoint_routes: Vec::new(),
    }
}

fn endpoint(service: &str, gateway: bool, tables: &[&str]) -> VpcEndpoint {
    VpcEndpoint {
        id: format!("vpce-{service}"),
        service_name: format!("com.amazonaws.us-east-1.{service}"),
        gateway,
        route_table_ids: tables.iter().map(|s| s.to_string()).collect(),
        usable: true,
        private_dns: !gateway,
        groups: vec!["sg-endpoints".into()],
        dns_inbound_only: false,
    }
}

fn egress_of(
    tables: &[RouteTable],
    endpoints: &[VpcEndpoint],
    public_ip: bool,
    image: &str,
) -> Option<String> {
    let net = Network {
        route_tables: tables,
        endpoints,
        public_ip,
        image,
        also: &[],
    };
    problem("subnet-a", &net)
}

#[test]
fn a_nat_gateway_or_another_gateway_gives_egress() {
    for target in ["nat-1", "tgw-1", "vgw-1", "eni-1"] {
        let tables = [table("rtb-1", false, &["subnet-a"], Some(target))];
        assert_eq!(egress_of(&tables, &[], false, "node:16"), None, "{target}");
    }
}

#[test]
fn an_internet_gateway_needs_a_public_ip() {
    let tables = [table("rtb-1", false, &["subnet-a"], Some("igw-1"))];
    assert_eq!(egress_of(&tables, &[], true, "node:16"), None);
    let why = egress_of(&tables, &[], false, "node:16").unwrap();
    assert!(
        why.contains("internet gateway igw-1") && why.contains("AssignPublicIp is false"),
        "{why}"
    );
}

#[test]
fn a_subnet_without_association_uses_the_main_table() {
    let tables = [
        table("rtb-main", true, &[], None),
        table("rtb-nat", false, &["subnet-other"], Some("nat-1")),
    ];
    let why = egress_of(&tables, &[], false, "node:16").unwrap();
    assert!(
        why.contains("rtb-main has no active route for 0.0.0.0/0"),
        "{why}"
    );
    assert!(
        why.contains("cannot pull node:16 (not in private ECR)"),
        "{why}"
    );
}

#[test]
fn a_blackhole_or_a_peering_is_no_egress() {
    let mut hole = table("rtb-1", false, &["subnet-a"], Some("nat-gone"));
    hole.default_route.as_mut().unwrap().active = false;
    assert!(egress_of(&[hole], &[], false, "node:16").is_some());
    let peering = table("rtb-1", false, &["subnet-a"], Some("pcx-1"));
    let why = egress_of(&[peering], &[], false, "node:16").unwrap();
    assert!(
        why.contains("pcx-1, which is not a way to the internet"),
        "{why}"
    );
}

#[test]
fn private_ecr_without_egress_needs_four_endpoints() {
    let tables = [table("rtb-1", false, &["subnet-a"], None)];
    let why = egress_of(&tables, &[], false, ECR).unwrap();
    for name in ["ecr.api", "ecr.dkr", "s3 (gateway", "logs"] {
        assert!(why.contains(name), "{name} in {why}");
    }
    let mut all = vec![
        endpoint("ecr.api", false, &[]),
        endpoint("ecr.dkr", false, &[]),
        endpoint("s3", true, &["rtb-other"]),
        endpoint("logs", false, &[]),
    ];
    let why = egress_of(&tables, &all, false, ECR).unwrap();
    assert!(
        why.ends_with("s3 (gateway, in the subnet's route table)"),
        "{why}"
    );
    all[2] = endpoint("s3", true, &["rtb-1"]);
    assert_eq!(egress_of(&tables, &all, false, ECR), None);
}

#[test]
fn private_ecr_images_are_recognised() {
    assert!(is_private_ecr(ECR));
    assert!(is_private_ecr(
        "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a"
    ));
    assert!(is_private_ecr(
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a:b"
    ));
    for other in [
        "node:16",
        "public.ecr.aws/nginx/nginx",
        "ghcr.io/a/b",
        "1234.dkr.ecr.x.amazonaws.com/a",
    ] {
        assert!(!is_private_ecr(other), "{other}");
    }
}

fn spec(extra: serde_json::Value) -> Spec {
    let mut props = json!({
        "VpcId": "vpc-1",
        "SubnetIds": ["subnet-a", "subnet-b"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/lb1/l1",
        "LoadBalancerSecurityGroupId": "sg-alb",
    });
    if let (Some(p), serde_json::Value::Object(extra)) = (props.as_object_mut(), extra) {
        p.extend(extra);
    }
    Spec::parse(&props).unwrap()
}

fn healthy() -> Facts {
    let subnet = |id: &str, zone: &str| Subnet {
        id: id.into(),
        vpc_id: "vpc-1".into(),
        availability_zone: zone.into(),
        cidr: format!("10.0.{}.0/24", zone.len() + id.len()),
    };
    Facts {
        vpc_exists: true,
        vpc_cidrs: vec!["10.0.0.0/16".into()],
        subnets: vec![
            subnet("subnet-a", "us-east-1a"),
            subnet("subnet-b", "us-east-1b"),
        ],
        route_tables: vec![table(
            "rtb-1",
            false,
            &["subnet-a", "subnet-b"],
            Some("nat-1"),
        )],
        endpoints: Vec::new(),
        load_balancer: Some(LoadBalancer {
            arn: "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/lb1".into(),
            application: true,
            vpc_id: "vpc-1".into(),
            zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            security_groups: vec!["sg-alb".into()],
        }),
        priorities: Some(vec![1, 2000]),
        listener_protocol: Some("HTTP".into()),
        other_rules: 3,
        rules_limit: Some(100),
        load_balancer_security_group: Some(alb_group(all_out("0.0.0.0/0"))),
        load_balancer_groups: vec![alb_group(all_out("0.0.0.0/0"))],
        task_groups: Vec::new(),
        joined_groups: Vec::new(),
        rule: None,
        priority_ours: false,
        neighbours: Vec::new(),
        test_neighbours: Vec::new(),
    }
}

/// The load balancer's group with these outbound rules.
fn alb_group(egress: Vec<Egress>) -> SecurityGroup {
    SecurityGroup {
        id: "sg-alb".into(),
        name: "alb".into(),
        vpc_id: "vpc-1".into(),
        tags: Default::default(),
        ingress: Vec::new(),
        egress,
    }
}

/// Outbound rules: TCP `ports` (or all traffic, `None`) to `cidr` or a group (`sg-…`).
fn out_to(ports: Option<(i32, i32)>, to: &str) -> Vec<Egress> {
    let (protocol, (from_port, to_port)) = match ports {
        Some(range) => ("tcp", range),
        None => ("-1", (0, 0)),
    };
    let group = to.starts_with("sg-");
    vec![Egress {
        protocol: protocol.into(),
        from_port,
        to_port,
        cidrs: (!group).then(|| to.to_string()).into_iter().collect(),
        groups: group.then(|| to.to_string()).into_iter().collect(),
        prefix_lists: Vec::new(),
        ipv6_cidrs: Vec::new(),
    }]
}

fn all_out(cidr: &str) -> Vec<Egress> {
    out_to(None, cidr)
}

fn problems(spec: &Spec, facts: &Facts) -> Vec<String> {
    evaluate(spec, facts, 2000)
        .checks
        .into_iter()
        .filter_map(|c| c.problem)
        .collect()
}

#[test]
fn http2_and_grpc_targets_need_an_https_listener() {
    for version in ["HTTP2", "GRPC"] {
        let grpc = spec(json!({"ProtocolVersion": version, "Image": "example/grpc:1"}));
        let found = problems(&grpc, &healthy());
        assert!(
            found.iter().any(|p| p.contains("needs an HTTPS listener")),
            "{found:?}"
        );
        let mut https = healthy();
        https.listener_protocol = Some("HTTPS".into());
        assert_eq!(problems(&grpc, &https), Vec::<String>::new());
    }
    assert_eq!(problems(&spec(json!({})), &healthy()), Vec::<String>::new());
}

#[test]
fn a_healthy_account_passes_and_gets_the_next_free_priority() {
    let report = evaluate(&spec(json!({})), &healthy(), 2000);
    assert!(
        report.checks.iter().all(|c| c.problem.is_none()),
        "{report:?}"
    );
    assert_eq!(report.priority, 2001);
    assert_eq!(report.accept(), Ok((2001, None)));
}

#[test]
fn every_problem_is_named_at_once() {
    let mut facts = healthy();
    facts.vpc_exists = false;
    facts.subnets[1].vpc_id = "vpc-2".into();
    facts.subnets[1].availability_zone = "us-east-1a".into();
    facts.subnets[0].availability_zone = "us-east-1c".into();
    let lb = facts.load_balancer.as_mut().unwrap();
    lb.application = false;
    lb.security_groups = vec!["sg-other".into()];
    facts.route_tables.clear();
    facts.other_rules = 98;
    let found = problems(&spec(json!({"RulePriority": 2000})), &facts);
    let expected = [
        "VPC vpc-1 does not exist",
        "subnet subnet-b is in vpc-2, not in vpc-1",
        "load balancer arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/lb1 is not \
         an Application Load Balancer",
        "subnet subnet-a is in us-east-1c, where the load balancer is not enabled",
        "security group sg-alb is not attached to the load balancer (it has sg-other)",
        "RulePriority 2000 is taken by another rule",
        "the load balancer has 100 rules, the account's limit \
         (rules-per-application-load-balancer) is 100",
        "subnet subnet-a has no route table",
    ];
    for want in expected {
        assert!(
            found.iter().any(|p| p.starts_with(want)),
            "{want:?} not in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn one_zone_needs_allow_single_az() {
    let mut facts = healthy();
    facts.subnets[1].availability_zone = "us-east-1a".into();
    let found = problems(&spec(json!({})), &facts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("SubnetIds are all in us-east-1a"),
        "{found:?}"
    );
    assert!(problems(&spec(json!({"AllowSingleAz": true})), &facts).is_empty());
}

#[test]
fn a_priority_held_by_this_stack_resource_is_free_to_it() {
    let mut facts = healthy();
    facts.rule = Some(crate::resources::listener_rule::ListenerRule {
        arn: "arn:rule/ours".into(),
        priority: "2000".into(),
        ..Default::default()
    });
    let taken = problems(&spec(json!({"RulePriority": 2000})), &facts);
    assert_eq!(
        taken.len(),
        1,
        "another rule of the listener holds 2000: {taken:?}"
    );
    facts.priority_ours = true;
    assert!(problems(&spec(json!({"RulePriority": 2000})), &facts).is_empty());
}

#[test]
fn a_missing_listener_is_one_problem() {
    let mut facts = healthy();
    facts.priorities = None;
    facts.load_balancer = None;
    let found = problems(&spec(json!({})), &facts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("/l1 does not exist"), "{found:?}");
}

#[test]
fn ecs_exec_without_egress_needs_the_ssmmessages_endpoint() {
    let mut facts = healthy();
    facts.route_tables = vec![table("rtb-1", false, &["subnet-a", "subnet-b"], None)];
    facts.endpoints = vec![
        endpoint("ecr.api", false, &[]),
        endpoint("ecr.dkr", false, &[]),
        endpoint("s3", true, &["rtb-1"]),
        endpoint("logs", false, &[]),
    ];
    let exec = spec(json!({"Image": ECR, "EnableExecuteCommand": true}));
    let found = problems(&exec, &facts);
    assert_eq!(found.len(), 2, "{found:?}");
    let want = "ECS Exec's services): ssmmessages (interface, private DNS)";
    assert!(found[0].ends_with(want), "{found:?}");
    assert!(problems(&spec(json!({"Image": ECR})), &facts).is_empty());
    facts.endpoints.push(endpoint("ssmmessages", false, &[]));
    assert!(problems(&exec, &facts).is_empty());
}

/// Another owner's rule on the listener.
const API_RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/alb/lb1/l1/api";

/// A rule of the listener whose conditions overlap the new rule's.
fn neighbour(arn: &str, priority: u32, host: &str, own: bool) -> shadowing::Neighbour {
    use crate::spec::overlap::{Condition, Pattern};
    shadowing::Neighbour {
        rule: crate::resources::listener_rule::Listed {
            arn: arn.into(),
            priority,
            conditions: vec![Condition::Host(vec![Pattern::Glob(host.into())])],
            routed: true,
        },
        own,
        test: false,
    }
}

#[test]
fn a_rule_ahead_of_another_owners_rule_it_overlaps_is_refused_unless_named() {
    let mut facts = healthy();
    facts.neighbours = vec![neighbour(API_RULE, 500, "api.example.com", false)];
    let found = problems(&spec(json!({"RulePriority": 2})), &facts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("/l1/api (priority 500)") && found[0].contains("at priority 2"),
        "{found:?}"
    );
    let named = spec(json!({"RulePriority": 2, "ShadowedRuleArns": [API_RULE]}));
    assert!(problems(&named, &facts).is_empty());
    // Behind it, the rule takes only what that rule leaves.
    assert!(problems(&spec(json!({"RulePriority": 501})), &facts).is_empty());
}

#[test]
fn a_test_route_goes_just_below_the_rule_and_takes_no_other_owners_requests() {
    let mut facts = healthy();
    facts.test_neighbours = vec![neighbour(API_RULE, 700, "api.example.com", false)];
    facts.priorities = Some(vec![599, 700]);
    let test = |priority: u32| {
        spec(
            json!({"RulePriority": priority, "DeploymentStrategy": "BLUE_GREEN",
                    "HostHeaders": ["app.example.com"], "TestHostHeaders": ["api.example.com"]}),
        )
    };
    // At 600 the test rule takes 598 (599 is taken): ahead of 700's rule it would take its host.
    let found = problems(&test(600), &facts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("test listener rule") && found[0].contains("at priority 598"),
        "{found:?}"
    );
    assert!(found[0].contains("/l1/api (priority 700)"), "{found:?}");
    // This stack resource's own test rule is not its rule: a rule moved to 600 keeps 600.
    let mut own_test = neighbour("arn:rule/test", 598, "api.example.com", true);
    own_test.test = true;
    facts.neighbours = vec![own_test, neighbour("arn:rule/ours", 600, "*", true)];
    assert_eq!(shadowing::own(&facts.neighbours).map(|(p, _)| p), Some(600));
    facts.neighbours.clear();
    // Behind that rule it takes nothing; at 1 nothing is free below.
    assert!(problems(&test(702), &facts).is_empty());
    let found = problems(&test(1), &facts);
    assert!(
        found[0].contains("no priority below the listener rule's (1)"),
        "{found:?}"
    );
    // A replacement's test rule goes ahead of this stack resource's other one.
    let mut sibling = neighbour("arn:rule/old-test", 300, "api.example.com", true);
    sibling.test = true;
    facts.test_neighbours = vec![sibling];
    let report = evaluate(&test(702), &facts, 2000);
    let at = |c: &Check| c.what.contains("test listener rule") && c.what.contains("priority 299");
    assert!(report.checks.iter().any(at), "{report:?}");
}

#[test]
fn a_derived_priority_goes_above_other_owners_rules_it_overlaps() {
    let mut facts = healthy();
    facts.neighbours = vec![neighbour("arn:rule/web", 30000, "*", false)];
    facts.priorities = Some(vec![1, 2000, 30000, 30001]);
    let report = evaluate(&spec(json!({})), &facts, 2000);
    assert!(
        report.checks.iter().all(|c| c.problem.is_none()),
        "{report:?}"
    );
    assert_eq!(report.priority, 30002);
    // A rule of this stack resource already ahead of it (made before this check) may stay.
    facts
        .neighbours
        .push(neighbour("arn:rule/ours", 1500, "*", true));
    let report = evaluate(&spec(json!({})), &facts, 2000);
    assert!(
        report.checks.iter().all(|c| c.problem.is_none()),
        "{report:?}"
    );
    // At the top of the range there is no priority behind it.
    facts.neighbours = vec![neighbour("arn:rule/last", priority::LAST, "*", false)];
    let found = problems(&spec(json!({})), &facts);
    assert!(
        found.iter().any(|p| p.starts_with("no free rule priority")),
        "{found:?}"
    );
}

#[test]
fn the_load_balancer_must_be_let_out_to_the_tasks_on_the_container_port() {
    let with = |egress: Vec<Egress>, task_groups: &[&str]| {
        let mut facts = healthy();
        facts.load_balancer_groups = vec![alb_group(egress)];
        facts.task_groups = task_groups.iter().map(|g| g.to_string()).collect();
        problems(&spec(json!({})), &facts)
    };
    assert!(with(out_to(Some((80, 80)), "10.0.0.0/16"), &[]).is_empty());
    assert!(with(out_to(Some((0, 65535)), "sg-task"), &["sg-task"]).is_empty());
    for (egress, groups) in [
        (Vec::new(), vec![]),
        (out_to(Some((443, 443)), "0.0.0.0/0"), vec![]),
        (out_to(Some((80, 80)), "10.1.0.0/16"), vec![]),
        (out_to(Some((80, 80)), "sg-other"), vec!["sg-task"]),
    ] {
        let found = with(egress.clone(), &groups);
        assert_eq!(found.len(), 1, "{egress:?}: {found:?}");
        assert!(
            found[0].contains("security groups (sg-alb) let no TCP traffic out on port 80")
                && found[0].contains("subnet-a (10.0."),
            "{found:?}"
        );
    }
    let mut facts = healthy();
    facts.load_balancer_groups = vec![alb_group(Vec::new())];
    assert!(problems(&spec(json!({"LoadBalancerEgress": "managed"})), &facts).is_empty());
}

#[test]
fn joined_groups_must_exist_in_the_vpc() {
    let mut facts = healthy();
    let mut db = alb_group(Vec::new());
    (db.id, db.vpc_id) = ("sg-db".into(), "vpc-2".into());
    facts.joined_groups = vec![db];
    let joined = spec(json!({"SecurityGroupIds": ["sg-db", "sg-gone"]}));
    let found = problems(&joined, &facts);
    assert_eq!(
        found,
        [
            "security group sg-db (SecurityGroupIds) is in vpc-2, not in vpc-1",
            "security group sg-gone (SecurityGroupIds) does not exist"
        ]
    );
}

/// `Egress` items: TCP 443 to each destination (`sg-…`, `pl-…` or a CIDR).
fn https_to(destinations: &[&str]) -> serde_json::Value {
    let item = |to: &&str| {
        let key = match to {
            t if t.starts_with("sg-") => "DestinationSecurityGroupId",
            t if t.starts_with("pl-") => "DestinationPrefixListId",
            _ => "CidrIp",
        };
        json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, key: to})
    };
    json!(destinations.iter().map(item).collect::<Vec<_>>())
}

#[test]
fn egress_to_the_internet_on_443_lets_tasks_behind_a_nat_start() {
    let facts = healthy();
    let open = spec(json!({"Egress": https_to(&["0.0.0.0/0"])}));
    assert!(problems(&open, &facts).is_empty());
    let narrow = spec(json!({"Egress": https_to(&["10.0.0.0/16", "sg-db"])}));
    assert_eq!(
        problems(&narrow, &facts),
        vec![
            "Egress (with the outbound rules of SecurityGroupIds) lets no TCP 443 out to logs \
             (over the internet: CidrIp 0.0.0.0/0), the registry of \
             public.ecr.aws/docker/library/node:16 (over the internet: CidrIp 0.0.0.0/0): the \
             tasks could never start"
        ]
    );
}

/// `facts` with the endpoints private ECR needs (its S3 gateway routed in `rtb-1` to
/// `pl-s3`), and `logs`.
fn with_private_ecr_endpoints(facts: &mut Facts) {
    facts.route_tables[0].endpoint_routes = vec![("pl-s3".into(), "vpce-s3".into())];
    facts.endpoints = ["ecr.api", "ecr.dkr", "logs"]
        .iter()
        .map(|s| endpoint(s, false, &[]))
        .chain([endpoint("s3", true, &["rtb-1"])])
        .collect();
}

#[test]
fn egress_without_a_nat_needs_each_endpoint_and_the_s3_prefix_list() {
    let mut facts = healthy();
    facts.route_tables = vec![table("rtb-1", true, &[], None)];
    with_private_ecr_endpoints(&mut facts);
    let to_vpc = spec(json!({"Image": ECR, "Egress": https_to(&["10.0.0.0/16"])}));
    assert_eq!(
        problems(&to_vpc, &facts),
        vec![
            "Egress (with the outbound rules of SecurityGroupIds) lets no TCP 443 out to s3 (its \
             gateway endpoint: DestinationPrefixListId pl-s3): the tasks could never start"
        ]
    );
    let whole = https_to(&["sg-endpoints", "pl-s3"]);
    assert!(problems(&spec(json!({"Image": ECR, "Egress": whole})), &facts).is_empty());
}

#[test]
fn a_joined_groups_outbound_rules_count_and_all_traffic_needs_no_check() {
    let mut facts = healthy();
    let mut joined = alb_group(all_out("0.0.0.0/0"));
    joined.id = "sg-shared".into();
    facts.joined_groups = vec![joined];
    let egress = json!({"SecurityGroupIds": ["sg-shared"], "Egress": https_to(&["10.0.0.0/16"])});
    assert!(problems(&spec(egress), &facts).is_empty());
    let report = evaluate(&spec(json!({})), &healthy(), 2000);
    assert!(!report.checks.iter().any(|c| c.what.contains("Egress")));
}

#[test]
fn an_image_in_another_regions_ecr_goes_over_the_internet() {
    let mut facts = healthy();
    with_private_ecr_endpoints(&mut facts);
    let here = https_to(&["10.0.0.0/16", "pl-s3"]);
    assert!(problems(&spec(json!({"Image": ECR, "Egress": here})), &facts).is_empty());
    let elsewhere = ECR.replace("us-east-1", "eu-west-1");
    let image = spec(json!({"Image": elsewhere, "Egress": here}));
    let problem = problems(&image, &facts).join("");
    for service in ["ecr.api", "ecr.dkr", "s3"] {
        let wanted = format!("{service} (over the internet: CidrIp 0.0.0.0/0)");
        assert!(problem.contains(&wanted), "{problem}");
    }
}

#[test]
fn a_rule_to_the_endpoint_subnets_within_the_vpc_reaches_its_endpoints() {
    let mut facts = healthy();
    facts.route_tables = vec![table("rtb-1", true, &[], None)];
    with_private_ecr_endpoints(&mut facts);
    let subnets = https_to(&["10.0.1.0/24", "10.0.2.0/24", "pl-s3"]);
    assert!(problems(&spec(json!({"Image": ECR, "Egress": subnets})), &facts).is_empty());
    let outside = https_to(&["192.168.0.0/24", "pl-s3"]);
    let problem = problems(&spec(json!({"Image": ECR, "Egress": outside})), &facts).join("");
    assert!(problem.contains("ecr.api (its VPC endpoint"), "{problem}");
}
