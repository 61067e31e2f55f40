//! For unit tests: a whole set as the inventory finds it.

use super::Inventory;
use crate::naming::Tags;
use crate::resources::scaling::ScalableTarget;
use crate::resources::target_group::TargetGroup;
use crate::resources::task_definition::TaskDefinition;
use crate::resources::{cluster, listener_rule, log_group, role, security_group, service};

/// Every part of a set, each carrying `tags`.
pub fn whole_set(tags: &Tags) -> Inventory {
    let role = |name: &str| role::Role {
        name: name.into(),
        tags: tags.clone(),
        ..Default::default()
    };
    let group = |name: &str, id: &str| TargetGroup {
        name: name.into(),
        arn: format!("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/{name}/{id}"),
        tags: tags.clone(),
        ..Default::default()
    };
    Inventory {
        execution_role: Some(role("exec")),
        task_role: Some(role("task")),
        security_group: Some(security_group::SecurityGroup {
            id: "sg-1".into(),
            tags: tags.clone(),
            ..Default::default()
        }),
        log_group: Some(log_group::LogGroup {
            name: "/ecs/set".into(),
            tags: tags.clone(),
            ..Default::default()
        }),
        cluster: Some(cluster::Cluster {
            name: "prod-e-cluster".into(),
            tags: tags.clone(),
            ..Default::default()
        }),
        task_definitions: vec![TaskDefinition {
            arn: "arn:aws:ecs:us-east-1:1:task-definition/prod-e-task:1".into(),
            tags: tags.clone(),
        }],
        target_group: Some(group("tg", "1")),
        listener_rule: Some(rule("3", tags.clone())),
        test_listener_rules: vec![rule("4", listener_rule::test_tags(tags))],
        service: Some(service::Service {
            name: "prod-e-service".into(),
            status: "ACTIVE".into(),
            tags: tags.clone(),
            ..Default::default()
        }),
        scalable_target: Some(ScalableTarget {
            resource_id: "service/prod-e-cluster/prod-e-service".into(),
            arn: "arn:aws:application-autoscaling:us-east-1:1:scalable-target/1".into(),
            min_capacity: 1,
            max_capacity: 4,
            tags: tags.clone(),
        }),
        alarms: Vec::new(),
        alternate_target_group: Some(group("tga", "2")),
        traffic_role: Some(role("traffic")),
    }
}

/// A rule of the set's listener, ending in `id`, tagged `tags`.
fn rule(id: &str, tags: Tags) -> listener_rule::ListenerRule {
    listener_rule::ListenerRule {
        arn: format!("arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/alb/1/2/{id}"),
        tags,
        ..Default::default()
    }
}
