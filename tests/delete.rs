//! Delete: nothing of ours is left, nothing foreign is touched, unknown ids are a no-op.

use aws_sdk_ecs::types::Tag;
use serde_json::json;

use crate::inspect;
use crate::support::{unique, Harness, Stack};

#[tokio::test]
async fn delete_removes_everything_it_created() {
    let h = Harness::new().await;
    let stack = Stack::new("delete");
    let props = h.properties(json!({"ClusterName": format!("del-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    let deleted = h.invoke(stack.delete(&id, &props)).await;
    deleted.assert_success();
    assert_eq!(deleted.physical_id(), id);
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
    let td = inspect::task_definition(&h.clients, &created.data("TaskDefinitionArn")).await;
    assert_eq!(td.status, "INACTIVE");
    // A second Delete (CloudFormation retries) finds nothing and succeeds.
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

#[tokio::test]
async fn delete_works_when_the_properties_became_invalid() {
    let h = Harness::new().await;
    let stack = Stack::new("delete-invalid");
    let cluster = format!("delinv-{}", unique());
    let props = h.properties(json!({"ClusterName": cluster}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let mut broken = props.clone();
    broken["Cpu"] = json!("lots");
    broken["Bogus"] = json!(true);
    broken["VpcId"] = json!(17);
    h.invoke(stack.delete(&created.physical_id(), &broken))
        .await
        .assert_success();
    crate::emulator::assert_nothing_left(&h, &created.physical_id(), &props).await;
}

#[tokio::test]
async fn a_foreign_cluster_with_our_name_survives_create_and_rollback() {
    let h = Harness::new().await;
    let c = &h.clients;
    // The default name, as a user's own cluster without our tags.
    let existing = c
        .ecs
        .create_cluster()
        .cluster_name("prod-e-cluster")
        .tags(Tag::builder().key("owner").value("someone-else").build())
        .send()
        .await
        .expect("create foreign cluster");
    let foreign_arn = existing
        .cluster()
        .and_then(|c| c.cluster_arn())
        .expect("arn")
        .to_string();
    let stack = Stack::new("foreign");
    let props = h.properties(json!({}));
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED");
    assert!(
        out.reason().contains(
            "ECS cluster prod-e-cluster already exists and is not owned by this resource"
        ),
        "{}",
        out.reason()
    );
    assert!(
        out.reason()
            .contains("everything created was removed again"),
        "{}",
        out.reason()
    );
    let failed_id = out.physical_id();
    assert!(
        prod_e::naming::Deployment::parse(&failed_id).is_none(),
        "{failed_id}"
    );
    // What the failed Create made besides is gone again.
    crate::emulator::assert_nothing_left(&h, stack.deployment(&props).physical_id(), &props).await;
    // CloudFormation's rollback Delete of the failed resource.
    h.invoke(stack.delete(&failed_id, &props))
        .await
        .assert_success();
    let (status, arn, tags) = inspect::cluster(c, "prod-e-cluster").await;
    assert_eq!(
        (status.as_str(), arn.as_str()),
        ("ACTIVE", foreign_arn.as_str())
    );
    assert_eq!(tags.get("owner").map(String::as_str), Some("someone-else"));
    c.ecs
        .delete_cluster()
        .cluster("prod-e-cluster")
        .send()
        .await
        .expect("clean up foreign cluster");
}

#[tokio::test]
async fn made_up_and_foreign_ids_touch_nothing() {
    let h = Harness::new().await;
    let stack = Stack::new("live");
    let props = h.properties(json!({"ClusterName": format!("live-{}", unique())}));
    let live = h.invoke(stack.create(&props)).await;
    live.assert_success();
    let other = Stack::new("other");
    for id in ["made-up", "prod-e-0000000000", live.physical_id().as_str()] {
        let out = h.invoke(other.delete(id, &props)).await;
        out.assert_success();
        assert_eq!(out.physical_id(), id);
    }
    let inv = inspect::everything(&h.clients, &live.physical_id(), &props).await;
    assert!(
        inv.service.is_some()
            && inv.cluster.is_some()
            && inv.listener_rule.is_some()
            && inv.execution_role.is_some()
    );
}
