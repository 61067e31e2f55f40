//! The ECS cluster.

use aws_sdk_ecs::types::ClusterField;
use aws_sdk_ecs::Client;

use super::gone;
use super::tags;
use crate::error::{is_cluster_busy, Error, Result};
use crate::naming::Tags;
use crate::retry::{retry, CLUSTER_BUSY};

#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub name: String,
    pub arn: String,
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
    Ok(out.clusters().iter().find_map(active))
}

/// The cluster, if it is ACTIVE (a deleted one is INACTIVE).
fn active(c: &aws_sdk_ecs::types::Cluster) -> Option<Cluster> {
    (c.status() == Some("ACTIVE")).then(|| Cluster {
        name: c.cluster_name().unwrap_or_default().to_string(),
        arn: c.cluster_arn().unwrap_or_default().to_string(),
        tags: tags::ecs::read(c.tags()),
    })
}

pub async fn create(ecs: &Client, name: &str, tags: &Tags) -> Result<Cluster> {
    let out = ecs
        .create_cluster()
        .cluster_name(name)
        .set_tags(Some(tags::ecs::list(tags)))
        .send()
        .await
        .map_err(|e| Error::aws(format!("creating ECS cluster ({name})"), e))?;
    Ok(Cluster {
        name: name.to_string(),
        arn: out
            .cluster()
            .and_then(|c| c.cluster_arn())
            .unwrap_or_default()
            .to_string(),
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
        clusters.extend(out.clusters().iter().filter_map(active));
    }
    Ok(clusters)
}
