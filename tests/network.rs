//! `network-template.yaml` (issue 28): deployed through moto's CloudFormation in its HTTP-only
//! mode (moto has no ACM), its outputs are exactly what a prod-e Create needs, and the set's
//! `Url` attribute is the one the network stack gives.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{Output, Parameter};
use aws_sdk_ec2::types::Filter;
use prod_e::aws::Clients;
use serde_json::json;

use crate::support::{unique, Harness, Stack};

/// Creates the network stack over `zones` zones; its outputs, by key.
async fn deploy(c: &Clients, zones: &str) -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/network-template.yaml");
    let template = std::fs::read_to_string(path).expect("network-template.yaml");
    let name = format!("network-{}", unique());
    let count = Parameter::builder().parameter_key("ZoneCount");
    let zones = count.parameter_value(zones).build();
    let created = c.cloudformation.create_stack().stack_name(&name);
    let created = created
        .template_body(template)
        .parameters(zones)
        .send()
        .await;
    created.expect("create the network stack");
    let described = c
        .cloudformation
        .describe_stacks()
        .stack_name(&name)
        .send()
        .await;
    let stack = described.expect("describe the network stack").stacks()[0].clone();
    let status = stack.stack_status().map(|s| s.as_str().to_string());
    assert_eq!(status.as_deref(), Some("CREATE_COMPLETE"));
    let pair = |o: &Output| Some((o.output_key()?.to_string(), o.output_value()?.to_string()));
    let outputs: BTreeMap<String, String> = stack.outputs().iter().filter_map(pair).collect();
    associate(c, &outputs).await;
    outputs
}

/// moto's CloudFormation records an `AWS::EC2::SubnetRouteTableAssociation` where
/// DescribeRouteTables does not look (moto 5.2.6, `ec2/models/subnets.py`,
/// `create_subnet_association`); on AWS the stack's subnets are associated. The test makes the
/// same associations with AssociateRouteTable: each subnet of the VPC with the table the
/// template routes its kind through (the private ones, the outputs', through the NAT gateway).
async fn associate(c: &Clients, outputs: &BTreeMap<String, String>) {
    let vpc = Filter::builder()
        .name("vpc-id")
        .values(&outputs["VpcId"])
        .build();
    let tables = c
        .ec2
        .describe_route_tables()
        .filters(vpc.clone())
        .send()
        .await;
    let tables = tables.expect("route tables");
    let through = |nat: bool| {
        let table = tables.route_tables().iter().find(|t| {
            let routes = t.routes().iter();
            let via = |r: &aws_sdk_ec2::types::Route| match nat {
                true => r.nat_gateway_id().is_some(),
                false => r.gateway_id().is_some_and(|g| g.starts_with("igw-")),
            };
            routes.clone().any(via)
        });
        table
            .and_then(|t| t.route_table_id())
            .unwrap_or_default()
            .to_string()
    };
    let subnets = c.ec2.describe_subnets().filters(vpc).send().await;
    let private: Vec<&str> = outputs["SubnetIds"].split(',').collect();
    for subnet in subnets.expect("subnets").subnets() {
        let id = subnet.subnet_id().unwrap_or_default();
        let table = through(private.contains(&id));
        let associated = c
            .ec2
            .associate_route_table()
            .route_table_id(table)
            .subnet_id(id);
        associated.send().await.expect("associate");
    }
}

#[tokio::test]
async fn a_create_behind_the_network_templates_listener_reports_its_url() {
    let h = Harness::new().await;
    let outputs = deploy(&h.clients, "2").await;
    let keys: Vec<&str> = outputs.keys().map(String::as_str).collect();
    let asked = [
        "ListenerArn",
        "LoadBalancerSecurityGroupId",
        "SubnetIds",
        "VpcId",
    ];
    assert!(asked.iter().all(|k| keys.contains(k)), "{keys:?}");
    assert_eq!(outputs["SubnetIds"].split(',').count(), 2);
    let (vpc, listener) = (&outputs["VpcId"], &outputs["ListenerArn"]);
    let group = &outputs["LoadBalancerSecurityGroupId"];
    h.proxy.deploys_behind(vpc, listener, group);
    let props = json!({
        "ServiceToken": h.properties(json!({}))["ServiceToken"],
        "VpcId": vpc,
        "SubnetIds": outputs["SubnetIds"],
        "ListenerArn": listener,
        "LoadBalancerSecurityGroupId": group,
        "ClusterName": format!("net-{}", unique()),
    });
    let stack = Stack::new("net");
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    assert_eq!(out.data("Url"), outputs["Url"]);
    assert!(outputs["Url"].starts_with("http://"), "{}", outputs["Url"]);
    let id = out.physical_id();
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
    // Three zones: three private subnets, all passed on.
    let three = deploy(&h.clients, "3").await;
    assert_eq!(three["SubnetIds"].split(',').count(), 3);
}
