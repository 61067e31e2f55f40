//! Finding deployments by their ownership tags, for when the properties are not at hand
//! (the operator CLI): which deployments exist, and where one's resources are.

use std::collections::BTreeMap;

use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::{name_prefix, Deployment, LOGICAL_TAG, OWNER_TAG, STACK_TAG};
use crate::resources::{
    cluster, listener_rule, load_balancer, log_group, role, security_group, service, target_group,
    Tagged,
};
use crate::spec::schema::{CLUSTER_NAME, SERVICE_NAME, TASK_FAMILY};
use crate::spec::{default_text, Locator};

/// A deployment seen through the tags of its resources.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Found {
    /// Its PhysicalResourceId.
    pub physical_id: String,
    /// The stack it belongs to (from its tags).
    pub stack_id: String,
    /// The logical id of its stack resource (from its tags).
    pub logical_id: String,
    /// Which kinds of resource were seen, e.g. "IAM role", "ECS cluster".
    pub resources: Vec<String>,
}

/// Every deployment with at least one tagged resource in this account and region.
pub async fn deployments(c: &Clients) -> Result<Vec<Found>> {
    let log_groups = format!("/ecs/{}", name_prefix());
    let (roles, groups, clusters, targets, logs) = tokio::join!(
        role::list(&c.iam, (name_prefix(), "")),
        security_group::list_tagged(&c.ec2, None, OWNER_TAG),
        cluster::list(&c.ecs),
        target_group::list(&c.elb, name_prefix()),
        log_group::list(&c.logs, &log_groups),
    )
    .all_ok()?;
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    add(&mut found, roles);
    add(&mut found, groups);
    add(&mut found, clusters);
    add(&mut found, targets);
    add(&mut found, logs);
    Ok(found.into_values().collect())
}

/// Files each tagged resource under the deployment its ownership tag names.
fn add<T: Tagged>(found: &mut BTreeMap<String, Found>, resources: Vec<T>) {
    for r in resources {
        let tags = r.tags();
        let Some(id) = tags.get(OWNER_TAG) else {
            continue;
        };
        let entry = found.entry(id.clone()).or_insert_with(|| Found {
            physical_id: id.clone(),
            stack_id: tags.get(STACK_TAG).cloned().unwrap_or_default(),
            logical_id: tags.get(LOGICAL_TAG).cloned().unwrap_or_default(),
            resources: Vec::new(),
        });
        entry.resources.push(format!("{} {}", T::KIND, r.label()));
    }
}

/// Where `d`'s resources are: its cluster, service, task family, listener and VPC, read from
/// the tagged resources themselves. What cannot be found falls back to the defaults.
pub async fn locate(c: &Clients, d: &Deployment) -> Result<Locator> {
    let (tg_name, ids) = (d.target_group(), [d.physical_id()]);
    let (clusters, groups, target) = tokio::join!(
        cluster::list(&c.ecs),
        security_group::find_owned(&c.ec2, None, (OWNER_TAG, &ids)),
        target_group::find(&c.elb, &tg_name),
    );
    let cluster_name = clusters?
        .into_iter()
        .find(|cl| d.owns(&cl.tags))
        .map(|cl| cl.name);
    let svc = match &cluster_name {
        Some(name) => service::list(&c.ecs, name)
            .await?
            .into_iter()
            .find(|s| d.owns(&s.tags)),
        None => None,
    };
    let group = groups?.into_iter().find(|g| d.owns(&g.tags));
    // The load balancer's group is the one the tasks' group admits.
    let source = group
        .as_ref()
        .and_then(|g| g.ingress.first().map(|(_, s)| s.clone()));
    let vpc_id = group.map(|g| g.vpc_id);
    let mut listener_arn = None;
    if let Some(tg) = target?.filter(|t| d.owns(&t.tags)) {
        'search: for lb in &tg.load_balancer_arns {
            for listener in load_balancer::listeners(&c.elb, lb).await? {
                let rule = listener_rule::find(&c.elb, &listener.arn, d).await?;
                if rule.is_some_and(|r| d.owns(&r.tags)) {
                    listener_arn = Some(listener.arn);
                    break 'search;
                }
            }
        }
    }
    let family = svc.as_ref().and_then(|s| {
        let tail = s.task_definition.rsplit('/').next()?;
        tail.rsplit_once(':').map(|(family, _)| family.to_string())
    });
    Ok(Locator {
        cluster_name: cluster_name.unwrap_or_else(|| default_text(&CLUSTER_NAME).to_string()),
        service_name: svc.map_or_else(|| default_text(&SERVICE_NAME).to_string(), |s| s.name),
        task_family: family.unwrap_or_else(|| default_text(&TASK_FAMILY).to_string()),
        listener_arn,
        vpc_id,
        load_balancer_security_group_id: source,
    })
}
