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

use super::egress::{self, Way};
use super::facts::Facts;
use super::{checks, reach, Check};
use crate::resources::subnet::Subnet;
use crate::spec::egress::{Destination, Rule};
use crate::spec::Spec;

/// The one port a task's pulls, secrets and logs use (HTTPS).
const HTTPS: i32 = 443;

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
        let Some(table) = egress::table_of(&s.id, &facts.route_tables) else {
            continue; // the route check names a subnet without a table
        };
        for (service, way) in egress::ways(task.image, &task.also, &facts.endpoints, table) {
            if !allowed(&rules, &way, &facts.vpc_cidrs) {
                missing.insert(format!("{service} ({})", remedy(&way, &facts.vpc_cidrs)));
            }
        }
    }
    missing
}

/// Whether one of `rules` (TCP 443) lets traffic out `way`. An interface endpoint's addresses
/// are in its subnets, which preflight does not read: a rule to any part of the VPC's blocks
/// (a whole block, or the endpoint subnets' blocks within it) counts, so that a way that works
/// is never refused; a rule that misses the endpoint's subnets is left to the rollout.
fn allowed(rules: &[&Rule], way: &Way, vpc_cidrs: &[String]) -> bool {
    rules.iter().any(|r| match (&r.destination, way) {
        (Destination::Cidr(c), Way::Internet | Way::PrefixList(_)) => c == "0.0.0.0/0",
        (Destination::Cidr(c), Way::Endpoint { .. }) => vpc_cidrs
            .iter()
            .any(|v| reach::holds(c, v) || reach::holds(v, c)),
        (Destination::Group(g), Way::Endpoint { groups }) => groups.contains(g),
        (Destination::PrefixList(l), Way::PrefixList(wanted)) => Some(l) == wanted.as_ref(),
        _ => false,
    })
}

/// The rule that would open `way`.
fn remedy(way: &Way, vpc_cidrs: &[String]) -> String {
    match way {
        Way::Internet => "over the internet: CidrIp 0.0.0.0/0".to_string(),
        Way::PrefixList(Some(list)) => {
            format!("its gateway endpoint: DestinationPrefixListId {list}")
        }
        Way::PrefixList(None) => "its gateway endpoint: the S3 prefix list".to_string(),
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
