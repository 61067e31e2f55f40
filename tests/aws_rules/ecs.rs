//! Rules 3–6, 10 and 19: ECS clusters and services as AWS keeps them.

use std::time::Duration;

use aws_sdk_ecs::types::{Cluster, ClusterField, Service, Tag};

use super::{
    cluster, delete_service, described, error, refusal, service, task_definition, Account,
};
use crate::support::aws_rules::Rule;
use crate::support::unique;

/// A drain held open until the test ends it (`draining_for(ZERO)`), however slow the machine.
const HELD: Duration = Duration::from_secs(60);

/// An account whose drains are held open, with service `web` ACTIVE in a new cluster.
async fn running_web() -> (Account, String) {
    let a = Account::with_ecs_role().await;
    a.proxy.rules.draining_for(HELD);
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    service(&a.aws, &cluster, "web", &td)
        .send()
        .await
        .expect("create service");
    (a, cluster)
}

#[tokio::test]
async fn a_cluster_with_services_cannot_be_deleted() {
    let (a, cluster) = running_web().await;
    let delete = a.aws.ecs.delete_cluster().cluster(&cluster);
    let busy = || {
        let message = "The Cluster cannot be deleted while Services are active.";
        error("ClusterContainsServicesException", message)
    };
    assert_eq!(refusal(delete.clone().send().await), busy(), "ACTIVE");
    delete_service(&a.aws, &cluster, "web").await;
    assert_eq!(refusal(delete.clone().send().await), busy(), "DRAINING");
    a.proxy.rules.draining_for(Duration::ZERO);
    delete
        .send()
        .await
        .expect("a cluster without services is deleted");
}

#[tokio::test]
async fn a_deleted_service_drains_before_it_is_inactive() {
    let a = Account::with_ecs_role().await;
    a.proxy.rules.draining_for(HELD);
    a.proxy.rules.fresh_reads(0);
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let created = service(&a.aws, &cluster, "web", &td).send().await;
    created.expect("create service");
    delete_service(&a.aws, &cluster, "web").await;
    let status = || async {
        let s = described(&a.aws, &cluster, "web").await.expect("service");
        s.status().unwrap_or_default().to_string()
    };
    assert_eq!(status().await, "DRAINING");
    a.proxy.rules.draining_for(Duration::ZERO);
    assert_eq!(status().await, "INACTIVE");
}

#[tokio::test]
async fn a_service_name_in_use_is_not_created_again() {
    let a = Account::with_ecs_role().await;
    a.proxy.rules.draining_for(HELD);
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let create = |token: &str| service(&a.aws, &cluster, "web", &td).client_token(token);
    let first = create("token-1").send().await.expect("create service");
    let again = create("token-1")
        .send()
        .await
        .expect("the same create again");
    let arn = |s: Option<&Service>| s.and_then(|s| s.service_arn()).map(str::to_string);
    assert_eq!(
        arn(again.service()),
        arn(first.service()),
        "the same service"
    );
    let not_idempotent = || {
        let message = "Creation of service was not idempotent.";
        error("InvalidParameterException", message)
    };
    let other_token = create("token-2").send().await;
    assert_eq!(refusal(other_token), not_idempotent());
    let other_request = create("token-1").desired_count(2).send().await;
    assert_eq!(refusal(other_request), not_idempotent());
    delete_service(&a.aws, &cluster, "web").await;
    let draining = error(
        "InvalidParameterException",
        "Unable to Start a service that is still Draining.",
    );
    assert_eq!(refusal(create("token-3").send().await), draining);
    a.proxy.rules.draining_for(Duration::ZERO);
    let deleted_since = create("token-1").send().await;
    assert_eq!(refusal(deleted_since), not_idempotent());
    let replaced = create("token-3").send().await;
    replaced.expect("the name is free once the service is INACTIVE");
}

#[tokio::test]
async fn an_existing_cluster_is_returned_unchanged() {
    let a = Account::new().await;
    let name = format!("rules-{}", unique());
    let create = || a.aws.ecs.create_cluster().cluster_name(&name);
    let tag = Tag::builder().key("owner").value("first").build();
    create().tags(tag).send().await.expect("create cluster");
    let tags = |c: Option<&Cluster>| {
        let tags = c.map(|c| c.tags().to_vec()).unwrap_or_default();
        let pairs = tags.iter().map(|t| (t.key(), t.value()));
        pairs
            .map(|(k, v)| format!("{}={}", k.unwrap_or(""), v.unwrap_or("")))
            .collect::<Vec<_>>()
    };
    let again = create()
        .send()
        .await
        .expect("an existing cluster is answered");
    assert_eq!(tags(again.cluster()), ["owner=first"]);
    let read = a.moto.ecs.describe_clusters().clusters(&name);
    let read = read
        .include(ClusterField::Tags)
        .send()
        .await
        .expect("describe");
    assert_eq!(tags(read.clusters().first()), ["owner=first"], "unchanged");
    // Moto alone replaces it, and its tags are lost.
    a.proxy.rules.set(Rule::ClusterExists, false);
    let replaced = create().send().await.expect("moto replaces it");
    assert!(tags(replaced.cluster()).is_empty());
}

#[tokio::test]
async fn a_deleted_service_cannot_be_updated() {
    let (a, cluster) = running_web().await;
    let update = a.aws.ecs.update_service().cluster(&cluster).service("web");
    let update = update.desired_count(0);
    update
        .clone()
        .send()
        .await
        .expect("an ACTIVE service is updated");
    delete_service(&a.aws, &cluster, "web").await;
    let inactive = error("ServiceNotActiveException", "Service was not ACTIVE.");
    assert_eq!(refusal(update.clone().send().await), inactive, "DRAINING");
    a.proxy.rules.draining_for(Duration::ZERO);
    assert_eq!(refusal(update.send().await), inactive, "INACTIVE");
}

/// Rule 19: at most five security groups in a service's `awsvpcConfiguration`.
#[tokio::test]
async fn more_than_five_security_groups_are_refused() {
    use aws_sdk_ecs::types::{AwsVpcConfiguration, NetworkConfiguration};
    let a = Account::with_ecs_role().await;
    a.proxy.rules.fresh_reads(0);
    let net = crate::support::Network::create(&a.moto).await;
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let mut made = Vec::new();
    for _ in 0..6 {
        let group = a.moto.ec2.create_security_group().group_name(unique());
        let group = group.description("g").vpc_id(&net.vpc_id).send().await;
        made.push(group.expect("group").group_id().expect("id").to_string());
    }
    let with = |n: usize| {
        let groups = made[..n].to_vec();
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(net.subnet_ids.clone()))
            .set_security_groups(Some(groups))
            .build()
            .expect("awsvpc");
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build()
    };
    let six = service(&a.aws, &cluster, "six", &td).network_configuration(with(6));
    let refused = refusal(six.send().await);
    assert_eq!(refused.0, "InvalidParameterException", "{refused:?}");
    assert!(refused.1.contains("at most 5"), "{refused:?}");
    let five = service(&a.aws, &cluster, "five", &td).network_configuration(with(5));
    five.send().await.expect("five groups are taken");
}

/// Rule 25: a security group of another VPC than the subnets' is refused, as ECS refuses it.
#[tokio::test]
async fn a_group_of_another_vpc_is_refused() {
    use aws_sdk_ecs::types::{AwsVpcConfiguration, NetworkConfiguration};
    let a = Account::with_ecs_role().await;
    a.proxy.rules.fresh_reads(0);
    let (net, other) = (
        crate::support::Network::create(&a.moto).await,
        crate::support::Network::create(&a.moto).await,
    );
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let with = |group: &str| {
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(net.subnet_ids.clone()))
            .security_groups(group)
            .build()
            .expect("awsvpc");
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build()
    };
    let foreign = &other.alb_security_group_id;
    let elsewhere =
        service(&a.aws, &cluster, "elsewhere", &td).network_configuration(with(foreign));
    let want = format!(
        "Security group {foreign} does not appear to belong to the same VPC as the input subnets."
    );
    assert_eq!(
        refusal(elsewhere.send().await),
        error("InvalidParameterException", &want)
    );
    let home = service(&a.aws, &cluster, "home", &td);
    let home = home.network_configuration(with(&net.alb_security_group_id));
    home.send()
        .await
        .expect("a group of the subnets' VPC is taken");
}
