//! Application Auto Scaling tags (scalable targets): TagResource / UntagResource /
//! ListTagsForResource by ARN.

use aws_sdk_applicationautoscaling::Client;

tag_update!(
    "scalable target",
    (tag_resource, untag_resource, resource_arn),
    |set, doing| set.clone().into_iter().collect(),
    set_tag_keys(|remove| remove)
);

tags_as_map!("scalable target");
