//! Rule 17 (CloudFormation's view of the stacks the tests run) and rule 8's
//! PutClusterCapacityProviders right after CreateCluster.

use serde_json::json;

use super::{cluster, error, refusal, Account};
use crate::support::aws_rules::Rule;
use crate::support::{cloudformation, Stack};

#[tokio::test]
async fn cloudformation_shows_each_resource_as_the_events_it_sent_left_it() {
    let a = Account::new().await;
    // The rules' accounts are not the provider's, whose proxy alone plays CloudFormation.
    a.proxy.rules.set(Rule::CloudFormation, true);
    let cf = &a.aws.cloudformation;
    let stack = Stack::new("rules-cfn");
    let read = || async {
        let stack_status = cf.describe_stacks().stack_name(&stack.id).send().await;
        let stack_status = stack_status.expect("stack").stacks()[0]
            .stack_status()
            .cloned();
        let resource = cf
            .describe_stack_resource()
            .stack_name(&stack.id)
            .logical_resource_id(&stack.logical_id)
            .send()
            .await
            .expect("resource");
        let detail = resource.stack_resource_detail().expect("detail");
        (
            stack_status.map(|s| s.as_str().to_string()),
            detail.resource_status().map(|s| s.as_str().to_string()),
            detail.physical_resource_id().map(str::to_string),
        )
    };
    let some = |s: &str| Some(s.to_string());

    cloudformation::sends(&stack.create(&json!({})));
    let creating = some("CREATE_IN_PROGRESS");
    assert_eq!(read().await, (creating.clone(), creating, None));

    let cancelled = stack.cancel_create(&json!({}));
    cloudformation::sends(&cancelled);
    let generated = cancelled["PhysicalResourceId"].as_str().map(str::to_string);
    let deleting = (
        some("ROLLBACK_IN_PROGRESS"),
        some("DELETE_IN_PROGRESS"),
        generated,
    );
    assert_eq!(read().await, deleting);

    let unknown = cf
        .describe_stack_resource()
        .stack_name(&stack.id)
        .logical_resource_id("Other")
        .send()
        .await;
    let message = format!("Resource Other does not exist for stack {}", stack.id);
    assert_eq!(refusal(unknown), error("ValidationError", &message));
}

#[tokio::test]
async fn a_new_cluster_takes_capacity_providers_once_active() {
    let a = Account::new().await;
    let name = cluster(&a.aws).await;
    let put = a
        .aws
        .ecs
        .put_cluster_capacity_providers()
        .cluster(&name)
        .capacity_providers("FARGATE_SPOT")
        .set_default_capacity_provider_strategy(Some(Vec::new()));
    let refused = refusal(put.clone().send().await);
    assert_eq!(refused, error("ClientException", "Cluster was not ACTIVE"));
    put.send().await.expect("active the second time");
}
