//! Application Auto Scaling tags (scalable targets): TagResource / UntagResource by ARN.

use aws_sdk_applicationautoscaling::Client;

use crate::naming::Tags;

tag_by_arn!("scalable target", |t: &Tags| t
    .clone()
    .into_iter()
    .collect());
