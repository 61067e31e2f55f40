//! What preflight reads: the network and the listener as they are, read concurrently in one
//! round trip, plus a second one only when a question remains (rules of the load balancer's
//! other listeners; the tags of the rules the new rule overlaps, and of a rule holding the
//! priority).

use super::{priority, shadowing};
use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::{Deployment, OWNER_TAG};
use crate::resources::listener_rule::{self, Listed, ListenerRule};
use crate::resources::load_balancer::{self, LoadBalancer};
use crate::resources::route_table::{self, RouteTable};
use crate::resources::security_group::{self, SecurityGroup};
use crate::resources::subnet::{self, Subnet};
use crate::resources::vpc;
use crate::resources::vpc_endpoint::{self, VpcEndpoint};
use crate::spec::Spec;

/// The account and network as preflight found them.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Whether `VpcId` exists.
    pub vpc_exists: bool,
    /// The IPv4 blocks of `VpcId`.
    pub vpc_cidrs: Vec<String>,
    /// Those of `SubnetIds` that exist.
    pub subnets: Vec<Subnet>,
    /// The route tables of `VpcId`.
    pub route_tables: Vec<RouteTable>,
    /// The endpoints of `VpcId`.
    pub endpoints: Vec<VpcEndpoint>,
    /// The load balancer of `ListenerArn`, if it exists.
    pub load_balancer: Option<LoadBalancer>,
    /// The priorities of the listener's rules; `None` if the listener does not exist.
    pub priorities: Option<Vec<u32>>,
    /// The listener's protocol (`HTTP`, `HTTPS`), if it exists.
    pub listener_protocol: Option<String>,
    /// Rules on the load balancer's other listeners.
    pub other_rules: usize,
    /// The account's limit on rules per Application Load Balancer, if it says.
    pub rules_limit: Option<usize>,
    /// `LoadBalancerSecurityGroupId`, if it exists.
    pub load_balancer_security_group: Option<SecurityGroup>,
    /// The rule of this stack resource on the listener (this set's, else a sibling set's),
    /// if preflight had to read the rules' tags to know (see `ours`): no new rule is then
    /// needed, and Create adopts it instead of reading the rules again.
    pub rule: Option<ListenerRule>,
    /// Whether the rule holding `RulePriority` is this stack resource's.
    pub priority_ours: bool,
    /// The listener's rules whose conditions overlap the rule's ([`shadowing::neighbours`]).
    pub neighbours: Vec<shadowing::Neighbour>,
    /// The listener's rules whose conditions overlap the test rule's (none without one).
    pub test_neighbours: Vec<shadowing::Neighbour>,
    /// The load balancer's security groups, with their outbound rules.
    pub load_balancer_groups: Vec<SecurityGroup>,
    /// The ids of this stack resource's security groups in `VpcId` (a replacement keeps its
    /// set's).
    pub task_groups: Vec<String>,
    /// Those of `SecurityGroupIds` that exist.
    pub joined_groups: Vec<SecurityGroup>,
}

/// Reads everything preflight checks, concurrently.
pub async fn gather(c: &Clients, d: &Deployment, spec: &Spec) -> Result<Facts> {
    let elb = &c.elb;
    let listener = spec.listener_arn.as_str();
    let lb_arn = load_balancer::arn_of_listener(listener).unwrap_or_default();
    let (network, (lb, listeners, listed, limit)) = tokio::join!(network(c, spec), async {
        tokio::join!(
            load_balancer::find(elb, &lb_arn),
            load_balancer::listeners(elb, &lb_arn),
            listener_rule::listed(elb, listener),
            load_balancer::rules_limit(elb),
        )
        .all_ok()
    },)
    .all_ok()?;
    let mut facts = Facts {
        load_balancer: lb,
        priorities: listed
            .as_ref()
            .map(|l| l.iter().map(|r| r.priority).collect()),
        rules_limit: limit,
        ..network
    };
    let this = listeners.iter().find(|l| l.arn == listener);
    facts.listener_protocol = this.map(|l| l.protocol.clone());
    let others: Vec<&String> = listeners
        .iter()
        .map(|l| &l.arn)
        .filter(|l| *l != listener)
        .collect();
    second_round(
        c,
        (d, spec),
        &mut facts,
        (&others, listed.unwrap_or_default()),
    )
    .await?;
    (facts.rule, facts.priority_ours) = ours(c, d, spec, &facts).await?;
    Ok(facts)
}

/// What the first round's answers ask next, concurrently: the rules of the load balancer's
/// `others` listeners, the tags of the `listed` rules the new rule overlaps, and the security
/// groups at both ends of the way to the tasks.
async fn second_round(
    c: &Clients,
    (d, spec): (&Deployment, &Spec),
    facts: &mut Facts,
    (others, listed): (&[&String], Vec<Listed>),
) -> Result<()> {
    let routing = spec.routing();
    let lb = facts.load_balancer.as_ref();
    let lb_groups = lb.map(|lb| lb.security_groups.clone()).unwrap_or_default();
    let test = async {
        match spec.test_routing() {
            Some(test) => shadowing::neighbours(c, d, &listed, &test).await,
            None => Ok(Vec::new()),
        }
    };
    let groups;
    (
        facts.other_rules,
        facts.neighbours,
        facts.test_neighbours,
        groups,
    ) = tokio::join!(
        count_rules(c, others),
        shadowing::neighbours(c, d, &listed, &routing),
        test,
        groups_on_the_way(c, d, &spec.vpc_id, lb_groups),
    )
    .all_ok()?;
    (facts.load_balancer_groups, facts.task_groups) = groups;
    Ok(())
}

/// The load balancer's security groups `ids`, and the ids of this stack resource's groups in
/// `vpc_id` (a replacement keeps its set's): both ends of the way to the tasks.
async fn groups_on_the_way(
    c: &Clients,
    d: &Deployment,
    vpc_id: &str,
    ids: Vec<String>,
) -> Result<(Vec<SecurityGroup>, Vec<String>)> {
    let load_balancer = security_group::find_ids(&c.ec2, &ids);
    let tagged = security_group::list_tagged(&c.ec2, Some(vpc_id), OWNER_TAG);
    let (groups, tagged) = tokio::join!(load_balancer, tagged).all_ok()?;
    let ours = tagged
        .into_iter()
        .filter(|g| d.owns(&g.tags) || d.sibling_owns(&g.tags))
        .map(|g| g.id);
    Ok((groups, ours.collect()))
}

/// The network of `spec`, concurrently: the VPC's blocks, the subnets, the VPC's route tables
/// and endpoints, `LoadBalancerSecurityGroupId` and the `SecurityGroupIds` (the rest of the
/// facts empty). What an in-place check of the tasks' way out reads again.
pub async fn network(c: &Clients, spec: &Spec) -> Result<Facts> {
    let (ec2, vpc_id) = (&c.ec2, spec.vpc_id.as_str());
    let (vpc, subnets, route_tables, endpoints, sg, joined) = tokio::join!(
        vpc::cidrs(ec2, vpc_id),
        subnet::find_all(ec2, &spec.subnet_ids),
        route_table::find_all_in(ec2, vpc_id),
        vpc_endpoint::find_all_in(ec2, vpc_id),
        security_group::find_id(ec2, &spec.load_balancer_security_group_id),
        security_group::find_ids(ec2, &spec.security_group_ids),
    )
    .all_ok()?;
    Ok(Facts {
        vpc_exists: vpc.is_some(),
        vpc_cidrs: vpc.unwrap_or_default(),
        subnets,
        route_tables,
        endpoints,
        load_balancer_security_group: sg,
        joined_groups: joined,
        ..Facts::default()
    })
}

/// Rules on `listeners` (the load balancer's others: the quota is per load balancer).
async fn count_rules(c: &Clients, listeners: &[&String]) -> Result<usize> {
    let counts = listeners.iter().map(|l| listener_rule::listed(&c.elb, l));
    let counted = futures::future::try_join_all(counts).await?;
    Ok(counted.into_iter().flatten().map(|p| p.len()).sum())
}

/// The rule of this stack resource on the listener (ours, else a sibling's), and whether the
/// one holding `RulePriority` is one of them; read only when the answer may be yes: the
/// priority the rule would get (`RulePriority`, else the derived one, where an earlier attempt
/// of this stack resource put its rule) is taken, or the load balancer is at its rule limit
/// (counting every listener's rules). A fresh Create reads no tags here.
async fn ours(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    facts: &Facts,
) -> Result<(Option<ListenerRule>, bool)> {
    let Some(priorities) = &facts.priorities else {
        return Ok((None, false));
    };
    let wanted = spec.rule_priority.unwrap_or_else(|| priority::derived(d));
    let taken = priorities.contains(&wanted);
    let rules = priorities.len() + facts.other_rules;
    // Room for two rules (with a test route) is judged with our own rule known.
    let full = facts.rules_limit.is_some_and(|l| rules + 1 >= l);
    if !taken && !full {
        return Ok((None, false));
    }
    let mut found = listener_rule::find_all(&c.elb, &spec.listener_arn).await?;
    found.retain(|r| !listener_rule::is_test(&r.tags));
    let of_ours = |r: &ListenerRule| d.owns(&r.tags) || d.sibling_owns(&r.tags);
    let wanted = spec.rule_priority.map(|p| p.to_string());
    let priority_ours = found
        .iter()
        .any(|r| of_ours(r) && Some(&r.priority) == wanted.as_ref());
    let ours = found.iter().position(|r| d.owns(&r.tags));
    let sibling = found.iter().position(|r| d.sibling_owns(&r.tags));
    Ok((
        ours.or(sibling).map(|i| found.swap_remove(i)),
        priority_ours,
    ))
}
