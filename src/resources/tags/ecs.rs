//! ECS tags (clusters, services, task definitions): TagResource / UntagResource by ARN.

use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

use crate::error::{Error, Result};
use crate::naming::Tags;

tag_conversions!(Tag);

/// Changes the tags of the ECS resource `arn` from `old` to `new`.
pub async fn update(ecs: &Client, arn: &str, old: &Tags, new: &Tags) -> Result<()> {
    let doing = format!("tagging ECS resource ({arn})");
    let (set, remove) = super::changes(old, new);
    if !set.is_empty() {
        ecs.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(list(&set)))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
    }
    if !remove.is_empty() {
        ecs.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| Error::aws(&doing, e))?;
    }
    Ok(())
}
