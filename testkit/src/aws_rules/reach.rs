//! Rule 18: a load balancer reaches its targets only where one of its security groups lets
//! traffic out to them on the target port (ELB guide, "Security groups for your Application
//! Load Balancer": outbound rules to the targets on the listener and health-check ports).
//! Moto routes nothing, so the rule plays what follows on AWS: a service created behind a load
//! balancer none of whose groups lets TCP out to the service's tasks on the container port
//! never has a healthy target, and the circuit breaker stops its rollout, with the ECS event
//! for failed health checks (ECS Developer Guide, "Troubleshooting service load balancers":
//! "(service …) (port …) is unhealthy in (target-group …) due to (reason Request timed out)").
//! The groups and subnets are read from moto with prod-e's own readers, and judged with the
//! preflight's [`prod_e::preflight::reach::reaches`].

use serde_json::Value;

use prod_e::resources::{load_balancer, security_group, subnet};

use super::ecs::service_of;
use super::wire::{self, text};
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};
use crate::call::Fields;

/// On CreateService (`body`): if the service's load balancer cannot reach its tasks, the
/// unhealthy-target event its rollout fails with.
pub async fn unreachable(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<String> {
    let lb = body["loadBalancers"]
        .get(0)
        .filter(|_| rules.on(Rule::Reach))?;
    let (target_group, port) = (text(&lb["targetGroupArn"]), lb["containerPort"].as_i64());
    let (subnets, groups) = wire::awsvpc(body);
    let balancer = balancer_of(moto, &target_group).await?;
    let (from, subnets) = tokio::join!(
        security_group::find_ids(moto.ec2(), &balancer.security_groups),
        subnet::find_all(moto.ec2(), &subnets),
    );
    let port = port.unwrap_or_default() as i32;
    if prod_e::preflight::reach::reaches(&from.ok()?, port, &subnets.ok()?, &groups) {
        return None;
    }
    Some(format!(
        "(service {}) (port {port}) is unhealthy in (target-group {target_group}) due to \
         (reason Request timed out).",
        service_of(body)
    ))
}

/// The load balancer that forwards to `target_group`, as moto has it.
async fn balancer_of(moto: &Upstream, target_group: &str) -> Option<load_balancer::LoadBalancer> {
    let described = moto
        .elb
        .describe_target_groups()
        .target_group_arns(target_group);
    let out = described.send().await.ok()?;
    let arn = out
        .target_groups()
        .first()?
        .load_balancer_arns()
        .first()?
        .clone();
    load_balancer::find(&moto.elb, &arn).await.ok().flatten()
}

/// Rule 22: DeleteSecurityGroup of a group that another group's inbound or outbound rule names
/// is refused with `DependencyViolation` (EC2 API reference, DeleteSecurityGroup: "If you
/// attempt to delete a security group that is … referenced by another security group in the
/// same VPC, the operation fails"); moto deletes it. What a load balancer's outbound rule to
/// the tasks' group (`LoadBalancerEgress: managed`) makes the Delete remove first.
pub async fn referenced(
    rules: &AwsRules,
    moto: &Upstream,
    group: Option<String>,
) -> Option<Verdict> {
    let group = group.filter(|_| rules.on(Rule::ReferencedGroup))?;
    let naming = |filter: &str| {
        let f = aws_sdk_ec2::types::Filter::builder()
            .name(filter)
            .values(&group)
            .build();
        moto.ec2().describe_security_groups().filters(f).send()
    };
    let (inbound, outbound) = tokio::join!(
        naming("ip-permission.group-id"),
        naming("egress.ip-permission.group-id")
    );
    let others = [inbound.ok()?, outbound.ok()?]
        .iter()
        .flat_map(|out| {
            out.security_groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string))
        })
        .find(|id| *id != group)?;
    Some(Verdict::Refuse(Refusal::new(
        "DependencyViolation",
        format!("resource {group} has a dependent object ({others})"),
    )))
}

/// Rule 26: RevokeSecurityGroupEgress naming rule ids (`SecurityGroupRuleId.N`) of which the
/// group lacks one is refused whole with `InvalidSecurityGroupRuleId.NotFound` (EC2 API
/// reference, error codes: "The specified security group rule does not exist"; AWS validates
/// before it revokes anything); moto 5.2.6 refuses too, but with `InvalidPermission.NotFound`
/// (`moto/ec2/models/security_groups.py`), so the rule gives AWS's code.
pub async fn unknown_rules(rules: &AwsRules, moto: &Upstream, fields: &Fields) -> Option<Verdict> {
    let group = fields
        .get("GroupId")
        .filter(|_| rules.on(Rule::UnknownRuleIds))?;
    let ids: Vec<String> = (1..)
        .map_while(|i| fields.get(&format!("SecurityGroupRuleId.{i}")))
        .collect();
    if ids.is_empty() {
        return None;
    }
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("group-id")
        .values(&group)
        .build();
    let listed = moto.ec2().describe_security_group_rules().filters(filter);
    let out = listed.send().await.ok()?;
    let known: Vec<&str> = out
        .security_group_rules()
        .iter()
        .filter_map(|r| r.security_group_rule_id())
        .collect();
    let unknown = ids.iter().find(|id| !known.contains(&id.as_str()))?;
    Some(Verdict::Refuse(Refusal::new(
        "InvalidSecurityGroupRuleId.NotFound",
        format!("The security group rule ID '{unknown}' does not exist"),
    )))
}
