//! ECS tags (clusters, services, task definitions): TagResource / UntagResource by ARN.

use crate::error::Doing;
use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

tag_conversions!(Tag);

tag_update!(
    "ECS resource",
    (tag_resource, untag_resource, resource_arn),
    |set, doing| list(&set),
    set_tag_keys(|remove| remove)
);

/// The tags of the ECS resource `arn` (ListTagsForResource); none if it is gone.
pub async fn of(client: &Client, arn: &str) -> crate::error::Result<crate::naming::Tags> {
    let listed = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    let listed = listed.doing(format!("reading tags of ({arn})"));
    Ok(super::super::found(listed)?.map_or_else(Default::default, |out| read(out.tags())))
}
