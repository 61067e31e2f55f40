//! The load balancer's side of the path to the tasks. An Application Load Balancer sends
//! requests and health checks to its targets only where one of its security groups allows
//! outbound traffic to them on the listener and health-check ports (ELB guide, "Security groups
//! for your Application Load Balancer": recommended outbound rules to the instance or task
//! security group, or the VPC CIDR, on the target and health-check ports); otherwise the
//! targets never pass a health check and the rollout waits for the circuit breaker. The
//! target group's traffic and health-check port is `ContainerPort`.

use std::net::Ipv4Addr;

use super::facts::Facts;
use super::Check;
use crate::resources::security_group::{Egress, SecurityGroup};
use crate::resources::subnet::Subnet;
use crate::spec::Spec;

/// That some security group of the load balancer lets traffic out to the tasks on
/// `ContainerPort`; none where the load balancer is missing (a check of its own says so).
/// With `LoadBalancerEgress: managed` prod-e makes that rule itself.
pub fn check(spec: &Spec, facts: &Facts) -> Option<Check> {
    let lb = facts.load_balancer.as_ref()?;
    let port = i32::from(spec.container_port);
    let what =
        format!("the load balancer's security groups let traffic out to the tasks on port {port}");
    if spec.load_balancer_egress {
        return Some(Check::new(what, None));
    }
    let subnets: Vec<Subnet> = facts
        .subnets
        .iter()
        .filter(|s| s.vpc_id == spec.vpc_id)
        .cloned()
        .collect();
    let groups = &facts.load_balancer_groups;
    let tasks: Vec<String> = facts
        .task_groups
        .iter()
        .chain(&spec.security_group_ids)
        .cloned()
        .collect();
    let unreached: Vec<String> = subnets
        .iter()
        .filter(|s| !reaches(groups, port, std::slice::from_ref(s), &tasks))
        .map(|s| format!("{} ({})", s.id, s.cidr))
        .collect();
    let problem = (!unreached.is_empty()).then(|| {
        format!(
            "the load balancer's security groups ({}) let no TCP traffic out on port {port} (the \
             tasks' traffic and health-check port) to subnet {}: its health checks would never \
             reach a task; add an outbound rule to the subnets' or the VPC's CIDR, or set \
             LoadBalancerEgress: managed (prod-e adds one to the tasks' group)",
            lb.security_groups.join(", "),
            unreached.join(", ")
        )
    });
    Some(Check::new(what, problem))
}

/// Whether the groups `from` allow TCP `port` out to every one of `subnets`: by a rule to one
/// of `task_groups` (the tasks' own), or by CIDRs that hold each subnet's.
pub fn reaches(
    from: &[SecurityGroup],
    port: i32,
    subnets: &[Subnet],
    task_groups: &[String],
) -> bool {
    let rules: Vec<&Egress> = from
        .iter()
        .flat_map(|g| &g.egress)
        .filter(|r| r.covers(port))
        .collect();
    let to_group = rules
        .iter()
        .any(|r| r.groups.iter().any(|g| task_groups.contains(g)));
    let covered = |s: &Subnet| {
        rules
            .iter()
            .any(|r| r.cidrs.iter().any(|c| holds(c, &s.cidr)))
    };
    to_group || subnets.iter().all(covered)
}

/// Whether the IPv4 block `outer` holds the block `inner` (`10.0.0.0/16` holds
/// `10.0.1.0/24`); anything unreadable holds nothing.
pub fn holds(outer: &str, inner: &str) -> bool {
    match (block(outer), block(inner)) {
        (Some((a, m)), Some((b, n))) => m <= n && mask(a, m) == mask(b, m),
        _ => false,
    }
}

/// `a.b.c.d/n` as an address and a prefix length.
fn block(cidr: &str) -> Option<(u32, u32)> {
    let (address, length) = cidr.split_once('/')?;
    let length: u32 = length.parse().ok().filter(|n| *n <= 32)?;
    Some((u32::from(address.parse::<Ipv4Addr>().ok()?), length))
}

fn mask(address: u32, length: u32) -> u32 {
    address.checked_shr(32 - length).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_the_blocks_inside_them() {
        assert!(holds("0.0.0.0/0", "10.0.1.0/24"));
        assert!(holds("10.0.0.0/16", "10.0.1.0/24"));
        assert!(holds("10.0.1.0/24", "10.0.1.0/24"));
        assert!(!holds("10.0.1.0/24", "10.0.0.0/16"));
        assert!(!holds("10.1.0.0/16", "10.0.1.0/24"));
        assert!(!holds("::/0", "10.0.1.0/24"));
    }
}
