//! Rule 24: requests checked against AWS's own API models (botocore's), as AWS checks them.

use aws_sdk_ecs::types::Tag;

use super::{error, refusal, Account};

#[tokio::test]
async fn a_request_that_breaks_its_services_model_is_refused_as_aws_refuses_it() {
    let a = Account::new().await;
    // IAM (query): a role name of 65 characters, where the model allows 64.
    let long = "r".repeat(65);
    let document = r#"{"Version":"2012-10-17","Statement":[]}"#;
    let role = a.aws.iam.create_role().role_name(&long);
    let role = role.assume_role_policy_document(document).send().await;
    let want = format!(
        "1 validation error detected: Value '{long}' at 'roleName' failed to satisfy \
         constraint: Member must have length less than or equal to 64"
    );
    assert_eq!(refusal(role), error("ValidationError", &want));
    // A pattern holds for the whole value: a space is not among a role name's characters.
    let spaced = a.aws.iam.create_role().role_name("a b");
    let spaced = spaced.assume_role_policy_document(document).send().await;
    let (code, message) = refusal(spaced);
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("Member must satisfy regular expression pattern"),
        "{message}"
    );
    // ECS (JSON): a tag value of 257 characters, where the model allows 256.
    let value = "v".repeat(257);
    let tag = Tag::builder().key("team").value(&value).build();
    let cluster = a.aws.ecs.create_cluster().cluster_name("models").tags(tag);
    let want = format!(
        "1 validation error detected: Value '{value}' at 'tags.1.member.value' failed to \
         satisfy constraint: Member must have length less than or equal to 256"
    );
    assert_eq!(
        refusal(cluster.send().await),
        error("ValidationException", &want)
    );
    // What the models allow goes through to moto.
    let made = a
        .aws
        .ecs
        .create_cluster()
        .cluster_name("models")
        .send()
        .await;
    assert!(made.is_ok(), "{made:?}");
}
