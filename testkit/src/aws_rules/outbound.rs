//! Rule 23: a Fargate task pulls its image, reads its secrets and sends its logs over TCP 443,
//! each to the service's VPC endpoint where one answers and to the internet otherwise, and
//! its network interface lets out only what one of its security groups allows (EC2 User
//! Guide, "Security group rules"). Moto starts no task, so the rule plays what ECS does when
//! the tasks' groups let none of that out: the task stops with `CannotPullContainerError` and
//! a timed-out connection (AWS Knowledge Center, "ecs-fargate-pull-container-error": "check
//! that the security group allows outbound traffic to … port 443"), and the circuit breaker
//! stops the rollout. The network is read from moto with prod-e's own readers, and judged with
//! the preflight's [`prod_e::preflight::outbound::unreached`].

use serde_json::Value;

use prod_e::preflight::facts::Facts;
use prod_e::preflight::outbound::{unreached, Task};
use prod_e::resources::security_group::{self, SecurityGroup};
use prod_e::resources::subnet::{self, Subnet};
use prod_e::resources::{route_table, vpc, vpc_endpoint};

use super::ecs::service_of;
use super::wire::{self, text};
use super::{AwsRules, Rule, Upstream};

/// On CreateService (`body`) of revision `definition`: if its tasks' groups let them reach
/// neither their image nor CloudWatch Logs, the event its rollout fails with.
pub async fn blocked(
    rules: &AwsRules,
    moto: &Upstream,
    (body, definition): (&Value, &Value),
) -> Option<String> {
    if !rules.on(Rule::Outbound) {
        return None;
    }
    let image = text(&definition["containerDefinitions"][0]["image"]);
    let (subnets, groups) = wire::awsvpc(body);
    let (subnets, groups, facts) = network(moto, &subnets, &groups).await?;
    let outbound: Vec<_> = groups
        .iter()
        .flat_map(|g| &g.egress)
        .flat_map(|e| e.rules())
        .collect();
    let task = Task {
        image: &image,
        also: Vec::new(),
    };
    let subnets: Vec<&Subnet> = subnets.iter().collect();
    let first = unreached(&task, &outbound, (&subnets, &facts))
        .into_iter()
        .next()?;
    Some(format!(
        "(service {}) task stopped: CannotPullContainerError: dial tcp :443: i/o timeout (no \
         outbound rule to {first})",
        service_of(body)
    ))
}

/// The `subnets` and `groups` of a service as moto has them, and their VPC's blocks, route
/// tables and endpoints; `None` if a read fails.
async fn network(
    moto: &Upstream,
    subnets: &[String],
    groups: &[String],
) -> Option<(Vec<Subnet>, Vec<SecurityGroup>, Facts)> {
    let ec2 = moto.ec2();
    let (subnets, groups) = tokio::join!(
        subnet::find_all(ec2, subnets),
        security_group::find_ids(ec2, groups)
    );
    let (subnets, groups) = (subnets.ok()?, groups.ok()?);
    let vpc_id = subnets.first()?.vpc_id.clone();
    let (cidrs, route_tables, endpoints) = tokio::join!(
        vpc::cidrs(ec2, &vpc_id),
        route_table::find_all_in(ec2, &vpc_id),
        vpc_endpoint::find_all_in(ec2, &vpc_id),
    );
    let facts = Facts {
        vpc_cidrs: cidrs.ok()?.unwrap_or_default(),
        route_tables: route_tables.ok()?,
        endpoints: endpoints.ok()?,
        ..Facts::default()
    };
    Some((subnets, groups, facts))
}
