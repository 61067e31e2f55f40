//! The service's security group: ingress on the container port from the load balancer's group only.

use aws_sdk_ec2::types::{Filter, ResourceType, TagSpecification};
use aws_sdk_ec2::Client;

use super::{gone, required, tags, Tagged};
use crate::error::{
    is_already_exists, is_dependency_violation, is_group_not_yet_visible, Doing, Result,
};
use crate::naming::Tags;
use crate::resources::settings::{listed, Setting};
use crate::retry::{retry, NEW_RESOURCE_VISIBLE, SECURITY_GROUP_IN_USE};
use crate::spec::egress::Rule;
use crate::spec::Spec;

pub use super::egress::{allow_out, revoke_out, Egress};
use crate::wait::wait;

/// The tasks' group `spec` asks for, as [`find`] reads one (its id, name and tags empty): TCP
/// on the container port from the load balancer's group, and the rules of `Egress` (EC2's
/// default without).
pub fn expand(spec: &Spec) -> SecurityGroup {
    let port = i32::from(spec.container_port);
    SecurityGroup {
        vpc_id: spec.vpc_id.clone(),
        ingress: vec![(port, spec.load_balancer_security_group_id.clone())],
        egress: spec.egress_rules().iter().map(Egress::of).collect(),
        ..SecurityGroup::default()
    }
}

/// Every property the tasks' group carries, by its flatten.
pub const SETTINGS: &[Setting<SecurityGroup>] = &[
    Setting::new("LoadBalancerSecurityGroupId", |g| {
        listed(g.ingress.iter().map(|(_, source)| source.clone()).collect())
    }),
    Setting::new("Egress", |g| {
        let rules = g.egress.iter().flat_map(|e| e.rules());
        listed(rules.map(|r| r.to_string()).collect())
    }),
];

#[derive(Debug, Clone, PartialEq, Default)]
/// A security group as found or created.
pub struct SecurityGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
    /// (port, source security group) of each TCP ingress rule that names a group.
    pub ingress: Vec<(i32, String)>,
    /// Its outbound rules.
    pub egress: Vec<Egress>,
}

tagged!(SecurityGroup, "security group", name);

/// The group named `name`, in `vpc_id` when it is known (Delete may not know it).
pub async fn find(ec2: &Client, vpc_id: Option<&str>, name: &str) -> Result<Option<SecurityGroup>> {
    let doing = format!("reading security group ({name})");
    let found = described(ec2, (filter("group-name", [name]), vpc_id), &doing).await?;
    Ok(found.into_iter().next())
}

/// The groups whose tag `key` has one of `values`, in `vpc_id` when it is known: the groups
/// of given sets, whatever they are named (a replacement hands its group on under the name
/// of the set that made it).
pub async fn find_owned(
    ec2: &Client,
    vpc_id: Option<&str>,
    (key, values): (&str, &[&str]),
) -> Result<Vec<SecurityGroup>> {
    let doing = format!("finding the security groups of {values:?}");
    let tag = filter(&format!("tag:{key}"), values.iter().copied());
    described(ec2, (tag, vpc_id), &doing).await
}

/// Those of the groups `ids` that exist (a `group-id` filter, as [`find_id`]).
pub async fn find_ids(ec2: &Client, ids: &[String]) -> Result<Vec<SecurityGroup>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let doing = format!("reading security groups ({})", ids.join(", "));
    let filter = filter("group-id", ids.iter().map(String::as_str));
    described(ec2, (filter, None), &doing).await
}

/// The group with id `id`; `None` if it does not exist (a `group-id` filter, where naming
/// the id would fail the call with `InvalidGroup.NotFound`).
pub async fn find_id(ec2: &Client, id: &str) -> Result<Option<SecurityGroup>> {
    let doing = format!("reading security group ({id})");
    let found = described(ec2, (filter("group-id", [id]), None), &doing).await?;
    Ok(found.into_iter().next())
}

/// A DescribeSecurityGroups filter `name` with `values` (any of them matches).
fn filter<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Filter {
    let values = values.into_iter().map(str::to_string).collect();
    Filter::builder()
        .name(name)
        .set_values(Some(values))
        .build()
}

/// The groups `filter` matches, in `vpc_id` when it is known.
async fn described(
    ec2: &Client,
    (filter, vpc_id): (Filter, Option<&str>),
    doing: &str,
) -> Result<Vec<SecurityGroup>> {
    let mut filters = vec![filter];
    filters.extend(vpc_id.map(|v| self::filter("vpc-id", [v])));
    let out = ec2
        .describe_security_groups()
        .set_filters(Some(filters))
        .send()
        .await
        .doing(doing)?;
    out.security_groups().iter().map(from_sdk).collect()
}

fn from_sdk(g: &aws_sdk_ec2::types::SecurityGroup) -> Result<SecurityGroup> {
    const KIND: &str = SecurityGroup::KIND;
    Ok(SecurityGroup {
        id: required(g.group_id(), KIND, "groupId")?,
        name: required(g.group_name(), KIND, "groupName")?,
        vpc_id: required(g.vpc_id(), KIND, "vpcId")?,
        tags: tags::ec2::read(g.tags()),
        ingress: g
            .ip_permissions()
            .iter()
            .flat_map(|p| {
                let port = p.from_port().unwrap_or_default();
                p.user_id_group_pairs()
                    .iter()
                    .filter_map(move |pair| pair.group_id().map(|g| (port, g.to_string())))
            })
            .collect(),
        egress: g
            .ip_permissions_egress()
            .iter()
            .map(super::egress::egress)
            .collect(),
    })
}

/// Creates the group (egress stays AWS's default: all traffic) and its one ingress rule.
pub async fn create(
    ec2: &Client,
    vpc_id: &str,
    name: &str,
    port: i32,
    source_group: &str,
    tags: &Tags,
) -> Result<SecurityGroup> {
    let out = ec2
        .create_security_group()
        .group_name(name)
        .description("prod-e service: container port from the load balancer only")
        .vpc_id(vpc_id)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(tags::ec2::list(tags)))
                .build(),
        )
        .send()
        .await
        .doing(format!("creating security group ({name})"))?;
    let group = SecurityGroup {
        id: required(out.group_id(), SecurityGroup::KIND, "GroupId")?,
        name: name.to_string(),
        vpc_id: vpc_id.to_string(),
        tags: tags.clone(),
        ingress: Vec::new(),
        // A new group's one outbound rule (EC2 User Guide, "Security group rules": a group
        // you create allows all outbound traffic).
        egress: vec![Egress::of(&Rule::all_traffic())],
    };
    allow_new(ec2, &group, port, source_group).await?;
    Ok(SecurityGroup {
        ingress: vec![(port, source_group.to_string())],
        ..group
    })
}

/// Allows TCP `port` from `source_group`; a rule that already exists counts as allowed.
pub async fn allow(
    ec2: &Client,
    group: &SecurityGroup,
    port: i32,
    source_group: &str,
) -> Result<()> {
    let added = ec2
        .authorize_security_group_ingress()
        .group_id(&group.id)
        .ip_permissions(super::egress::tcp_with_group(port, source_group))
        .send()
        .await
        .done(format!(
            "allowing {source_group} into security group ({})",
            group.name
        ));
    match added {
        Err(e) if is_already_exists(&e) => Ok(()),
        other => other,
    }
}

/// [`allow`] on a group created a moment ago, which may not be visible yet (EC2 eventual
/// consistency: `InvalidGroup.NotFound`, retried within [`NEW_RESOURCE_VISIBLE`]).
pub async fn allow_new(
    ec2: &Client,
    group: &SecurityGroup,
    port: i32,
    source_group: &str,
) -> Result<()> {
    retry(NEW_RESOURCE_VISIBLE, is_group_not_yet_visible, || {
        allow(ec2, group, port, source_group)
    })
    .await
}

/// Removes the rule allowing TCP `port` from `source_group`; a missing rule counts as removed.
pub async fn revoke(
    ec2: &Client,
    group: &SecurityGroup,
    port: i32,
    source_group: &str,
) -> Result<()> {
    let removed = ec2
        .revoke_security_group_ingress()
        .group_id(&group.id)
        .ip_permissions(super::egress::tcp_with_group(port, source_group))
        .send()
        .await;
    gone(removed.done(format!(
        "revoking {source_group} from security group ({})",
        group.name
    )))
}

/// Waits until no network interface uses the group: Fargate releases task ENIs minutes after
/// the service is gone, and until then the group cannot be deleted.
pub async fn wait_unused(ec2: &Client, group: &SecurityGroup) -> Result<()> {
    let waiting_for = format!(
        "the task network interfaces to release security group ({})",
        group.name
    );
    wait(&waiting_for, || async {
        let out = ec2
            .describe_network_interfaces()
            .filters(Filter::builder().name("group-id").values(&group.id).build())
            .send()
            .await
            .doing(format!("listing network interfaces of ({})", group.id))?;
        Ok(out.network_interfaces().is_empty().then_some(()))
    })
    .await
}

/// Deletes the group, retrying (bounded) while AWS still reports it in use. A group gone by
/// then (another removal of the same set, CloudFormation's Delete beside the Create it gave up
/// on, deleted it meanwhile) counts as deleted, read just before: IAM judges a delete of a
/// group that no longer carries the ownership tag as not allowed.
pub async fn delete(ec2: &Client, group: &SecurityGroup) -> Result<()> {
    if find_id(ec2, &group.id).await?.is_none() {
        return Ok(());
    }
    retry(SECURITY_GROUP_IN_USE, is_dependency_violation, || async {
        let deleted = ec2.delete_security_group().group_id(&group.id).send().await;
        gone(deleted.done(format!("deleting security group ({})", group.name)))
    })
    .await
}

/// Every security group carrying the tag `key`, in `vpc_id` if given, else in any VPC.
pub async fn list_tagged(
    ec2: &Client,
    vpc_id: Option<&str>,
    key: &str,
) -> Result<Vec<SecurityGroup>> {
    let doing = format!("listing security groups tagged {key}");
    described(ec2, (filter("tag-key", [key]), vpc_id), &doing).await
}
