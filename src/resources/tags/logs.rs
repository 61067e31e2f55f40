//! CloudWatch Logs tags (log groups): TagResource / UntagResource by ARN.

use aws_sdk_cloudwatchlogs::Client;

use crate::naming::Tags;

tag_by_arn!("log group", |t: &Tags| t.clone().into_iter().collect());
