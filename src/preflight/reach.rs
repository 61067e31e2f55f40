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
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::resources::load_balancer;
use crate::resources::security_group::{self, SecurityGroup};
use crate::resources::subnet::{self, Subnet};
use crate::spec::egress::{Destination, Rule};
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
    let tasks: Vec<String> = facts
        .task_groups
        .iter()
        .chain(&spec.security_group_ids)
        .cloned()
        .collect();
    let problem = unreached(
        spec,
        (&lb.security_groups, &facts.load_balancer_groups),
        &facts.subnets,
        &tasks,
    );
    Some(Check::new(what, problem))
}

/// Before an in-place Update stops managing the load balancer's outbound rule to the tasks'
/// group `group`: that another rule of its groups still lets it out to the tasks (that rule
/// about to go aside), else [`Error::Preflight`] before any write.
pub async fn in_place(c: &Clients, spec: &Spec, group: &str) -> Result<()> {
    let lb_arn = load_balancer::arn_of_listener(&spec.listener_arn).unwrap_or_default();
    let (lb, subnets) = tokio::join!(
        load_balancer::find(&c.elb, &lb_arn),
        subnet::find_all(&c.ec2, &spec.subnet_ids),
    )
    .all_ok()?;
    let Some(lb) = lb else {
        return Ok(());
    };
    let mut groups = security_group::find_ids(&c.ec2, &lb.security_groups).await?;
    for g in &mut groups {
        g.egress.retain(|r| !r.groups.iter().any(|to| to == group));
    }
    match unreached(
        spec,
        (&lb.security_groups, &groups),
        &subnets,
        &spec.security_group_ids,
    ) {
        Some(problem) => Err(Error::Preflight {
            problems: vec![problem],
        }),
        None => Ok(()),
    }
}

/// Why the load balancer's groups `groups` (ids `ids`) cannot reach the tasks in `spec`'s
/// subnets among `subnets` (or their groups `tasks`) on `ContainerPort`, if they cannot.
fn unreached(
    spec: &Spec,
    (ids, groups): (&[String], &[SecurityGroup]),
    subnets: &[Subnet],
    tasks: &[String],
) -> Option<String> {
    let port = i32::from(spec.container_port);
    let left: Vec<String> = subnets
        .iter()
        .filter(|s| s.vpc_id == spec.vpc_id)
        .filter(|s| !reaches(groups, port, std::slice::from_ref(s), tasks))
        .map(|s| format!("{} ({})", s.id, s.cidr))
        .collect();
    (!left.is_empty()).then(|| {
        format!(
            "the load balancer's security groups ({}) let no TCP traffic out on port {port} (the \
             tasks' traffic and health-check port) to subnet {}: its health checks would never \
             reach a task; add an outbound rule to the subnets' or the VPC's CIDR, or set \
             LoadBalancerEgress: managed (prod-e adds one to the tasks' group)",
            ids.join(", "),
            left.join(", ")
        )
    })
}

/// Whether the groups `from` allow TCP `port` out to every one of `subnets`: by a rule to one
/// of `task_groups` (the tasks' own), or by CIDRs that hold each subnet's.
pub fn reaches(
    from: &[SecurityGroup],
    port: i32,
    subnets: &[Subnet],
    task_groups: &[String],
) -> bool {
    let rules: Vec<Rule> = from
        .iter()
        .flat_map(|g| &g.egress)
        .flat_map(|e| e.rules())
        .filter(|r| r.covers_tcp(port))
        .collect();
    let to_group = rules
        .iter()
        .any(|r| matches!(&r.destination, Destination::Group(g) if task_groups.contains(g)));
    let covered = |s: &Subnet| {
        rules
            .iter()
            .any(|r| matches!(&r.destination, Destination::Cidr(c) if holds(c, &s.cidr)))
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
