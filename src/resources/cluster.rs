//! The ECS cluster.

use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ClusterField, ClusterSetting, ClusterSettingName,
};
use aws_sdk_ecs::Client;

use super::gone;
use super::tags;
use super::{required, Tagged};
use crate::error::{is_cluster_not_ready, Doing, Error, Every, Result};
use crate::naming::Tags;
use crate::resources::settings::Setting;
use crate::retry::{poll_until, retry, CAPACITY_PROVIDERS_SHOWN, CLUSTER_NOT_READY};
use crate::spec::Spec;

/// The cluster `spec` asks for, as [`find`] reads one (its ARN, tags and providers empty).
pub fn expand(spec: &Spec) -> Cluster {
    Cluster {
        name: spec.cluster_name.clone(),
        container_insights: spec.container_insights.clone(),
        ..Cluster::default()
    }
}

/// Every property the cluster carries, by its flatten (without `ContainerInsights` the
/// account's default stays, as good as any; a cluster may report none).
pub const SETTINGS: &[Setting<Cluster>] = &[Setting::reported("ContainerInsights", |c| {
    c.container_insights.clone()
})];

#[derive(Debug, Clone, PartialEq, Default)]
/// An ECS cluster as found or created.
pub struct Cluster {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
    /// The capacity providers associated with it.
    pub capacity_providers: Vec<String>,
    /// Its default capacity provider strategy (kept as it is when providers are added).
    pub default_strategy: Vec<CapacityProviderStrategyItem>,
    /// Its `containerInsights` setting (`disabled`, `enabled`, `enhanced`), if it reports one.
    pub container_insights: Option<String>,
}

tagged!(Cluster, "ECS cluster", name);

/// The ACTIVE cluster of that name; an INACTIVE (deleted) one counts as absent.
pub async fn find(ecs: &Client, name: &str) -> Result<Option<Cluster>> {
    let out = ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .doing(format!("reading ECS cluster ({name})"))?;
    Ok(actives(out.clusters())?.pop())
}

/// The ACTIVE ones of `clusters` (a deleted cluster is INACTIVE).
fn actives(clusters: &[aws_sdk_ecs::types::Cluster]) -> Result<Vec<Cluster>> {
    clusters
        .iter()
        .filter(|c| c.status() == Some("ACTIVE"))
        .map(from_sdk)
        .collect()
}

fn from_sdk(c: &aws_sdk_ecs::types::Cluster) -> Result<Cluster> {
    Ok(Cluster {
        name: required(c.cluster_name(), Cluster::KIND, "clusterName")?,
        arn: required(c.cluster_arn(), Cluster::KIND, "clusterArn")?,
        tags: tags::ecs::read(c.tags()),
        capacity_providers: c.capacity_providers().to_vec(),
        default_strategy: c.default_capacity_provider_strategy().to_vec(),
        container_insights: c
            .settings()
            .iter()
            .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
            .and_then(|s| s.value().map(str::to_string)),
    })
}

/// The `containerInsights` cluster setting with `value`.
fn insights(value: &str) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(value)
        .build()
}

/// Creates it with `tags` and, if given, Container Insights `container_insights`; errors are
/// AWS's (an "already exists" is adopted by the caller).
pub async fn create(
    ecs: &Client,
    name: &str,
    tags: &Tags,
    container_insights: Option<&str>,
) -> Result<Cluster> {
    let out = ecs
        .create_cluster()
        .cluster_name(name)
        .set_settings(container_insights.map(|v| vec![insights(v)]))
        .set_tags(Some(tags::ecs::list(tags)))
        .send()
        .await
        .doing(format!("creating ECS cluster ({name})"))?;
    let Some(created) = out.cluster() else {
        return Err(Error::Incomplete {
            kind: Cluster::KIND,
            field: "cluster",
        });
    };
    // What ECS answers: CreateCluster of an existing name returns that cluster unchanged.
    Ok(Cluster {
        tags: tags.clone(),
        ..from_sdk(created)?
    })
}

/// Sets the cluster's Container Insights to `value` (UpdateCluster with `settings`, which
/// does what UpdateClusterSettings does: ECS API Reference, UpdateCluster).
pub async fn set_container_insights(ecs: &Client, name: &str, value: &str) -> Result<()> {
    ecs.update_cluster()
        .cluster(name)
        .settings(insights(value))
        .send()
        .await
        .done(format!(
            "setting Container Insights of ECS cluster ({name})"
        ))
}

/// Associates `providers` with the cluster `name` beside those it has, keeping its default
/// strategy, and returns once DescribeClusters shows them all. PutClusterCapacityProviders
/// replaces the whole list ("Any existing capacity providers … omitted … will be
/// disassociated", ECS API Reference), so each round reads the cluster's current list first
/// and puts it back with ours added: a sibling set of the same stack resource (the only other
/// user of a cluster: another stack's is refused, [`super::claim`]) adding its own provider at
/// the same time overwrites ours at worst, and the next round sees that and puts ours again
/// ([`CAPACITY_PROVIDERS_SHOWN`] rounds). A strategy may only name providers associated with
/// the cluster (ECS: "The specified capacity provider strategy cannot contain a capacity
/// provider that is not associated with the cluster", dask/dask-cloudprovider#328). The
/// transient refusals right after CreateCluster or during another change are retried
/// ([`is_cluster_not_ready`], [`CLUSTER_NOT_READY`]). No provider is ever removed.
pub async fn add_capacity_providers(ecs: &Client, name: &str, providers: &[String]) -> Result<()> {
    let doing = format!("adding capacity providers to ECS cluster ({name})");
    poll_until(CAPACITY_PROVIDERS_SHOWN, &doing, || async {
        let Some(cluster) = find(ecs, name).await? else {
            return Err(Error::Missing {
                kind: Cluster::KIND,
                name: name.to_string(),
            });
        };
        let missing = providers
            .iter()
            .filter(|p| !cluster.capacity_providers.contains(p));
        let mut all = cluster.capacity_providers.clone();
        all.extend(missing.cloned());
        if all.len() == cluster.capacity_providers.len() {
            return Ok(Some(()));
        }
        retry(CLUSTER_NOT_READY, is_cluster_not_ready, || {
            put_capacity_providers(ecs, &cluster, all.clone())
        })
        .await?;
        Ok(None)
    })
    .await
}

/// One PutClusterCapacityProviders with exactly `all`, keeping the default strategy.
async fn put_capacity_providers(ecs: &Client, cluster: &Cluster, all: Vec<String>) -> Result<()> {
    ecs.put_cluster_capacity_providers()
        .cluster(&cluster.name)
        .set_capacity_providers(Some(all))
        .set_default_capacity_provider_strategy(Some(cluster.default_strategy.clone()))
        .send()
        .await
        .done(format!(
            "adding capacity providers to ECS cluster ({})",
            cluster.name
        ))
}

/// One DeleteCluster, without waiting: a cluster already gone counts as deleted; one that
/// still holds services or tasks is refused (`is_cluster_busy`; the caller's rounds,
/// `CLUSTER_BUSY`, wait while they drain out).
pub async fn delete(ecs: &Client, name: &str) -> Result<()> {
    let deleted = ecs.delete_cluster().cluster(name).send().await;
    gone(deleted.done(format!("deleting ECS cluster ({name})")))
}

/// Every ACTIVE cluster in the region, with its tags.
pub async fn list(ecs: &Client) -> Result<Vec<Cluster>> {
    let doing = "listing ECS clusters";
    let arns = ecs
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .every(doing)
        .await?;
    let mut clusters = Vec::new();
    for batch in arns.chunks(100) {
        let out = ecs
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .include(ClusterField::Tags)
            .send()
            .await
            .doing(doing)?;
        clusters.extend(actives(out.clusters())?);
    }
    Ok(clusters)
}
