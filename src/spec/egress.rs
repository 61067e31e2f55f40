//! `Egress`: the outbound rules of the tasks' security group, with the keys of
//! CloudFormation's `AWS::EC2::SecurityGroup` `Egress` items (`IpProtocol`, `FromPort`,
//! `ToPort`, and one of `CidrIp`, `DestinationPrefixListId`, `DestinationSecurityGroupId`).
//! Empty is EC2's default for a new group: all traffic out.
//!
//! Sources: EC2 API reference, `IpPermission` (`-1` is all protocols and ports; for ICMP the
//! ports are the type and code, `-1` for all); EC2 User Guide, "Security group rules" (a new
//! group's one outbound rule allows all traffic to `0.0.0.0/0`); Amazon VPC User Guide,
//! "Amazon VPC quotas" (60 outbound rules per security group by default).

use std::net::Ipv4Addr;

use super::object::{integer, object, text};

/// The most rules `Egress` may list (EC2's default quota of outbound rules per group).
pub const MAX_RULES: usize = 60;

/// The protocols a rule may name: TCP, UDP, ICMP, or `-1` for all.
pub const PROTOCOLS: [&str; 4] = ["tcp", "udp", "icmp", "-1"];

object! {
    /// One item of `Egress` (CloudFormation's `AWS::EC2::SecurityGroup` `Egress`).
    pub struct EgressItem {
        ip_protocol: String = "IpProtocol", text(protocol, None),
            "tcp, udp, icmp or -1 (all traffic)";
        from_port: Option<i32> = "FromPort", integer(-1, 65535, None),
            "the first port (ICMP: the type; -1 for all), not for -1";
        to_port: Option<i32> = "ToPort", integer(-1, 65535, None),
            "the last port (ICMP: the code; -1 for all), not for -1";
        cidr_ip: String = "CidrIp", text(cidr, None),
            "an IPv4 destination block (`10.0.0.0/16`, `0.0.0.0/0`)";
        destination_prefix_list_id: String = "DestinationPrefixListId", text(prefix_list, None),
            "a prefix list destination (`pl-…`, an S3 gateway endpoint's, say)";
        destination_security_group_id: String = "DestinationSecurityGroupId",
            text(super::checks::security_group_id, None),
            "a security group destination (`sg-…`, a database's or VPC endpoints' group)";
    }
}

/// Where one rule lets traffic go.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    /// An IPv4 block.
    Cidr(String),
    /// An IPv6 block: only as EC2 lists a group's rules (`Egress` takes IPv4 blocks).
    Ipv6(String),
    /// A prefix list.
    PrefixList(String),
    /// A security group.
    Group(String),
}

/// One outbound rule: protocol, port range (`(0, 0)` for all traffic) and one destination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rule {
    /// `tcp`, `udp`, `icmp` or `-1`.
    pub ip_protocol: String,
    /// The first port (ICMP type).
    pub from_port: i32,
    /// The last port (ICMP code).
    pub to_port: i32,
    /// Where it goes.
    pub destination: Destination,
}

impl std::fmt::Display for Rule {
    /// `tcp 443-443 to 0.0.0.0/0`, `-1 to 10.0.0.0/16` (all traffic has no ports).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let to = match &self.destination {
            Destination::Cidr(d)
            | Destination::Ipv6(d)
            | Destination::PrefixList(d)
            | Destination::Group(d) => d,
        };
        match self.ip_protocol.as_str() {
            "-1" => write!(f, "-1 to {to}"),
            p => write!(f, "{p} {}-{} to {to}", self.from_port, self.to_port),
        }
    }
}

impl Rule {
    /// EC2's default outbound rule: all traffic to `0.0.0.0/0`.
    pub fn all_traffic() -> Self {
        Rule::new("-1", (0, 0), Destination::Cidr("0.0.0.0/0".into()))
    }

    /// A rule, its ports `(0, 0)` when it is for all traffic (EC2 ignores them then).
    pub fn new(protocol: &str, (from, to): (i32, i32), destination: Destination) -> Self {
        let all = protocol == "-1";
        Rule {
            ip_protocol: protocol.to_string(),
            from_port: if all { 0 } else { from },
            to_port: if all { 0 } else { to },
            destination,
        }
    }

    /// Whether it lets TCP traffic to `port` out.
    pub fn covers_tcp(&self, port: i32) -> bool {
        // EC2 lists protocols by name, but a rule made by number may read `6` or `all`.
        match self.ip_protocol.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => (self.from_port..=self.to_port).contains(&port),
            _ => false,
        }
    }

    /// The rule an `Egress` item describes.
    pub fn of(item: &EgressItem) -> Self {
        let destination = match (&item.cidr_ip, &item.destination_prefix_list_id) {
            (cidr, _) if !cidr.is_empty() => Destination::Cidr(network(cidr)),
            (_, list) if !list.is_empty() => Destination::PrefixList(list.clone()),
            _ => Destination::Group(item.destination_security_group_id.clone()),
        };
        let ports = (item.from_port.unwrap_or(0), item.to_port.unwrap_or(0));
        Rule::new(&item.ip_protocol, ports, destination)
    }
}

/// Whether outbound rule `rule` of the tasks' group stays as it is whatever `Egress` (`items`)
/// says: its IPv6 rules (which `Egress` cannot name) while `Egress` is not set; once it is,
/// they go like any rule it does not list.
pub fn left_alone(items: &[EgressItem], rule: &Rule) -> bool {
    items.is_empty() && matches!(rule.destination, Destination::Ipv6(_))
}

/// The list as a whole: each rule names its protocol, exactly one destination, and ports
/// where its protocol has them (`FromPort` ≤ `ToPort` for TCP and UDP); no rule twice.
pub fn rules(items: &[EgressItem]) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        one(item).map_err(|m| format!("item {}: {m}", i + 1))?;
    }
    let rules: Vec<Rule> = items.iter().map(Rule::of).collect();
    if (1..rules.len()).any(|k| rules[..k].contains(&rules[k])) {
        return Err("lists the same rule twice".to_string());
    }
    Ok(())
}

fn one(item: &EgressItem) -> Result<(), String> {
    let protocol = &item.ip_protocol;
    if protocol.is_empty() {
        return Err("IpProtocol is required".to_string());
    }
    let destinations = [
        &item.cidr_ip,
        &item.destination_prefix_list_id,
        &item.destination_security_group_id,
    ];
    if destinations.iter().filter(|d| !d.is_empty()).count() != 1 {
        return Err(
            "needs exactly one of CidrIp, DestinationPrefixListId, DestinationSecurityGroupId"
                .to_string(),
        );
    }
    match (protocol.as_str(), (item.from_port, item.to_port)) {
        ("-1", _) => Ok(()),
        (_, (None, _) | (_, None)) => Err(format!("{protocol} needs FromPort and ToPort")),
        ("tcp" | "udp", (Some(from), Some(to))) if from < 0 || from > to => Err(format!(
            "{protocol} needs 0 ≤ FromPort ≤ ToPort (FromPort {from}, ToPort {to})"
        )),
        _ => Ok(()),
    }
}

/// The rules `items` describe; EC2's default (all traffic out) when there are none.
pub fn wanted(items: &[EgressItem]) -> Vec<Rule> {
    match items.is_empty() {
        true => vec![Rule::all_traffic()],
        false => items.iter().map(Rule::of).collect(),
    }
}

/// The block `cidr` as EC2 keeps it: its network address (`10.0.0.1/16` is `10.0.0.0/16`; a
/// second authorization of the first form is a duplicate of the second: EC2 API reference,
/// `IpRange`).
fn network(cidr: &str) -> String {
    let parsed = cidr.split_once('/').and_then(|(address, length)| {
        let address = u32::from(address.parse::<Ipv4Addr>().ok()?);
        let length: u32 = length.parse().ok().filter(|n| *n <= 32)?;
        let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
        Some(format!("{}/{length}", Ipv4Addr::from(address & mask)))
    });
    parsed.unwrap_or_else(|| cidr.to_string())
}

fn protocol(s: &str) -> Result<(), String> {
    super::checks::one_of(s, &PROTOCOLS)
}

fn cidr(s: &str) -> Result<(), String> {
    let valid = s.split_once('/').is_some_and(|(address, length)| {
        address.parse::<Ipv4Addr>().is_ok() && length.parse::<u8>().is_ok_and(|n| n <= 32)
    });
    match valid {
        true => Ok(()),
        false => Err(format!("{s:?} is not an IPv4 CIDR block (a.b.c.d/n)")),
    }
}

fn prefix_list(s: &str) -> Result<(), String> {
    super::checks::prefixed(s, "pl-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_kept_as_its_network_address() {
        assert_eq!(network("10.0.0.1/16"), "10.0.0.0/16");
        assert_eq!(network("10.0.0.28/29"), "10.0.0.24/29");
        assert_eq!(network("0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(network("192.168.1.7/32"), "192.168.1.7/32");
    }
}
