//! ECS tags (clusters, services, task definitions): TagResource / UntagResource by ARN.

use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;

tag_conversions!(Tag);

tag_by_arn!("ECS resource", list);
