//! The named checks on AWS error codes: one function per condition a caller acts on (retry,
//! adopt, treat as gone), each with its AWS source.

use super::Error;

/// EC2: the security group is still referenced by an ENI or another group.
pub fn is_dependency_violation(err: &Error) -> bool {
    err.code_is(&["DependencyViolation", "InvalidGroup.InUse"])
}

/// ELBv2: the target group is still used by a listener rule.
pub fn is_resource_in_use(err: &Error) -> bool {
    err.code_is(&["ResourceInUse"])
}

/// IAM: a just-created role is not yet visible to ECS (eventual consistency).
pub fn is_role_not_assumable(err: &Error) -> bool {
    // "ECS was unable to assume the role …", "Unable to assume role and validate …": any other
    // ClientException that merely mentions a role is permanent and must not be retried.
    err.code_is(&["ClientException", "InvalidParameterException"]) && err.message_has("assume")
}

/// IAM: ECS is refused `iam:PassRole` on a role created a moment ago, because the role (or
/// the ownership tag the function's policy matches on) is not yet visible to authorization.
/// Source: IAM User Guide, "Changes that I make are not always immediately visible".
pub fn is_pass_role_denied(err: &Error) -> bool {
    err.code_is(&["AccessDeniedException"]) && err.message_has("iam:PassRole")
}

/// A fresh role (a task role, an execution role or the ECS service-linked role) that ECS
/// cannot use yet: [`is_role_not_assumable`] or [`is_pass_role_denied`].
pub fn is_fresh_role_unusable(err: &Error) -> bool {
    is_role_not_assumable(err) || is_pass_role_denied(err)
}

/// ECS CreateService right after CreateCluster: `ClusterNotFoundException` ("Cluster not
/// found.") while the new cluster propagates (public reports: hashicorp/terraform#15066,
/// terraform-provider-aws#11701). Only retried where the cluster was just found or created.
pub fn is_cluster_not_yet_visible(err: &Error) -> bool {
    err.code_is(&["ClusterNotFoundException"])
}

/// ECS CreateService right after the rule that forwards to its target group was created or
/// modified: "The target group with targetGroupArn … does not have an associated load
/// balancer." while the association propagates (terraform-provider-aws retries CreateService
/// on it: `retryServiceCreate`, internal/service/ecs/service.go). Only retried where prod-e has
/// just associated the group.
pub fn is_target_group_not_yet_associated(err: &Error) -> bool {
    err.code_is(&["InvalidParameterException"])
        && err.message_has("does not have an associated load balancer")
}

/// A security group rule that is not there to revoke: `InvalidPermission.NotFound` (a rule
/// given by its values) or `InvalidSecurityGroupRuleId.NotFound` (by its id) (EC2 API
/// reference, error codes). Not the group itself being missing (`InvalidGroup.NotFound`).
pub fn is_rule_gone(err: &Error) -> bool {
    err.code_is(&[
        "InvalidPermission.NotFound",
        "InvalidSecurityGroupRuleId.NotFound",
    ])
}

/// EC2 AuthorizeSecurityGroupIngress right after CreateSecurityGroup: `InvalidGroup.NotFound`
/// (EC2 Developer Guide, "Eventual consistency"). Only retried on a group just created.
pub fn is_group_not_yet_visible(err: &Error) -> bool {
    err.code_is(&["InvalidGroup.NotFound"])
}

/// ECS CreateService with the name of a service that is still DRAINING: "Unable to Start a
/// service that is still Draining." (ECS DeleteService reference: a name in ACTIVE or
/// DRAINING status cannot be reused).
pub fn is_service_draining(err: &Error) -> bool {
    err.code_is(&["InvalidParameterException"]) && err.message_has("Draining")
}

/// ECS DeregisterTaskDefinition / UntagResource of a revision that is no longer there to
/// retire: removed (DeleteTaskDefinitions; "Unable to describe task definition",
/// terraform-provider-aws#29749; the DeregisterTaskDefinition reference warns that INACTIVE
/// revisions may not persist) or already INACTIVE, should ECS refuse a second deregistration
/// (undocumented either way: treated as retired).
pub fn is_task_definition_retired(err: &Error) -> bool {
    err.code_is(&["ClientException"])
        && (err.message_has("Unable to describe task definition")
            || err.message_has("does not exist")
            || err.message_has("INACTIVE")
            || err.message_has("inactive"))
}

/// ECS CreateService of a name an ACTIVE service holds, with another clientToken or request:
/// "Creation of service was not idempotent." (ECS API reference, "Idempotency";
/// hashicorp/terraform-provider-aws#23462).
pub fn is_service_name_taken(err: &Error) -> bool {
    err.code_is(&["InvalidParameterException"]) && err.message_has("not idempotent")
}

/// IAM CreateServiceLinkedRole when the role exists: `InvalidInput`, "Service role name
/// AWSServiceRoleForECS has been taken in this account" (IAM API reference,
/// CreateServiceLinkedRole).
pub fn is_service_linked_role_taken(err: &Error) -> bool {
    err.code_is(&["InvalidInput"]) && err.message_has("has been taken")
}

/// ECS: the cluster still holds services or tasks, or an update is running.
pub fn is_cluster_busy(err: &Error) -> bool {
    err.code_is(&[
        "ClusterContainsServicesException",
        "ClusterContainsTasksException",
        "ClusterContainsContainerInstancesException",
        "UpdateInProgressException",
    ])
}

/// ECS: DeleteCluster of a cluster that still holds ACTIVE or DRAINING services
/// (ClusterContainsServicesException, ECS API reference: DeleteCluster).
pub fn is_cluster_with_services(err: &Error) -> bool {
    err.code_is(&["ClusterContainsServicesException"])
}

/// ECS: DeleteCluster of a cluster that still has active tasks (ClusterContainsTasksException,
/// ECS API reference: DeleteCluster): a one-off task still running.
pub fn is_cluster_with_tasks(err: &Error) -> bool {
    err.code_is(&["ClusterContainsTasksException"])
}

/// ECS: a service cannot be deleted while its deployments are active.
pub fn is_service_busy(err: &Error) -> bool {
    err.code_is(&["InvalidParameterException"]) && err.message_has("deployments")
}

/// IAM: a role still has policies attached.
pub fn is_delete_conflict(err: &Error) -> bool {
    err.code_is(&["DeleteConflict"])
}

/// "Not found" codes, per service; a resource that is gone counts as deleted.
pub fn is_not_found(err: &Error) -> bool {
    err.code_is(&[
        "NoSuchEntity",
        "ResourceNotFoundException",
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "InvalidGroup.NotFound",
        "InvalidPermission.NotFound",
        // A rule revoked by its id that is gone already (EC2 API reference, error codes).
        "InvalidSecurityGroupRuleId.NotFound",
        "TargetGroupNotFound",
        "RuleNotFound",
        "ListenerNotFound",
        "LoadBalancerNotFound",
        // Application Auto Scaling: a missing scalable target, policy or scheduled action.
        "ObjectNotFoundException",
        // CloudWatch DeleteAlarms of a missing alarm.
        "ResourceNotFound",
    ])
}

/// Application Auto Scaling RegisterScalableTarget right after CreateService:
/// `ValidationException` "ECS service doesn't exist" while the new service propagates (public
/// reports: terraform-provider-aws#11693, which retries it). Only retried on a service prod-e
/// has just created or found.
pub fn is_scaling_service_not_yet_visible(err: &Error) -> bool {
    err.code_is(&["ValidationException"]) && err.message_has("doesn't exist")
}

/// Application Auto Scaling PutScalingPolicy or PutScheduledAction right after a new
/// RegisterScalableTarget: `ObjectNotFoundException` "No scalable target registered …" while
/// the target propagates (RegisterScalableTarget reference: "there might be a brief delay
/// until the operation achieves eventual consistency"; public reports:
/// cloudposse/terraform-aws-ecs-cloudwatch-autoscaling#36). Only retried on those puts.
pub fn is_scalable_target_not_yet_visible(err: &Error) -> bool {
    err.code_is(&["ObjectNotFoundException"])
}

/// Application Auto Scaling RegisterScalableTarget with `Tags` for a target that exists:
/// "The scalable target that you tried to tag already exists. To update tags on an existing
/// scalable target, use the TagResource API." (public reports:
/// terraform-provider-aws#31839, terraform-aws-modules/terraform-aws-rds-aurora#420).
pub fn is_scalable_target_tagged_twice(err: &Error) -> bool {
    err.code_is(&["ValidationException"]) && err.message_has("tried to tag already exists")
}

/// Application Auto Scaling: another change of the same scalable target is in progress
/// (`ConcurrentUpdateException`, API reference: "Concurrent updates caused an exception, for
/// example, if you request an update to an Application Auto Scaling resource that already has
/// a pending update").
pub fn is_scaling_update_in_progress(err: &Error) -> bool {
    err.code_is(&["ConcurrentUpdateException"])
}

/// ELBv2: another rule of the listener holds the priority (CreateRule, SetRulePriorities
/// reference: `PriorityInUse`).
pub fn is_priority_in_use(err: &Error) -> bool {
    err.code_is(&["PriorityInUse"])
}

/// CloudFormation: `ValidationError` "Stack with id … does not exist" (DescribeStacks,
/// DescribeStackResource of an unknown stack) or "Resource … does not exist for stack …"
/// (DescribeStackResource of an unknown logical id). CloudFormation API Reference, Common
/// Errors: a query that names what does not exist is a `ValidationError`.
pub fn is_no_such_stack(err: &Error) -> bool {
    err.code_is(&["ValidationError"]) && err.message_has("does not exist")
}

/// ECS PutClusterCapacityProviders while the cluster is not ready or another change of it
/// runs: `ClientException` "Cluster was not ACTIVE" right after CreateCluster,
/// `UpdateInProgressException`, `ResourceInUseException` (ECS API Reference,
/// PutClusterCapacityProviders errors; terraform-provider-aws retries the three,
/// `internal/service/ecs/cluster_capacity_providers.go`, hashicorp/terraform-provider-aws#11285).
pub fn is_cluster_not_ready(err: &Error) -> bool {
    err.code_is(&["UpdateInProgressException", "ResourceInUseException"])
        || (err.code_is(&["ClientException"]) && err.message_has("not ACTIVE"))
}

/// KMS VerifyMac: the MAC is not the message's under that key (`KMSInvalidMacException`, AWS
/// KMS API Reference, VerifyMac errors).
pub fn is_invalid_mac(err: &Error) -> bool {
    err.code_is(&["KMSInvalidMacException"])
}

/// "Already exists" codes: a concurrent or re-delivered Create got there first.
pub fn is_already_exists(err: &Error) -> bool {
    err.code_is(&[
        "EntityAlreadyExists",
        "ResourceAlreadyExistsException",
        "InvalidGroup.Duplicate",
        "DuplicateTargetGroupName",
        "InvalidPermission.Duplicate",
        // ELBv2: the priority is taken, possibly by our own rule from a concurrent Create.
        "PriorityInUse",
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, message: &str) -> Error {
        Error::Aws {
            doing: "x".into(),
            code: Some(code.into()),
            message: message.into(),
        }
    }

    #[test]
    fn predicates_match_only_their_codes() {
        assert!(is_dependency_violation(&aws("DependencyViolation", "")));
        assert!(!is_dependency_violation(&aws("Throttling", "")));
        assert!(is_role_not_assumable(&aws(
            "ClientException",
            "ECS was unable to assume the role 'arn:aws:iam::1:role/x'"
        )));
        assert!(!is_role_not_assumable(&aws("ClientException", "bad image")));
        assert!(!is_role_not_assumable(&aws(
            "ClientException",
            "Role is not valid"
        )));
        assert!(is_pass_role_denied(&aws(
            "AccessDeniedException",
            "User: arn:aws:sts::1:assumed-role/f/f is not authorized to perform: iam:PassRole \
                 on resource: r"
        )));
        assert!(!is_pass_role_denied(&aws(
            "AccessDeniedException",
            "ecs:CreateService"
        )));
        assert!(is_service_draining(&aws(
            "InvalidParameterException",
            "Unable to Start a service that is still Draining."
        )));
        assert!(!is_service_draining(&aws(
            "InvalidParameterException",
            "Creation of service was not idempotent."
        )));
        assert!(is_service_linked_role_taken(&aws(
            "InvalidInput",
            "Service role name AWSServiceRoleForECS has been taken in this account, please try \
                 a different suffix."
        )));
        assert!(is_service_busy(&aws(
            "InvalidParameterException",
            "The service cannot be stopped while deployments are active."
        )));
    }

    #[test]
    fn display_reads_as_a_sentence() {
        let e = aws("Boom", "it broke");
        assert_eq!(e.to_string(), "x: Boom: it broke");
    }
}
