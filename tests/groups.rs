//! The tasks' security groups (issue #25): `SecurityGroupIds` joined beside prod-e's own,
//! checked by preflight to exist in `VpcId`, changed in place, never deleted with the set; and
//! `Egress`, the outbound rules of prod-e's own.

use prod_e::resources::security_group;
use prod_e::spec::egress::{Destination, Rule};
use serde_json::json;

use crate::inspect;
use crate::replace::merged;
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
    // An Update to a group of another VPC is refused before any write (ECS would refuse it
    // only at UpdateService).
    let foreign = merged(&more, json!({"SecurityGroupIds": [elsewhere]}));
    let before = h.proxy.calls().len();
    let refused = h.invoke(stack.update(&id, &more, &foreign)).await;
    assert_eq!(refused.status(), "FAILED");
    assert!(
        refused.reason().contains(&wrong_vpc),
        "{}",
        refused.reason()
    );
    assert_eq!(h.writes_since(before), Vec::<String>::new());
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

/// The outbound rules of group `id`, one destination each, sorted.
async fn outbound(h: &Harness, id: &str) -> Vec<Rule> {
    let group = security_group::find_id(&h.clients.ec2, id).await;
    let group = group.expect("read").expect("the group");
    let mut rules: Vec<Rule> = group.egress.iter().flat_map(|e| e.rules()).collect();
    rules.sort();
    rules
}

/// TCP `port` to `to` (a group or a CIDR), as an `Egress` item and as the rule it makes.
fn tcp(port: i32, to: &str) -> (serde_json::Value, Rule) {
    let (key, destination) = match to.starts_with("sg-") {
        true => ("DestinationSecurityGroupId", Destination::Group(to.into())),
        false => ("CidrIp", Destination::Cidr(to.into())),
    };
    let item = json!({"IpProtocol": "tcp", "FromPort": port, "ToPort": port, key: to});
    (item, Rule::new("tcp", (port, port), destination))
}

#[tokio::test]
async fn the_tasks_outbound_rules_replace_the_default_and_converge_in_place_and_across_a_replacement(
) {
    let h = Harness::new().await;
    let database = group(&h, &h.network.vpc_id).await;
    let (https, https_rule) = tcp(443, "0.0.0.0/0");
    let (postgres, postgres_rule) = tcp(5432, &database);
    let cut_off = h.properties(json!({"Egress": [postgres]}));
    let missing = "lets no TCP 443 out to logs (over the internet: CidrIp 0.0.0.0/0), the \
                   registry of public.ecr.aws/docker/library/node:16 (over the internet: CidrIp \
                   0.0.0.0/0): the tasks could never start";
    crate::preflight::refused(&h, &cut_off, &[missing]).await;
    let stack = Stack::new("egress");
    let props = h.properties(json!({"Egress": [https, postgres]}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, own) = (out.physical_id(), out.data("SecurityGroupId"));
    let mut both = vec![https_rule.clone(), postgres_rule.clone()];
    both.sort();
    assert_eq!(outbound(&h, &own).await, both, "the default rule is gone");
    let narrower = merged(&props, json!({"Egress": [https]}));
    let writes = h.writes_of(stack.update(&id, &props, &narrower)).await;
    assert_eq!(writes, ["RevokeSecurityGroupEgress"]);
    assert_eq!(outbound(&h, &own).await, std::slice::from_ref(&https_rule));
    let cut = merged(&narrower, json!({"Egress": [postgres]}));
    let before = h.proxy.calls().len();
    let refused = h.invoke(stack.update(&id, &narrower, &cut)).await;
    assert_eq!(refused.status(), "FAILED");
    assert!(refused.reason().contains(missing), "{}", refused.reason());
    assert_eq!(h.writes_since(before), Vec::<String>::new());
    let open = merged(&narrower, json!({"Egress": []}));
    let writes = h.writes_of(stack.update(&id, &narrower, &open)).await;
    assert_eq!(
        writes,
        ["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"]
    );
    assert_eq!(outbound(&h, &own).await, [Rule::all_traffic()]);
    let replaced = merged(&open, json!({"ContainerPort": 8080, "Egress": [https]}));
    let out = h.invoke(stack.update(&id, &open, &replaced)).await;
    out.assert_success();
    assert_eq!(
        out.data("SecurityGroupId"),
        own,
        "the replacement keeps the group"
    );
    assert_eq!(
        outbound(&h, &own).await,
        [https_rule],
        "narrowed once traffic moved"
    );
    h.invoke(stack.delete(&id, &open)).await.assert_success();
    h.invoke(stack.delete(&out.physical_id(), &replaced))
        .await
        .assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}
