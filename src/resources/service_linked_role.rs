//! The ECS service-linked role (`AWSServiceRoleForECS`), which ECS must be able to assume
//! before CreateService can succeed in an account. It belongs to the account, not to a
//! deployment: prod-e makes it when it is missing and never deletes it.
//!
//! Sources: ECS CreateCluster reference ("Amazon ECS attempts to create the service-linked
//! role … if the user that makes the call doesn't have permissions to create the
//! service-linked role, it isn't created"); without it CreateService answers
//! "Unable to assume the service linked role. Please verify that the ECS service linked role
//! exists." (public reports: aws-samples/aws-modern-application-workshop#69).

use aws_sdk_iam::Client;

use super::found;
use crate::error::{is_service_linked_role_taken, Doing, Result};

/// The service principal the role is for.
pub const ECS_SERVICE: &str = "ecs.amazonaws.com";
/// The role's name, as IAM makes it for [`ECS_SERVICE`].
pub const ECS_ROLE_NAME: &str = "AWSServiceRoleForECS";

/// Makes sure the role exists: nothing if it does, else CreateServiceLinkedRole. A role
/// made meanwhile by someone else ("has been taken") counts as existing.
pub async fn ensure(iam: &Client) -> Result<()> {
    let read = iam.get_role().role_name(ECS_ROLE_NAME).send().await;
    let doing = format!("reading IAM role ({ECS_ROLE_NAME})");
    if found(read.doing(doing))?.is_some() {
        return Ok(());
    }
    let created = iam
        .create_service_linked_role()
        .aws_service_name(ECS_SERVICE)
        .send()
        .await
        .done(format!(
            "creating the ECS service-linked role ({ECS_ROLE_NAME})"
        ));
    match created {
        Err(err) if is_service_linked_role_taken(&err) => Ok(()),
        other => other,
    }
}
