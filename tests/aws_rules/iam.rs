//! Rule 7: the ECS service-linked role.

use super::{cluster, error, refusal, service, task_definition, Account};
use crate::support::aws_rules::iam::{ROLE_ARN, ROLE_NAME, ROLE_PATH};

#[tokio::test]
async fn ecs_needs_its_service_linked_role() {
    let a = Account::new().await;
    a.proxy.rules.fresh_reads(0);
    let cluster = cluster(&a.aws).await;
    let td = task_definition(&a.aws, "nginx:1.27").await;
    let get = || a.aws.iam.get_role().role_name(ROLE_NAME).send();
    let missing = format!("The role with name {} cannot be found.", ROLE_NAME);
    assert_eq!(
        refusal(get().await),
        error("NoSuchEntity", &missing),
        "CreateCluster made none"
    );
    let create = || service(&a.aws, &cluster, "web", &td).send();
    let unassumable = error(
        "InvalidParameterException",
        "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
    );
    assert_eq!(refusal(create().await), unassumable);
    a.proxy.rules.fresh_reads(1);
    let make = || {
        let making = a.aws.iam.create_service_linked_role();
        making.aws_service_name("ecs.amazonaws.com").send()
    };
    let made = make().await.expect("create the service-linked role");
    let role = made.role().expect("role");
    assert_eq!((role.path(), role.arn()), (ROLE_PATH, ROLE_ARN));
    let taken = format!(
        "Service role name {} has been taken in this account, please try a different suffix.",
        ROLE_NAME
    );
    assert_eq!(refusal(make().await), error("InvalidInput", &taken));
    let read = get().await.expect("the role exists");
    assert_eq!(read.role().map(|r| r.arn()), Some(ROLE_ARN));
    assert_eq!(
        refusal(create().await),
        unassumable,
        "just made: not yet assumable"
    );
    create().await.expect("ECS assumes the role");
    let other = Account::new().await;
    let elsewhere = other.aws.iam.get_role().role_name(ROLE_NAME).send().await;
    assert_eq!(
        refusal(elsewhere).0,
        "NoSuchEntity",
        "another account has none"
    );
}
