//! Delete's order: [`delete_found`] of a whole set against an in-memory AWS
//! ([`crate::fake_aws`]) goes rank by rank ([`crate::plan::PARTS`]), the target group after the
//! rule that forwarded to it, and writes nothing but removals.

use serde_json::json;

use super::delete_found;
use crate::fake_aws::FakeAws;
use crate::naming::{Tags, OWNER_TAG};
use crate::plan::{whole_set, Owner, Part};
use crate::spec::Locator;

/// The part an action of Delete removes; a write that removes nothing is a failure.
fn part_of(action: &str) -> Part {
    match action {
        "DeregisterScalableTarget" | "DeleteScalingPolicy" => Part::ScalableTarget,
        "UpdateService" | "DeleteService" => Part::Service,
        "DeleteRule" => Part::ListenerRule,
        "DeleteTargetGroup" => Part::TargetGroup,
        "DeregisterTaskDefinition" | "UntagResource" => Part::TaskDefinition,
        "DeleteRole" | "DeleteRolePolicy" | "DetachRolePolicy" => Part::TaskRole,
        "DeleteCluster" => Part::Cluster,
        "DeleteSecurityGroup" => Part::SecurityGroup,
        "DeleteLogGroup" => Part::LogGroup,
        other => panic!("Delete wrote {other}"),
    }
}

#[tokio::test]
async fn delete_goes_rank_by_rank_and_writes_only_removals() {
    let owner = Owner::new(
        "arn:aws:cloudformation:us-east-1:1:stack/s/1",
        "Svc",
        "0a1b2c3d",
    );
    let d = &owner.deployment;
    let tags = owner.tags(&Tags::new());
    // The revision's tags, as ECS reads them back: ours.
    let ours = json!({"tags": [{"key": OWNER_TAG, "value": d.physical_id()}]});
    // The tasks' group, still there when its delete reads it.
    let group = "<DescribeSecurityGroupsResponse><securityGroupInfo><item><groupId>sg-1</groupId>\
                 <groupName>set</groupName><vpcId>vpc-1</vpcId></item></securityGroupInfo>\
                 </DescribeSecurityGroupsResponse>";
    let aws = FakeAws::new(vec![
        ("ListTagsForResource", ours.to_string()),
        ("DescribeSecurityGroups", group.to_string()),
    ]);
    let at = Locator {
        cluster_name: "prod-e-cluster".into(),
        service_name: "prod-e-service".into(),
        task_family: "prod-e-task".into(),
        listener_arn: None,
        vpc_id: None,
        load_balancer_security_group_id: None,
    };
    let found = whole_set(&tags);
    delete_found(&aws.clients(), d, &at, found)
        .await
        .expect("deleted");
    let writes = aws.writes();
    let ranks: Vec<u8> = writes
        .iter()
        .map(|w| part_of(w).info().deletion_rank)
        .collect();
    assert!(ranks.is_sorted(), "out of rank order: {writes:?}");
    let at = |action: &str| writes.iter().position(|w| w == action);
    assert!(at("DeleteRule") < at("DeleteTargetGroup"), "{writes:?}");
    for removed in [
        "DeregisterScalableTarget",
        "DeleteService",
        "DeleteRule",
        "DeregisterTaskDefinition",
        "DeleteRole",
        "DeleteCluster",
        "DeleteSecurityGroup",
        "DeleteLogGroup",
    ] {
        assert!(at(removed).is_some(), "{removed} missing: {writes:?}");
    }
}
