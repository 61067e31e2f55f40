//! The container's CloudWatch log group, created explicitly so that teardown removes it.

use aws_sdk_cloudwatchlogs::Client;

use super::{gone, required, Tagged};
use crate::error::{Doing, Every, Result};
use crate::naming::Tags;
use crate::resources::settings::Setting;
use crate::spec::Spec;

/// The log group `spec` asks for, as [`find`] reads one (its name and ARN empty).
pub fn expand(spec: &Spec) -> LogGroup {
    LogGroup {
        retention_days: Some(spec.log_retention_days),
        ..LogGroup::default()
    }
}

/// Every property the log group carries, by its flatten.
pub const SETTINGS: &[Setting<LogGroup>] = &[Setting::new("LogRetentionDays", |g| {
    g.retention_days.map_or("none".into(), |d| d.to_string())
})];

#[derive(Debug, Clone, PartialEq, Default)]
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
        .doing(format!("reading log group ({name})"))?;
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
    Ok(LogGroup {
        tags: super::tags::logs::of(logs, &arn).await?,
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
        .doing(format!("creating log group ({name})"))?;
    set_retention(logs, name, retention_days).await
}

/// Sets the retention to `days` (one of CloudWatch Logs' values).
pub async fn set_retention(logs: &Client, name: &str, days: i32) -> Result<()> {
    logs.put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .done(format!("setting retention of log group ({name})"))
}

/// Deletes it; what is already gone counts as deleted.
pub async fn delete(logs: &Client, name: &str) -> Result<()> {
    let deleted = logs.delete_log_group().log_group_name(name).send().await;
    gone(deleted.done(format!("deleting log group ({name})")))
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
        .every(format!("listing log groups ({prefix}*)"))
        .await?;
    let mut groups = Vec::with_capacity(listed.len());
    for group in &listed {
        groups.push(with_tags(logs, group).await?);
    }
    Ok(groups)
}

/// One event of a log group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    /// When it happened, milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// Its log stream (`ecs/<container>/<task id>` with ECS's awslogs driver).
    pub stream: String,
    /// The line.
    pub message: String,
    /// CloudWatch Logs' id of the event (unique within the group).
    pub id: String,
}

/// Pages one [`events`] call reads at most (FilterLogEvents answers up to 10,000 events or
/// 1 MB per page: CloudWatch Logs API Reference, FilterLogEvents).
pub const EVENT_PAGES: usize = 10;

/// The events of group `name` at or after `start` (ms since the epoch), oldest first, and
/// whether there were more than [`EVENT_PAGES`] pages of them (the newest are then missing).
pub async fn events(logs: &Client, name: &str, start: i64) -> Result<(Vec<Event>, bool)> {
    let mut pages = logs
        .filter_log_events()
        .log_group_name(name)
        .start_time(start)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    for _ in 0..EVENT_PAGES {
        let Some(page) = pages.next().await else {
            out.sort_by_key(|e: &Event| e.timestamp);
            return Ok((out, false));
        };
        let page = page.doing(format!("reading events of log group ({name})"))?;
        out.extend(page.events().iter().map(|e| Event {
            timestamp: e.timestamp().unwrap_or_default(),
            stream: e.log_stream_name().unwrap_or_default().to_string(),
            message: e.message().unwrap_or_default().trim_end().to_string(),
            id: e.event_id().unwrap_or_default().to_string(),
        }));
    }
    out.sort_by_key(|e| e.timestamp);
    Ok((out, pages.next().await.is_some()))
}

/// Events one [`stream_lines`] call reads at most (GetLogEvents answers up to 10,000: CloudWatch
/// Logs API Reference, GetLogEvents `limit`).
pub const STREAM_LINES: i32 = 100;

/// The first [`STREAM_LINES`] lines of stream `stream` in group `group`, oldest first.
pub async fn stream_lines(logs: &Client, group: &str, stream: &str) -> Result<Vec<String>> {
    let out = logs
        .get_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .start_from_head(true)
        .limit(STREAM_LINES)
        .send()
        .await
        .doing(format!(
            "reading log stream ({stream}) of log group ({group})"
        ))?;
    let lines = out.events().iter().filter_map(|e| e.message());
    Ok(lines.map(|m| m.trim_end().to_string()).collect())
}
