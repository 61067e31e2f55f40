//! The outbound rules of a security group: as EC2 lists them ([`Egress`]), one destination
//! each as `Egress` names them ([`Rule`]), and their allowing and revoking on a group
//! prod-e owns (the tasks' group, for `Egress`).

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use aws_sdk_ec2::Client;

use crate::error::{is_already_exists, is_rule_gone, Doing, Result};
use crate::spec::egress::{Destination, Rule};

/// One outbound rule of a group, as far as the way to the tasks is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    /// `-1` (all traffic), `tcp`, `udp`, `icmp` or a protocol number.
    pub protocol: String,
    /// The first port of its range (0 where it has none).
    pub from_port: i32,
    /// The last port of its range (0 where it has none).
    pub to_port: i32,
    /// Its IPv4 destinations.
    pub cidrs: Vec<String>,
    /// Its destination groups.
    pub groups: Vec<String>,
    /// Its destination prefix lists.
    pub prefix_lists: Vec<String>,
    /// Its IPv6 destinations.
    pub ipv6_cidrs: Vec<String>,
}

impl Egress {
    /// The outbound rule `rule` as EC2 lists it.
    pub fn of(rule: &Rule) -> Self {
        let mut e = Egress {
            protocol: rule.ip_protocol.clone(),
            from_port: rule.from_port,
            to_port: rule.to_port,
            cidrs: Vec::new(),
            groups: Vec::new(),
            prefix_lists: Vec::new(),
            ipv6_cidrs: Vec::new(),
        };
        match &rule.destination {
            Destination::Cidr(c) => e.cidrs.push(c.clone()),
            Destination::Ipv6(c) => e.ipv6_cidrs.push(c.clone()),
            Destination::PrefixList(l) => e.prefix_lists.push(l.clone()),
            Destination::Group(g) => e.groups.push(g.clone()),
        }
        e
    }

    /// Its rules one destination each, as `Egress` names them.
    pub fn rules(&self) -> impl Iterator<Item = Rule> + '_ {
        let ports = (self.from_port, self.to_port);
        let to = move |d: Destination| Rule::new(&self.protocol, ports, d);
        let cidrs = self.cidrs.iter().cloned().map(Destination::Cidr);
        let lists = self
            .prefix_lists
            .iter()
            .cloned()
            .map(Destination::PrefixList);
        let groups = self.groups.iter().cloned().map(Destination::Group);
        let ipv6 = self.ipv6_cidrs.iter().cloned().map(Destination::Ipv6);
        cidrs.chain(lists).chain(groups).chain(ipv6).map(to)
    }
}

/// A security group as the calls name it: (id, name for messages).
pub type Group<'a> = (&'a str, &'a str);

/// An outbound rule as DescribeSecurityGroups lists it.
pub(super) fn egress(p: &IpPermission) -> Egress {
    Egress {
        protocol: p.ip_protocol().unwrap_or_default().to_string(),
        from_port: p.from_port().unwrap_or_default(),
        to_port: p.to_port().unwrap_or_default(),
        cidrs: p
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(str::to_string))
            .collect(),
        groups: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        prefix_lists: p
            .prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id().map(str::to_string))
            .collect(),
        ipv6_cidrs: p
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6().map(str::to_string))
            .collect(),
    }
}

/// Allows the outbound `rules` from `group` (none: nothing is called); a rule that already
/// exists counts as allowed (`InvalidPermission.Duplicate`, one call per rule then).
pub async fn allow_out(ec2: &Client, group: Group<'_>, rules: &[Rule]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let doing = format!("allowing outbound rules of security group ({})", group.1);
    let added = ec2
        .authorize_security_group_egress()
        .group_id(group.0)
        .set_ip_permissions(Some(rules.iter().map(permission).collect()))
        .send()
        .await
        .done(&doing);
    match added {
        Err(e) if is_already_exists(&e) && rules.len() > 1 => {
            for rule in rules {
                Box::pin(allow_out(ec2, group, std::slice::from_ref(rule))).await?;
            }
            Ok(())
        }
        Err(e) if is_already_exists(&e) => Ok(()),
        other => other,
    }
}

/// Revokes the outbound `rules` of `group` (none: nothing is called); rules that are gone
/// count as revoked ([`is_rule_gone`], one call per rule then, so that one rule gone does not
/// leave the others). A group that EC2 does not find is an error, never "revoked": the rules
/// it was to lose would stay.
pub async fn revoke_out(ec2: &Client, group: Group<'_>, rules: &[Rule]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let removed = ec2
        .revoke_security_group_egress()
        .group_id(group.0)
        .set_ip_permissions(Some(rules.iter().map(permission).collect()))
        .send()
        .await;
    let doing = format!("revoking outbound rules of security group ({})", group.1);
    match removed.done(doing) {
        Err(e) if is_rule_gone(&e) && rules.len() > 1 => {
            for rule in rules {
                Box::pin(revoke_out(ec2, group, std::slice::from_ref(rule))).await?;
            }
            Ok(())
        }
        Err(e) if is_rule_gone(&e) => Ok(()),
        other => other,
    }
}

/// One rule as EC2 takes it, inbound or outbound (no ports for all traffic).
pub(super) fn permission(rule: &Rule) -> IpPermission {
    let all = rule.ip_protocol == "-1";
    let p = IpPermission::builder()
        .ip_protocol(&rule.ip_protocol)
        .set_from_port((!all).then_some(rule.from_port))
        .set_to_port((!all).then_some(rule.to_port));
    match &rule.destination {
        Destination::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).build()),
        Destination::Ipv6(c) => p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build()),
        Destination::PrefixList(l) => {
            p.prefix_list_ids(PrefixListId::builder().prefix_list_id(l).build())
        }
        Destination::Group(g) => {
            p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build())
        }
    }
    .build()
}

/// TCP `port` to or from group `group` as EC2 takes it.
pub(super) fn tcp_with_group(port: i32, group: &str) -> IpPermission {
    permission(&Rule::new(
        "tcp",
        (port, port),
        Destination::Group(group.into()),
    ))
}
