//! The tasks' security groups (issue #25): `SecurityGroupIds` joined beside prod-e's own,
//! checked by preflight to exist in `VpcId`, changed in place, never deleted with the set.

use serde_json::json;

use crate::inspect;
use crate::support::{unique, Harness, Network, Stack};

/// A new security group in `vpc`: its id.
async fn group(h: &Harness, vpc: &str) -> String {
    let made = h.clients.ec2.create_security_group().group_name(unique());
    let made = made
        .description("a database's clients")
        .vpc_id(vpc)
        .send()
        .await;
    made.expect("group").group_id().expect("id").to_string()
}

#[tokio::test]
async fn the_tasks_join_existing_groups_beside_their_own_and_change_them_in_place() {
    let h = Harness::new().await;
    let vpc = h.network.vpc_id.clone();
    let (a, b) = (group(&h, &vpc).await, group(&h, &vpc).await);
    let other = Network::create(&h.clients).await;
    let elsewhere = group(&h, &other.vpc_id).await;
    let bad = h.properties(json!({"SecurityGroupIds": [elsewhere, "sg-0000feed"]}));
    let wrong_vpc = format!(
        "security group {elsewhere} (SecurityGroupIds) is in {}",
        other.vpc_id
    );
    let missing = "security group sg-0000feed (SecurityGroupIds) does not exist";
    crate::preflight::refused(&h, &bad, &[&wrong_vpc, missing]).await;
    let stack = Stack::new("groups");
    let cluster = format!("groups-{}", unique());
    let props = h.properties(json!({"ClusterName": cluster, "SecurityGroupIds": [a]}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, own) = (out.physical_id(), out.data("SecurityGroupId"));
    let groups = || async {
        let service = out.data("ServiceName");
        inspect::service(&h.clients, &cluster, &service)
            .await
            .security_groups
    };
    assert_eq!(groups().await, [own.clone(), a.clone()]);
    let mut more = props.clone();
    more["SecurityGroupIds"] = json!([a, b]);
    let writes = h.writes_of(stack.update(&id, &props, &more)).await;
    assert_eq!(writes, ["UpdateService"]);
    assert_eq!(groups().await, [own, a.clone(), b.clone()]);
    h.invoke(stack.delete(&id, &more)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
    let left = h
        .clients
        .ec2
        .describe_security_groups()
        .group_ids(&a)
        .group_ids(&b);
    let left = left.send().await.expect("the joined groups");
    assert_eq!(
        left.security_groups().len(),
        2,
        "prod-e deletes only its own group"
    );
}
