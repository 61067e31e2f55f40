//! CloudWatch tags (alarms): TagResource / UntagResource by ARN, and the conversions.

use aws_sdk_cloudwatch::Client;

tag_conversions!(aws_sdk_cloudwatch::types::Tag);

tag_by_arn!("alarm", list);
