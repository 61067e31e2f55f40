//! `prod-e status --properties` compares every property that is a setting of an AWS resource:
//! the pairs it builds for a whole set, read from an in-memory AWS ([`crate::fake_aws`]),
//! name every property but [`NOT_COMPARED`].

use serde_json::json;

use super::{compared, differences, NOT_COMPARED};
use crate::fake_aws::FakeAws;
use crate::naming::Tags;
use crate::plan::{whole_set, Owner};
use crate::resources::settings::compare;
use crate::resources::{cluster, target_group};
use crate::spec::{Spec, PROPERTIES};

#[tokio::test]
async fn every_property_but_the_listed_ones_is_compared() {
    let owner = Owner::new(
        "arn:aws:cloudformation:us-east-1:1:stack/s/1",
        "Svc",
        "0a1b2c3d",
    );
    let spec = Spec::parse(&json!({
        "VpcId": "vpc-0abc",
        "SubnetIds": ["subnet-a1"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
        "LoadBalancerSecurityGroupId": "sg-0alb",
        "RulePriority": 7,
        "ContainerInsights": "enabled",
        "TaskDefinitionOverrides": {"pidMode": "task"},
        "ServiceOverrides": {"platformVersion": "1.4.0"},
    }))
    .expect("properties");
    let revision = json!({"taskDefinition": {"family": "prod-e-task"}});
    let aws = FakeAws::new(vec![("DescribeTaskDefinition", revision.to_string())]);
    let inv = whole_set(&owner.tags(&Tags::new()));
    let c = aws.clients();
    let pairs = compared(&c, &owner.deployment, &spec, &inv).await;
    let pairs = pairs.expect("compared");
    let labels: Vec<&str> = pairs.iter().map(|(label, _, _)| *label).collect();
    let skipped: Vec<&str> = NOT_COMPARED.iter().map(|(name, _)| *name).collect();
    let unchecked: Vec<&str> = PROPERTIES
        .iter()
        .map(|p| p.name)
        .filter(|name| !labels.contains(name) && !skipped.contains(name))
        .collect();
    assert!(unchecked.is_empty(), "not compared: {unchecked:?}");
    let compared_and_skipped: Vec<&&str> = skipped.iter().filter(|n| labels.contains(n)).collect();
    assert!(compared_and_skipped.is_empty(), "{compared_and_skipped:?}");
}

/// What a resource does not report is not drift: a cluster that shows no `containerInsights`
/// setting, a target group whose attributes list no deregistration delay.
#[test]
fn a_setting_a_resource_does_not_report_is_not_drift() {
    let spec = Spec::parse(&json!({
        "VpcId": "vpc-0abc",
        "SubnetIds": ["subnet-a1"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
        "LoadBalancerSecurityGroupId": "sg-0alb",
        "ContainerInsights": "enabled",
    }))
    .expect("properties");
    let live = cluster::Cluster::default();
    let pairs = compare(
        cluster::SETTINGS,
        &spec,
        Some(&live),
        &cluster::expand(&spec),
    );
    assert_eq!(pairs, [("ContainerInsights", None, "enabled".to_string())]);
    assert_eq!(differences(pairs), Vec::<String>::new());
    let live = target_group::Settings {
        protocol: spec.target_protocol.clone(),
        protocol_version: spec.protocol_version.clone(),
        health_check: spec.target_health_check(),
        attributes: Default::default(),
    };
    let want = target_group::expand(&spec);
    let pairs = compare(target_group::SETTINGS, &spec, Some(&live), &want);
    assert_eq!(differences(pairs), Vec::<String>::new());
}
