//! Invalid properties: FAILED naming every bad one, and nothing created.

use serde_json::{json, Value};

use crate::inspect;
use crate::support::{Harness, Stack};

#[tokio::test]
async fn invalid_properties_fail_naming_each_and_create_nothing() {
    let h = Harness::new().await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"Cpu": 256, "Memory": 4096}),
            vec!["Cpu/Memory: Cpu 256 allows Memory 512, 1024 or 2048, not 4096"],
        ),
        (
            json!({"RulePriority": 0, "ContainerPort": 70000}),
            vec![
                "ContainerPort: 70000 is out of range",
                "RulePriority: 0 is out of range",
            ],
        ),
        (
            json!({"SubnetIds": []}),
            vec!["SubnetIds: must list at least one subnet"],
        ),
        (
            json!({"Colour": "blue", "DesiredCount": "two"}),
            vec![
                "Colour: unknown property",
                "DesiredCount: must be a whole number",
            ],
        ),
        (
            json!({"LogRetentionDays": 4}),
            vec!["LogRetentionDays: 4 is not one of"],
        ),
        (
            json!({"Tags": {"aws:x": "1"}}),
            vec!["Tags: tag key \"aws:x\" uses the reserved prefix"],
        ),
        (
            json!({"AssignPublicIp": "yes", "HealthCheckPath": "health"}),
            vec!["AssignPublicIp: must be true or false", "HealthCheckPath:"],
        ),
    ];
    for (extra, wanted) in cases {
        let stack = Stack::new("invalid");
        let props = h.properties(extra.clone());
        let out = h.invoke(stack.create(&props)).await;
        assert_eq!(out.status(), "FAILED", "{extra}");
        for want in wanted {
            assert!(
                out.reason().contains(want),
                "{extra}: {:?} lacks {want:?}",
                out.reason()
            );
        }
        let would_be = prod_e::naming::Deployment::for_resource(&stack.id, &stack.logical_id);
        inspect::assert_nothing_left(&h.clients, would_be.physical_id(), &props).await;
        // The rollback Delete of the failed resource succeeds and touches nothing.
        h.invoke(stack.delete(&out.physical_id(), &props))
            .await
            .assert_success();
    }
}

#[tokio::test]
async fn missing_required_properties_are_all_named() {
    let h = Harness::new().await;
    let stack = Stack::new("missing");
    let out = h
        .invoke(stack.create(&json!({"ServiceToken": "arn:aws:lambda:us-east-1:1:function:x"})))
        .await;
    assert_eq!(out.status(), "FAILED");
    for p in [
        "VpcId: is required",
        "SubnetIds: is required",
        "ListenerArn: is required",
        "LoadBalancerSecurityGroupId: is required",
    ] {
        assert!(out.reason().contains(p), "{}", out.reason());
    }
}
