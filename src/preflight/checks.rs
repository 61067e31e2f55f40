//! The preflight checks proper: pure functions of the [`Facts`], each giving one checklist
//! line per thing checked, with the problem if there is one.

use std::collections::BTreeSet;

use super::egress::{self, Network};
use super::facts::Facts;
use super::{priority, shadowing, Check};
use crate::resources::load_balancer::LoadBalancer;
use crate::spec::balancing;
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// The VPC, the subnets, and their Availability Zones.
pub fn network(spec: &Spec, facts: &Facts) -> Vec<Check> {
    let vpc = &spec.vpc_id;
    let mut checks = vec![Check::new(
        format!("VPC {vpc} exists"),
        (!facts.vpc_exists).then(|| format!("VPC {vpc} does not exist")),
    )];
    for id in &spec.subnet_ids {
        let found = facts.subnets.iter().find(|s| &s.id == id);
        let problem = match found {
            None => Some(format!("subnet {id} does not exist")),
            Some(s) if &s.vpc_id != vpc => {
                Some(format!("subnet {id} is in {}, not in {vpc}", s.vpc_id))
            }
            Some(_) => None,
        };
        checks.push(Check::new(format!("subnet {id} is in {vpc}"), problem));
    }
    let zones: BTreeSet<&str> = facts
        .subnets
        .iter()
        .map(|s| s.availability_zone.as_str())
        .collect();
    let single = zones.len() == 1 && !spec.allow_single_az;
    let listed = zones.iter().copied().collect::<Vec<_>>().join(", ");
    checks.push(Check::new(
        format!("subnets span at least two Availability Zones ({listed})"),
        single.then(|| {
            format!(
                "SubnetIds are all in {listed}: give subnets in at least two Availability Zones \
                 (or AllowSingleAz: true, for a development stack)"
            )
        }),
    ));
    checks
}

/// `SecurityGroupIds`: each exists and is in `VpcId` (ECS refuses a group of another VPC only
/// at CreateService or UpdateService).
pub fn joined_groups(spec: &Spec, facts: &Facts) -> Vec<Check> {
    let vpc = &spec.vpc_id;
    let check = |id: &String| {
        let found = facts.joined_groups.iter().find(|g| &g.id == id);
        let problem = match found {
            None => Some(format!(
                "security group {id} (SecurityGroupIds) does not exist"
            )),
            Some(g) if &g.vpc_id != vpc => Some(format!(
                "security group {id} (SecurityGroupIds) is in {}, not in {vpc}",
                g.vpc_id
            )),
            Some(_) => None,
        };
        Check::new(format!("security group {id} is in {vpc}"), problem)
    };
    spec.security_group_ids.iter().map(check).collect()
}

/// The listener, its load balancer, the zones it serves and its security group.
pub fn load_balancer(spec: &Spec, facts: &Facts) -> Vec<Check> {
    let listener = &spec.listener_arn;
    let missing = facts.priorities.is_none() || facts.load_balancer.is_none();
    let mut checks = vec![Check::new(
        format!("listener {listener} exists"),
        missing.then(|| format!("listener {listener} does not exist")),
    )];
    let Some(lb) = facts.load_balancer.as_ref().filter(|_| !missing) else {
        return checks;
    };
    let kind = (!lb.application).then(|| {
        format!(
            "load balancer {} is not an Application Load Balancer",
            lb.arn
        )
    });
    checks.push(Check::new(
        "the load balancer is an Application Load Balancer",
        kind,
    ));
    let vpc = (lb.vpc_id != spec.vpc_id).then(|| {
        format!(
            "load balancer {} is in {}, not in {}",
            lb.arn, lb.vpc_id, spec.vpc_id
        )
    });
    checks.push(Check::new(
        format!("the load balancer is in {}", spec.vpc_id),
        vpc,
    ));
    checks.extend(listener_protocol(spec, facts));
    for s in &facts.subnets {
        let zone = &s.availability_zone;
        let problem = (!lb.zones.contains(zone)).then(|| {
            format!(
                "subnet {} is in {zone}, where the load balancer is not enabled (it serves {}): \
                 its tasks would never receive traffic",
                s.id,
                lb.zones.join(", ")
            )
        });
        checks.push(Check::new(
            format!("the load balancer serves {zone} (subnet {})", s.id),
            problem,
        ));
    }
    checks.push(security_group(spec, facts, lb));
    checks
}

/// `ProtocolVersion` HTTP2 or GRPC: the listener is HTTPS (ALB User Guide, "Target groups for
/// your Application Load Balancers": "The only supported listener protocol is HTTPS").
fn listener_protocol(spec: &Spec, facts: &Facts) -> Option<Check> {
    let version = &spec.protocol_version;
    if !balancing::needs_https_listener(version) {
        return None;
    }
    let protocol = facts.listener_protocol.as_deref().unwrap_or("unknown");
    let problem = (protocol != "HTTPS").then(|| {
        format!(
            "ProtocolVersion {version} needs an HTTPS listener: listener {} is {protocol}",
            spec.listener_arn
        )
    });
    Some(Check::new(
        format!("the listener is HTTPS, as ProtocolVersion {version} needs"),
        problem,
    ))
}

/// `LoadBalancerSecurityGroupId`: in the VPC and attached to the load balancer.
fn security_group(spec: &Spec, facts: &Facts, lb: &LoadBalancer) -> Check {
    let sg = &spec.load_balancer_security_group_id;
    let problem = match &facts.load_balancer_security_group {
        None => Some(format!("security group {sg} does not exist")),
        Some(g) if g.vpc_id != spec.vpc_id => Some(format!(
            "security group {sg} is in {}, not in {}",
            g.vpc_id, spec.vpc_id
        )),
        Some(_) if !lb.security_groups.contains(sg) => Some(format!(
            "security group {sg} is not attached to the load balancer (it has {})",
            lb.security_groups.join(", ")
        )),
        Some(_) => None,
    };
    Check::new(
        format!("security group {sg} is the load balancer's"),
        problem,
    )
}

/// Internet egress, or the endpoints private ECR needs, from every task subnet.
pub fn egress(spec: &Spec, facts: &Facts) -> Vec<Check> {
    let net = Network {
        route_tables: &facts.route_tables,
        endpoints: &facts.endpoints,
        public_ip: spec.assign_public_ip,
        image: &spec.image,
        also: &interface_endpoints(spec),
    };
    facts
        .subnets
        .iter()
        .filter(|s| s.vpc_id == spec.vpc_id)
        .map(|s| {
            Check::new(
                format!(
                    "tasks in subnet {} can reach the image registry and CloudWatch Logs",
                    s.id
                ),
                egress::problem(&s.id, &net),
            )
        })
        .collect()
}

/// The interface endpoints the tasks need without egress beyond the image's and the logs':
/// the container's secrets', and with ECS Exec Session Manager's `ssmmessages` (ECS Developer
/// Guide, "Monitor Amazon ECS containers with ECS Exec": with interface VPC endpoints, an
/// `ssmmessages` endpoint; without one ECS answers `TargetNotConnectedException`).
pub(super) fn interface_endpoints(spec: &Spec) -> Vec<&'static str> {
    let from = |service: &str| {
        let service = format!(":{service}:");
        spec.secret_sources()
            .iter()
            .any(|arn| arn.contains(&service))
    };
    let mut also = Vec::new();
    if from("secretsmanager") {
        also.push("secretsmanager");
    }
    if from("ssm") {
        also.push("ssm");
    }
    if !spec.secrets_kms_key_arn.is_empty() {
        also.push("kms");
    }
    if spec.enable_execute_command {
        also.push("ssmmessages");
    }
    also
}

/// The rule's priority (given and free, or derived, free and above every other owner's rule it
/// overlaps), that it takes no other owner's requests ([`shadowing`]), and the load balancer's
/// room for one more rule. Returns the checks and the priority a new rule gets.
pub fn rule(spec: &Spec, facts: &Facts, derived: u32) -> (Vec<Check>, u32) {
    let Some(priorities) = &facts.priorities else {
        return (Vec::new(), spec.rule_priority.unwrap_or(derived));
    };
    let mut checks = Vec::new();
    let floor = shadowing::floor(spec, &facts.neighbours);
    let chosen = match spec.rule_priority {
        Some(p) => {
            let taken = priorities.contains(&p) && !facts.priority_ours;
            let problem = taken.then(|| {
                format!(
                    "RulePriority {p} is taken by another rule on the listener (not this \
                     stack resource's)"
                )
            });
            checks.push(Check::new(format!("rule priority {p} is free"), problem));
            p
        }
        None => match priority::next_free_from(derived, floor, priorities) {
            Some(p) => {
                checks.push(Check::new(
                    format!("rule priority {p} (derived) is free"),
                    None,
                ));
                p
            }
            None => {
                let problem = format!(
                    "no free rule priority in {}–{} on the listener",
                    floor.max(priority::FIRST_DERIVED),
                    priority::LAST
                );
                checks.push(Check::new("a rule priority is free", Some(problem)));
                derived
            }
        },
    };
    checks.push(takes_no_traffic(spec, facts, chosen));
    if let Some(test) = spec.test_routing() {
        checks.push(test_takes_no_traffic(
            spec,
            facts,
            (&test, priorities),
            chosen,
        ));
    }
    checks.extend(room(spec, facts, priorities.len()));
    (checks, chosen)
}

/// That the load balancer has room for the set's rules (one, two with a test route; its
/// listener's `listed` and its other listeners' rules against the account's limit), if the
/// limit is known.
fn room(spec: &Spec, facts: &Facts, listed: usize) -> Option<Check> {
    let rules = listed + facts.other_rules;
    let limit = facts.rules_limit?;
    // The rule, unless this stack resource has it (a replacement, a re-delivered Create), and
    // the test rule, which each set has of its own.
    let needed = usize::from(facts.rule.is_none()) + usize::from(spec.test_routing().is_some());
    let full = needed > 0 && rules + needed > limit;
    let problem = full.then(|| {
        format!(
            "the load balancer has {rules} rules, the account's limit \
             ({}) is {limit}",
            crate::resources::load_balancer::RULES_LIMIT
        )
    });
    Some(Check::new(
        format!("the load balancer has room for {needed} more rule(s) ({rules} of {limit})"),
        problem,
    ))
}

/// That the rule, at the priority it will have (`RulePriority`, else where this stack
/// resource's rule already is, else `chosen`), matches first for no request another owner's
/// rule matches ([`shadowing`]).
fn takes_no_traffic(spec: &Spec, facts: &Facts, chosen: u32) -> Check {
    let own = shadowing::own(&facts.neighbours);
    let effective = effective(spec, facts, chosen);
    let shadowed = shadowing::shadowed(spec, &facts.neighbours, effective, own);
    shadowing::check(spec, &shadowed, effective)
}

/// The priority the rule will have: `RulePriority`, else where this stack resource's rule
/// already is (it keeps its priority unless RulePriority moves it, whether or not its
/// conditions overlap the new ones), else `chosen`.
fn effective(spec: &Spec, facts: &Facts, chosen: u32) -> u32 {
    let own = shadowing::own(&facts.neighbours);
    let kept = facts.rule.as_ref().and_then(|r| r.priority.parse().ok());
    spec.rule_priority
        .or(own.map(|(p, _)| p))
        .or(kept)
        .unwrap_or(chosen)
}

/// That the test rule (`test`), made at the free priority nearest below the rule's and below
/// this stack resource's other test rules it overlaps (a replacement's goes first; of the
/// listener's `priorities`), matches first for no request another owner's rule matches.
fn test_takes_no_traffic(
    spec: &Spec,
    facts: &Facts,
    (test, priorities): (&Routing, &[u32]),
    chosen: u32,
) -> Check {
    let siblings = facts.test_neighbours.iter().filter(|n| n.own && n.test);
    let first = siblings.map(|n| n.rule.priority).min();
    let below = effective(spec, facts, chosen);
    let below = first.map_or(below, |p| p.min(below));
    let at = priority::free_below(below, priorities);
    let shadowed = at.map_or(Vec::new(), |p| {
        shadowing::shadowed(spec, &facts.test_neighbours, p, None)
    });
    shadowing::test_check(test, &shadowed, (at, below))
}
