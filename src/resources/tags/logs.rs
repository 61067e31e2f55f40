//! CloudWatch Logs tags (log groups): TagResource / UntagResource by ARN.

use aws_sdk_cloudwatchlogs::Client;

use crate::error::{Error, Result};
use crate::naming::Tags;

/// Changes the tags of the log group `arn` from `old` to `new`.
pub async fn update(logs: &Client, arn: &str, old: &Tags, new: &Tags) -> Result<()> {
    let doing = format!("tagging log group ({arn})");
    let (set, remove) = super::changes(old, new);
    if !set.is_empty() {
        logs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set.into_iter().collect()))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
    }
    if !remove.is_empty() {
        logs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
    }
    Ok(())
}
