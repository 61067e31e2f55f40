//! Whether the tasks' outbound rules let them start. With `Egress` set, the tasks' group no
//! longer lets all traffic out, and a Fargate task pulls its image, its layers (from S3 for
//! private ECR), its secrets and sends its logs over TCP 443, each to the service's VPC
//! endpoint where one answers its host names (private DNS, or a gateway endpoint in the
//! subnet's route table) and to the internet otherwise. The tasks' outbound rules are those of
//! `Egress` and of the groups they join (`SecurityGroupIds`): EC2 allows what any of an
//! interface's groups allows. DNS needs no rule.
//!
//! Sources: ECR User Guide, "Amazon ECR interface VPC endpoints" (the endpoints' group must
//! admit 443 from the tasks; layers come from S3 through its gateway endpoint); VPC User
//! Guide, "Gateway endpoints" (the route's destination is the service's prefix list) and
//! "Internetwork traffic privacy in Amazon VPC" (security groups do not filter traffic to the
//! Amazon DNS server); EC2 User Guide, "Security group rules" (rules of all the groups of an
//! interface are aggregated).

use std::collections::BTreeSet;

use super::facts::Facts;
use super::{checks, egress, reach, Check};
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::resources::route_table::RouteTable;
use crate::resources::subnet::Subnet;
use crate::resources::{route_table, security_group, subnet, vpc, vpc_endpoint};
use crate::spec::egress::{Destination, Rule};
use crate::spec::Spec;

/// The one port a task's pulls, secrets and logs use (HTTPS).
const HTTPS: i32 = 443;

/// How the tasks of one subnet reach one service.
enum Way {
    /// Over the internet (a NAT gateway, or a public IP).
    Internet,
    /// Through an interface endpoint, whose network interfaces are in the VPC and in `groups`.
    Endpoint { groups: Vec<String> },
    /// Through a gateway endpoint, to the service's prefix list.
    PrefixList(String),
}

/// With `Egress` set, that the tasks' outbound rules let TCP 443 out to every service they
/// need, each the way their subnet reaches it; none without `Egress` (all traffic out).
pub fn check(spec: &Spec, facts: &Facts) -> Option<Check> {
    if spec.egress.is_empty() {
        return None;
    }
    let joined = facts.joined_groups.iter().flat_map(|g| &g.egress);
    let rules: Vec<Rule> = spec
        .egress_rules()
        .into_iter()
        .chain(joined.flat_map(|e| e.rules()))
        .collect();
    let task = Task {
        image: &spec.image,
        also: checks::interface_endpoints(spec),
    };
    let subnets: Vec<&Subnet> = facts
        .subnets
        .iter()
        .filter(|s| s.vpc_id == spec.vpc_id)
        .collect();
    let missing = unreached(&task, &rules, (&subnets, facts));
    let what = "the tasks' outbound rules (Egress) let them reach their image, CloudWatch Logs \
                and their secrets on TCP 443";
    let problem = (!missing.is_empty()).then(|| {
        format!(
            "Egress (with the outbound rules of SecurityGroupIds) lets no TCP 443 out to {}: \
             the tasks could never start",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        )
    });
    Some(Check::new(what, problem))
}

/// What a task needs to start, beside CloudWatch Logs.
pub struct Task<'a> {
    /// Its image.
    pub image: &'a str,
    /// The services of its secrets and of ECS Exec (`secretsmanager`, `ssm`, `kms`,
    /// `ssmmessages`).
    pub also: Vec<&'static str>,
}

/// The services a `task` in `subnets` cannot reach on TCP 443 through the outbound `rules` of
/// all its groups, each with the rule that would open its way (none: it can start); the
/// network's route tables, endpoints and VPC blocks from `facts`.
pub fn unreached(
    task: &Task,
    rules: &[Rule],
    (subnets, facts): (&[&Subnet], &Facts),
) -> BTreeSet<String> {
    let rules: Vec<&Rule> = rules.iter().filter(|r| r.covers_tcp(HTTPS)).collect();
    let mut missing = BTreeSet::new();
    for s in subnets {
        let Some(table) = table_of(&s.id, &facts.route_tables) else {
            continue; // the route check names a subnet without a table
        };
        for (service, way) in ways(task, facts, table) {
            if !allowed(&rules, &way, &facts.vpc_cidrs) {
                missing.insert(format!("{service} ({})", remedy(&way, &facts.vpc_cidrs)));
            }
        }
    }
    missing
}

/// Before an in-place Update sets `Egress`: the same check, on the network read now.
pub async fn in_place(c: &Clients, spec: &Spec) -> Result<()> {
    let ec2 = &c.ec2;
    let (cidrs, subnets, route_tables, endpoints, joined) = tokio::join!(
        vpc::cidrs(ec2, &spec.vpc_id),
        subnet::find_all(ec2, &spec.subnet_ids),
        route_table::find_all_in(ec2, &spec.vpc_id),
        vpc_endpoint::find_all_in(ec2, &spec.vpc_id),
        security_group::find_ids(ec2, &spec.security_group_ids),
    )
    .all_ok()?;
    let facts = Facts {
        vpc_cidrs: cidrs.unwrap_or_default(),
        subnets,
        route_tables,
        endpoints,
        joined_groups: joined,
        ..Facts::default()
    };
    match check(spec, &facts).and_then(|c| c.problem) {
        Some(problem) => Err(Error::Preflight {
            problems: vec![problem],
        }),
        None => Ok(()),
    }
}

/// The route table of `subnet_id`: its explicit association, else the VPC's main table.
fn table_of<'a>(subnet_id: &str, tables: &'a [RouteTable]) -> Option<&'a RouteTable> {
    let explicit = tables
        .iter()
        .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id));
    explicit.or_else(|| tables.iter().find(|t| t.main))
}

/// What the tasks of a subnet using `table` need to start, and how they reach each. An
/// endpoint serves its own Region only: an image in another Region's ECR goes over the
/// internet, its layers too (AWS PrivateLink guide, "Access AWS services through AWS
/// PrivateLink": endpoints are regional).
fn ways(task: &Task, facts: &Facts, table: &RouteTable) -> Vec<(String, Way)> {
    let interface = |service: String| {
        let found = facts.endpoints.iter().find(|e| {
            e.usable && !e.gateway && e.private_dns && e.service_name.ends_with(&service)
        });
        found.map_or(Way::Internet, |e| Way::Endpoint {
            groups: e.groups.clone(),
        })
    };
    let mut ways: Vec<(String, Way)> = ["logs"]
        .iter()
        .chain(&task.also)
        .map(|s| (s.to_string(), interface(format!(".{s}"))))
        .collect();
    let Some(region) = egress::ecr_region(task.image) else {
        ways.push((format!("the registry of {}", task.image), Way::Internet));
        return ways;
    };
    for service in ["ecr.api", "ecr.dkr"] {
        ways.push((service.into(), interface(format!(".{region}.{service}"))));
    }
    ways.push(("s3".to_string(), s3_way(facts, table, &region)));
    ways
}

/// S3 of `region`: through its interface endpoint with private DNS (unless that answers only
/// for inbound resolver endpoints, which sends the VPC's own requests to the gateway: EC2 API
/// reference, `DnsOptions`), else its gateway endpoint in `table` (the route's prefix list),
/// else the internet.
fn s3_way(facts: &Facts, table: &RouteTable, region: &str) -> Way {
    let service = format!(".{region}.s3");
    let usable = facts
        .endpoints
        .iter()
        .filter(|e| e.usable && e.service_name.ends_with(&service));
    let mut found = usable.clone();
    if let Some(e) = found.find(|e| !e.gateway && e.private_dns && !e.dns_inbound_only) {
        return Way::Endpoint {
            groups: e.groups.clone(),
        };
    }
    let mut gateways = usable.filter(|e| e.gateway && e.route_table_ids.contains(&table.id));
    let route = gateways.find_map(|g| table.endpoint_routes.iter().find(|(_, to)| *to == g.id));
    route.map_or(Way::Internet, |(list, _)| Way::PrefixList(list.clone()))
}

/// Whether one of `rules` (TCP 443) lets traffic out `way`.
fn allowed(rules: &[&Rule], way: &Way, vpc_cidrs: &[String]) -> bool {
    rules.iter().any(|r| match (&r.destination, way) {
        (Destination::Cidr(c), Way::Internet | Way::PrefixList(_)) => c == "0.0.0.0/0",
        (Destination::Cidr(c), Way::Endpoint { .. }) => {
            vpc_cidrs.iter().any(|v| reach::holds(c, v))
        }
        (Destination::Group(g), Way::Endpoint { groups }) => groups.contains(g),
        (Destination::PrefixList(l), Way::PrefixList(wanted)) => l == wanted,
        _ => false,
    })
}

/// The rule that would open `way`.
fn remedy(way: &Way, vpc_cidrs: &[String]) -> String {
    match way {
        Way::Internet => "over the internet: CidrIp 0.0.0.0/0".to_string(),
        Way::PrefixList(list) => format!("its gateway endpoint: DestinationPrefixListId {list}"),
        Way::Endpoint { groups } => {
            let mut ways: Vec<String> = vpc_cidrs.iter().map(|c| format!("CidrIp {c}")).collect();
            ways.extend(
                groups
                    .iter()
                    .map(|g| format!("DestinationSecurityGroupId {g}")),
            );
            format!("its VPC endpoint: {}", ways.join(" or "))
        }
    }
}
