//! The container's CloudWatch log group, created explicitly so that teardown removes it.

use aws_sdk_cloudwatchlogs::Client;

use super::{gone, required, Tagged};
use crate::error::{Error, Result};
use crate::naming::Tags;

#[derive(Debug, Clone, PartialEq)]
/// A log group as found.
pub struct LogGroup {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its retention in days (`None`: never expires).
    pub retention_days: Option<i32>,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(LogGroup, "log group", name);

/// The resource called `name` if it exists (`None`, not an error, if it does not).
pub async fn find(logs: &Client, name: &str) -> Result<Option<LogGroup>> {
    let out = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| Error::aws(format!("reading log group ({name})"), e))?;
    match out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    {
        Some(group) => Ok(Some(with_tags(logs, group).await?)),
        None => Ok(None),
    }
}

/// A described group with its tags (DescribeLogGroups carries none).
async fn with_tags(
    logs: &Client,
    group: &aws_sdk_cloudwatchlogs::types::LogGroup,
) -> Result<LogGroup> {
    let name = required(group.log_group_name(), LogGroup::KIND, "logGroupName")?;
    let arn = required(group.log_group_arn(), LogGroup::KIND, "logGroupArn")?;
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| Error::aws(format!("reading tags of log group ({name})"), e))?;
    Ok(LogGroup {
        tags: tags
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        retention_days: group.retention_in_days(),
        name,
        arn,
    })
}

/// Creates the group with its retention. CreateLogGroup returns nothing to read.
pub async fn create(logs: &Client, name: &str, retention_days: i32, tags: &Tags) -> Result<()> {
    logs.create_log_group()
        .log_group_name(name)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| Error::aws(format!("creating log group ({name})"), e))?;
    set_retention(logs, name, retention_days).await
}

/// Sets the retention to `days` (one of CloudWatch Logs' values).
pub async fn set_retention(logs: &Client, name: &str, days: i32) -> Result<()> {
    logs.put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| Error::aws(format!("setting retention of log group ({name})"), e))
}

/// Deletes it; what is already gone counts as deleted.
pub async fn delete(logs: &Client, name: &str) -> Result<()> {
    let deleted = logs.delete_log_group().log_group_name(name).send().await;
    gone(
        deleted
            .map(|_| ())
            .map_err(|e| Error::aws(format!("deleting log group ({name})"), e)),
    )
}

/// Every log group whose name starts with `prefix`, with its tags.
pub async fn list(logs: &Client, prefix: &str) -> Result<Vec<LogGroup>> {
    let listed = logs
        .describe_log_groups()
        .log_group_name_prefix(prefix)
        .into_paginator()
        .items()
        .send();
    let listed = listed
        .try_collect()
        .await
        .map_err(|e| Error::aws(format!("listing log groups ({prefix}*)"), e))?;
    let mut groups = Vec::with_capacity(listed.len());
    for group in &listed {
        groups.push(with_tags(logs, group).await?);
    }
    Ok(groups)
}
