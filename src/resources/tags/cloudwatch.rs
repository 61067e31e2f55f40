//! CloudWatch tags (alarms): TagResource / UntagResource by ARN, and the conversions.

use aws_sdk_cloudwatch::Client;

tag_conversions!(aws_sdk_cloudwatch::types::Tag);

tag_update!(
    "alarm",
    (tag_resource, untag_resource, resource_arn),
    |set, doing| list(&set),
    set_tag_keys(|remove| remove)
);
