//! The ECS cluster.

use aws_sdk_ecs::types::ClusterField;
use aws_sdk_ecs::Client;

use super::gone;
use super::tags;
use super::{required, Tagged};
use crate::error::{is_cluster_busy, Error, Result};
use crate::naming::Tags;
use crate::retry::{retry, CLUSTER_BUSY};

#[derive(Debug, Clone, PartialEq)]
/// An ECS cluster as found or created.
pub struct Cluster {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(Cluster, "ECS cluster", name);

/// The ACTIVE cluster of that name; an INACTIVE (deleted) one counts as absent.
pub async fn find(ecs: &Client, name: &str) -> Result<Option<Cluster>> {
    let out = ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .send()
        .await
        .map_err(|e| Error::aws(format!("reading ECS cluster ({name})"), e))?;
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
    })
}

/// Creates it with `tags`; errors are AWS's (an "already exists" is adopted by the caller).
pub async fn create(ecs: &Client, name: &str, tags: &Tags) -> Result<Cluster> {
    let out = ecs
        .create_cluster()
        .cluster_name(name)
        .set_tags(Some(tags::ecs::list(tags)))
        .send()
        .await
        .map_err(|e| Error::aws(format!("creating ECS cluster ({name})"), e))?;
    let arn = out.cluster().and_then(|c| c.cluster_arn());
    Ok(Cluster {
        name: name.to_string(),
        arn: required(arn, Cluster::KIND, "clusterArn")?,
        tags: tags.clone(),
    })
}

/// Deletes the cluster, waiting (bounded) while services or tasks drain out of it.
pub async fn delete(ecs: &Client, name: &str) -> Result<()> {
    retry(CLUSTER_BUSY, is_cluster_busy, || async {
        let deleted = ecs.delete_cluster().cluster(name).send().await;
        gone(
            deleted
                .map(|_| ())
                .map_err(|e| Error::aws(format!("deleting ECS cluster ({name})"), e)),
        )
    })
    .await
}

/// Every ACTIVE cluster in the region, with its tags.
pub async fn list(ecs: &Client) -> Result<Vec<Cluster>> {
    let doing = "listing ECS clusters";
    let arns = ecs
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let arns = arns.map_err(|e| Error::aws(doing, e))?;
    let mut clusters = Vec::new();
    for batch in arns.chunks(100) {
        let out = ecs
            .describe_clusters()
            .set_clusters(Some(batch.to_vec()))
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(|e| Error::aws(doing, e))?;
        clusters.extend(actives(out.clusters())?);
    }
    Ok(clusters)
}
