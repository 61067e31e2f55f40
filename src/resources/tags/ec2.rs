//! EC2 tags (security groups): CreateTags / DeleteTags by resource id.

use aws_sdk_ec2::types::Tag;
use aws_sdk_ec2::Client;

tag_conversions!(Tag);

tag_update!(
    "EC2 resource",
    (create_tags, delete_tags, resources),
    |set, doing| list(&set),
    set_tags(|remove| remove
        .iter()
        .map(|k| Tag::builder().key(k).build())
        .collect())
);
