//! Rule 8: read-after-write delays.

use aws_sdk_ec2::types::{IpPermission, IpRange};

use super::{cluster, error, refusal, register, service, task_definition, Account};
use crate::support::unique;

#[tokio::test]
async fn new_resources_are_not_found_at_first() {
    let a = Account::with_ecs_role().await;
    let vpc = a
        .moto
        .ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await;
    let vpc = vpc
        .expect("vpc")
        .vpc()
        .and_then(|v| v.vpc_id().map(str::to_string));
    let sg = a
        .aws
        .ec2
        .create_security_group()
        .group_name(format!("sg-{}", unique()));
    let sg = sg.description("fresh").set_vpc_id(vpc).send().await;
    let sg = sg.expect("sg").group_id().expect("sg id").to_string();
    let range = IpRange::builder().cidr_ip("10.0.0.0/8").build();
    let http = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(80)
        .to_port(80);
    let authorize = a.aws.ec2.authorize_security_group_ingress().group_id(&sg);
    let authorize = authorize.ip_permissions(http.ip_ranges(range).build());
    let missing_sg = format!("The security group '{sg}' does not exist");
    let refused = refusal(authorize.clone().send().await);
    assert_eq!(refused, error("InvalidGroup.NotFound", &missing_sg));
    authorize.send().await.expect("found the second time");
    let (cluster, td) = (
        cluster(&a.aws).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let create = service(&a.aws, &cluster, "web", &td);
    let missing_cluster = error("ClusterNotFoundException", "Cluster not found.");
    assert_eq!(refusal(create.clone().send().await), missing_cluster);
    let created = create.send().await.expect("found the second time");
    let arn = created
        .service()
        .and_then(|s| s.service_arn())
        .expect("arn");
    let read = a
        .aws
        .ecs
        .describe_services()
        .cluster(&cluster)
        .services("web");
    let first = read.clone().send().await.expect("describe services");
    assert!(first.services().is_empty());
    let failure = first.failures().first().map(|f| (f.arn(), f.reason()));
    assert_eq!(failure, Some((Some(arn), Some("MISSING"))));
    let second = read.send().await.expect("describe services");
    assert_eq!(second.services().len(), 1, "found the second time");
    let role = a
        .aws
        .iam
        .create_role()
        .role_name(format!("rules-{}", unique()));
    let role = role.assume_role_policy_document("{}").send().await;
    let role = role
        .expect("create role")
        .role()
        .map(|r| r.arn().to_string());
    let register = register(&a.aws, "nginx:1.27").set_execution_role_arn(role.clone());
    let denied = format!("User: arn:aws:sts::123456789012:assumed-role/prod-e-provisioner/prod-e-provisioner is not authorized to perform: iam:PassRole on resource: {}", role.unwrap_or_default());
    let refused = refusal(register.clone().send().await);
    assert_eq!(refused, error("AccessDeniedException", &denied));
    register.send().await.expect("passed the second time");
    assert_eq!(a.proxy.faults(), 4, "each delay is a faulted call");
}
