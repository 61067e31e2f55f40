//! CloudWatch Logs tags (log groups): TagResource / UntagResource / ListTagsForResource by
//! ARN.

use aws_sdk_cloudwatchlogs::Client;

tag_update!(
    "log group",
    (tag_resource, untag_resource, resource_arn),
    |set, doing| set.clone().into_iter().collect(),
    set_tag_keys(|remove| remove)
);

tags_as_map!("log group");
