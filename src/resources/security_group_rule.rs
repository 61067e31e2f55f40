//! The outbound rule from the load balancer's security group to the tasks' group on the
//! container port that prod-e makes with `LoadBalancerEgress: managed` (as the CDK does for a
//! load balancer whose group allows no outbound traffic of its own). It lives in a group prod-e
//! does not own, so it is recognised as prod-e's by its tags and the group it names.

use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroupRule, TagSpecification};
use aws_sdk_ec2::Client;

use super::tags;
use crate::error::{is_already_exists, is_rule_gone, Doing, Every, Result};
use crate::naming::{Tags, OWNER_TAG};
use crate::resources::settings::Setting;
use crate::spec::Spec;

/// The rules `spec` asks prod-e to make (`LoadBalancerEgress: managed`: one, on the container
/// port), as [`find_made`] reads them (their ids empty).
pub fn expand(spec: &Spec) -> Vec<Made> {
    let made = Made {
        id: String::new(),
        port: i32::from(spec.container_port),
    };
    spec.load_balancer_egress
        .then_some(made)
        .into_iter()
        .collect()
}

/// `LoadBalancerEgress` by its flatten: `managed (tcp/80)`, by the ports prod-e's rules open,
/// or `none`.
pub const SETTINGS: &[Setting<Vec<Made>>] = &[Setting::new("LoadBalancerEgress", |made| {
    let ports: Vec<String> = made.iter().map(|m| format!("tcp/{}", m.port)).collect();
    match ports.is_empty() {
        true => "none".to_string(),
        false => format!("managed ({})", ports.join(",")),
    }
})];

/// One outbound rule prod-e made: its id and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The rule's id (`sgr-…`).
    pub id: String,
    /// The TCP port it allows.
    pub port: i32,
}

/// The outbound rules of group `from` to group `to` that prod-e made (they carry
/// [`OWNER_TAG`]), with one DescribeSecurityGroupRules.
pub async fn find_made(ec2: &Client, from: &str, to: &str) -> Result<Vec<Made>> {
    let listed: Vec<SecurityGroupRule> = ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(from).build())
        .into_paginator()
        .items()
        .send()
        .every(format!("reading the rules of security group ({from})"))
        .await?;
    let ours = |r: &&SecurityGroupRule| {
        r.is_egress() == Some(true)
            && r.referenced_group_info().and_then(|g| g.group_id()) == Some(to)
            && r.tags().iter().any(|t| t.key() == Some(OWNER_TAG))
    };
    Ok(listed
        .iter()
        .filter(ours)
        .filter_map(|r| {
            Some(Made {
                id: r.security_group_rule_id()?.to_string(),
                port: r.from_port()?,
            })
        })
        .collect())
}

/// Allows TCP `port` out of group `from` to group `to`, the rule tagged `tags`; the same rule
/// made before counts as made (`InvalidPermission.Duplicate`).
pub async fn create(ec2: &Client, (from, to): (&str, &str), port: i32, tags: &Tags) -> Result<()> {
    let rule = super::egress::tcp_with_group(port, to);
    let tagged = TagSpecification::builder()
        .resource_type(ResourceType::SecurityGroupRule)
        .set_tags(Some(tags::ec2::list(tags)))
        .build();
    let made = ec2
        .authorize_security_group_egress()
        .group_id(from)
        .ip_permissions(rule)
        .tag_specifications(tagged)
        .send()
        .await
        .done(format!("allowing {from} out to {to} on port {port}"));
    match made {
        Err(e) if is_already_exists(&e) => Ok(()),
        other => other,
    }
}

/// Revokes the outbound rules `made` of group `from`. EC2 refuses the whole call when one of
/// the ids is gone (`InvalidSecurityGroupRuleId.NotFound`, revoking none: the test proxy's
/// rule 26), so that refusal revokes them one by one, a gone one counting as revoked.
pub async fn delete(ec2: &Client, from: &str, made: &[Made]) -> Result<()> {
    if made.is_empty() {
        return Ok(());
    }
    let ids = made.iter().map(|m| m.id.clone()).collect();
    let revoked = ec2
        .revoke_security_group_egress()
        .group_id(from)
        .set_security_group_rule_ids(Some(ids))
        .send()
        .await;
    match revoked.done(format!("revoking outbound rules of ({from})")) {
        Err(e) if is_rule_gone(&e) && made.len() > 1 => {
            for one in made {
                Box::pin(delete(ec2, from, std::slice::from_ref(one))).await?;
            }
            Ok(())
        }
        other => super::gone(other),
    }
}
