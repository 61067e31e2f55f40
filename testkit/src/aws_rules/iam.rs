//! Rule 7: the ECS service-linked role, played by the proxy for its account (a new account
//! has none): GetRole and CreateServiceLinkedRole of `AWSServiceRoleForECS` never reach moto
//! (whose role would be named `AWSServiceRoleForecs`), and ECS CreateService cannot assume a
//! role that does not exist — nor, once, one just made (rule 8). ECS CreateCluster does not
//! make it here: prod-e's function role may not call iam:CreateServiceLinkedRole through ECS.
//!
//! Sources: <https://github.com/aws-samples/aws-modern-application-workshop/issues/69>,
//! <https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html>,
//! <https://github.com/Rayraegah/terraform-aws-hasura/issues/17>,
//! <https://docs.amazonaws.cn/goto/WebAPI/ecs-2014-11-13/CreateCluster>.

use super::fresh::Key;
use super::{AwsRules, Fields, Refusal, Rule, Verdict};

pub const ROLE_NAME: &str = "AWSServiceRoleForECS";
pub const ROLE_PATH: &str = "/aws-service-role/ecs.amazonaws.com/";
pub const ROLE_ARN: &str =
    "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS";
const ECS_SERVICE: &str = "ecs.amazonaws.com";
/// `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, URL-encoded as IAM gives it.
const TRUST: &str = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ecs.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";

/// GetRole / CreateServiceLinkedRole of the ECS role, answered by the proxy.
pub fn play(rules: &AwsRules, action: &str, fields: &Fields) -> Option<Verdict> {
    if !rules.on(Rule::ServiceLinkedRole) {
        return None;
    }
    match action {
        "GetRole" if fields.get("RoleName").as_deref() == Some(ROLE_NAME) => Some(get(rules)),
        "CreateServiceLinkedRole"
            if fields.get("AWSServiceName").as_deref() == Some(ECS_SERVICE) =>
        {
            Some(create(rules))
        }
        _ => None,
    }
}

fn get(rules: &AwsRules) -> Verdict {
    if rules.with(|s| s.service_linked_role) {
        return Verdict::Answer(role_document("GetRole"));
    }
    Verdict::Refuse(Refusal {
        status: 404,
        code: "NoSuchEntity",
        message: format!("The role with name {ROLE_NAME} cannot be found."),
    })
}

fn create(rules: &AwsRules) -> Verdict {
    let made = rules.with(|s| !std::mem::replace(&mut s.service_linked_role, true));
    if !made {
        let message = format!(
            "Service role name {ROLE_NAME} has been taken in this account, please try a different suffix."
        );
        return Verdict::Refuse(Refusal::new("InvalidInput", message));
    }
    rules.made(Key::ServiceLinkedRole);
    Verdict::Answer(role_document("CreateServiceLinkedRole"))
}

/// ECS CreateService while the role does not exist (or was only just made).
pub fn unassumable(rules: &AwsRules) -> Option<Verdict> {
    if !rules.on(Rule::ServiceLinkedRole) {
        return None;
    }
    let refusal = Refusal::new(
        "InvalidParameterException",
        "Unable to assume the service linked role. Please verify that the ECS service linked role exists.",
    );
    if !rules.with(|s| s.service_linked_role) {
        return Some(Verdict::Refuse(refusal));
    }
    rules
        .take(&Key::ServiceLinkedRole)
        .then_some(Verdict::Delay(refusal))
}

/// `<{action}Response>` with the role, as IAM answers GetRole and CreateServiceLinkedRole.
fn role_document(action: &str) -> String {
    format!(
        "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result><Role>\
         <Path>{ROLE_PATH}</Path><RoleName>{ROLE_NAME}</RoleName><RoleId>AROAECSSERVICELINKED00</RoleId>\
         <Arn>{ROLE_ARN}</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>\
         <AssumeRolePolicyDocument>{TRUST}</AssumeRolePolicyDocument>\
         <Description>Role to enable Amazon ECS to manage your cluster.</Description>\
         <MaxSessionDuration>3600</MaxSessionDuration></Role></{action}Result>\
         <ResponseMetadata><RequestId>rules</RequestId></ResponseMetadata></{action}Response>"
    )
}
