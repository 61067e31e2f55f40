//! Which (action, resource) pairs one recorded call needs, per AWS service: the call's own
//! action on the resource it names (its ARN as IAM would see it), and the actions a call
//! implies (tagging on create, passing roles).

use super::Fields;
use crate::aws_rules::wire::short;
use crate::call::Call;
use crate::http::percent_decode;
use crate::{ACCOUNT, REGION};

/// The call's action (which a few calls rename) and the implied pairs found so far.
type Needs<'a> = (&'a mut String, &'a mut Vec<(String, String)>);

/// The resource `call` acts on, as an ARN (`*` for a call without resource-level
/// permissions); implied pairs are pushed, and `needs.0` renamed where IAM's name differs.
pub(super) fn resource(call: &Call, fields: &Fields, svc: &str, needs: Needs) -> Option<String> {
    match svc {
        "iam" => iam(call, fields, needs),
        "ec2" => ec2(call, fields, needs),
        "logs" => logs(call, fields, needs),
        "ecs" => ecs(call, fields, needs),
        "elasticloadbalancing" => elb(call, fields, needs),
        _ => others(call, fields, needs),
    }
}

fn arn(kind: &str, tail: String) -> String {
    format!("arn:aws:{kind}:{REGION}:{ACCOUNT}:{tail}")
}

fn role(name: String) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn cluster_of(c: String) -> String {
    short(&c).to_string()
}

/// `resource`, made by a call that tags it on create: the tagging `action` on it is needed too.
fn tagged(pairs: &mut Vec<(String, String)>, action: &str, resource: String) -> Option<String> {
    pairs.push((action.into(), resource.clone()));
    Some(resource)
}

/// IAM: roles (by name), the ECS service-linked role, policies.
fn iam(call: &Call, fields: &Fields, (_, pairs): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match call.action.as_str() {
        "CreateRole" => {
            // Tags on create also need TagRole (IAM's tag-on-create, as for the other services).
            let r = field("RoleName").map(role);
            pairs.push(("iam:TagRole".into(), r.clone().unwrap_or_default()));
            r
        }
        "CreateServiceLinkedRole" => field("AWSServiceName")
            .map(|svc| role(format!("aws-service-role/{svc}/AWSServiceRoleForECS"))),
        _ if field("RoleName").as_deref() == Some("AWSServiceRoleForECS") => Some(role(
            "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS".into(),
        )),
        _ => field("RoleName").map(role),
    }
}

/// EC2: security groups and their rules (tag-on-create needs CreateTags).
fn ec2(call: &Call, fields: &Fields, (action, pairs): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match call.action.as_str() {
        "CreateSecurityGroup" => {
            pairs.push((
                action.clone(),
                arn("ec2", format!("vpc/{}", field("VpcId").unwrap_or_default())),
            ));
            pairs.push((
                "ec2:CreateTags".into(),
                arn("ec2", "security-group/sg-new".into()),
            ));
            Some(arn("ec2", "security-group/sg-new".into()))
        }
        "AuthorizeSecurityGroupEgress" if field("TagSpecification.1.ResourceType").is_some() => {
            // The tagged new rule is a resource of the call, and needs CreateTags (tag-on-create).
            let rule = arn("ec2", "security-group-rule/sgr-new".into());
            pairs.push((action.clone(), rule.clone()));
            pairs.push(("ec2:CreateTags".into(), rule));
            field("GroupId").map(|g| arn("ec2", format!("security-group/{g}")))
        }
        "RevokeSecurityGroupEgress" => {
            // Revoked by rule id: each rule is a resource of the call, beside its group.
            let rules = (1..).map_while(|i| field(&format!("SecurityGroupRuleId.{i}")));
            for id in rules.collect::<Vec<_>>() {
                pairs.push((
                    action.clone(),
                    arn("ec2", format!("security-group-rule/{id}")),
                ));
            }
            field("GroupId").map(|g| arn("ec2", format!("security-group/{g}")))
        }
        "CreateTags" | "DeleteTags" => {
            field("ResourceId.1").map(|g| arn("ec2", format!("security-group/{g}")))
        }
        a if a.starts_with("Describe") => Some("*".into()),
        _ => field("GroupId").map(|g| arn("ec2", format!("security-group/{g}"))),
    }
}

/// CloudWatch Logs: log groups.
fn logs(call: &Call, fields: &Fields, (_, pairs): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match call.action.as_str() {
        "DescribeLogGroups" => Some("*".into()),
        "CreateLogGroup" => {
            let g = arn(
                "logs",
                format!("log-group:{}", field("logGroupName").unwrap_or_default()),
            );
            tagged(pairs, "logs:TagResource", g)
        }
        "TagResource" | "UntagResource" | "ListTagsForResource" => field("resourceArn"),
        "GetLogEvents" => {
            let (g, s) = (field("logGroupName"), field("logStreamName"));
            Some(arn("logs", format!("log-group:{}:log-stream:{}", g?, s?)))
        }
        _ => field("logGroupName").map(|g| arn("logs", format!("log-group:{g}"))),
    }
}

/// ECS: clusters, services, task definitions (RegisterTaskDefinition passes both roles).
fn ecs(call: &Call, fields: &Fields, (_, pairs): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    let cluster = cluster_of(field("cluster").unwrap_or_default());
    let service = |name: String| arn("ecs", format!("service/{cluster}/{name}"));
    match call.action.as_str() {
        "RegisterTaskDefinition" => {
            for key in ["executionRoleArn", "taskRoleArn"] {
                pairs.push(("iam:PassRole".into(), field(key).unwrap_or_default()));
            }
            let family = field("family").unwrap_or_default();
            let revision = arn("ecs", format!("task-definition/{family}:1"));
            tagged(pairs, "ecs:TagResource", revision)
        }
        "ListTaskDefinitions" | "DescribeTaskDefinition" | "DeregisterTaskDefinition" => {
            Some("*".into())
        }
        "CreateCluster" => {
            let c = arn(
                "ecs",
                format!("cluster/{}", field("clusterName").unwrap_or_default()),
            );
            tagged(pairs, "ecs:TagResource", c)
        }
        "DescribeClusters" => fields.body["clusters"][0]
            .as_str()
            .map(|c| arn("ecs", format!("cluster/{}", cluster_of(c.into())))),
        "DeleteCluster" | "PutClusterCapacityProviders" | "UpdateCluster" => {
            field("cluster").map(|c| arn("ecs", format!("cluster/{}", cluster_of(c))))
        }
        "CreateService" => {
            let s = service(field("serviceName").unwrap_or_default());
            tagged(pairs, "ecs:TagResource", s)
        }
        "DescribeServices" => {
            let name = fields.body["services"][0].as_str().unwrap_or_default();
            Some(service(name.to_string()))
        }
        "UpdateService" => {
            // A native strategy's load balancer passes the traffic role to ECS.
            let advanced = &fields.body["loadBalancers"][0]["advancedConfiguration"];
            if let Some(role) = advanced["roleArn"].as_str() {
                pairs.push(("iam:PassRole".into(), role.to_string()));
            }
            Some(service(field("service").unwrap_or_default()))
        }
        "ListServiceDeployments" | "DeleteService" => {
            Some(service(field("service").unwrap_or_default()))
        }
        "DescribeServiceDeployments" => fields.body["serviceDeploymentArns"][0]
            .as_str()
            .map(str::to_string),
        "ContinueServiceDeployment" => field("serviceDeploymentArn"),
        "TagResource" | "UntagResource" | "ListTagsForResource" => field("resourceArn"),
        _ => ecs_tasks(call, fields, (&cluster, pairs)),
    }
}

/// ECS tasks: one-off tasks run (tagged on create), read, listed and stopped.
fn ecs_tasks(
    call: &Call,
    fields: &Fields,
    (cluster, pairs): (&str, &mut Vec<(String, String)>),
) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match call.action.as_str() {
        "RunTask" => {
            let task = arn("ecs", format!("task/{cluster}/new"));
            pairs.push(("ecs:TagResource".into(), task));
            field("taskDefinition")
        }
        "StopTask" => field("task"),
        "DescribeTasks" => fields.body["tasks"][0].as_str().map(str::to_string),
        "ListTasks" => Some("*".into()),
        _ => None,
    }
}

/// ELBv2: target groups and listener rules.
fn elb(call: &Call, fields: &Fields, (_, pairs): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match call.action.as_str() {
        a if a.starts_with("Describe") => Some("*".into()),
        "CreateTargetGroup" => {
            let tg = arn(
                "elasticloadbalancing",
                format!("targetgroup/{}/new", field("Name").unwrap_or_default()),
            );
            tagged(pairs, "elasticloadbalancing:AddTags", tg)
        }
        "CreateRule" => {
            let rule = field("ListenerArn")
                .unwrap_or_default()
                .replace(":listener/", ":listener-rule/")
                + "/new";
            pairs.push(("elasticloadbalancing:AddTags".into(), rule));
            field("ListenerArn")
        }
        "AddTags" | "RemoveTags" => field("ResourceArns.member.1"),
        "SetRulePriorities" => field("RulePriorities.member.1.RuleArn"),
        _ => field("TargetGroupArn").or_else(|| field("RuleArn")),
    }
}

/// The rest: the tagging API, CloudFormation reads, the continuation key, the function itself.
fn others(call: &Call, fields: &Fields, (action, _): Needs) -> Option<String> {
    let field = |k: &str| fields.get(k);
    match (call.service.as_str(), call.action.as_str()) {
        // The Resource Groups Tagging API signs as `tagging`; its IAM prefix is `tag`, and
        // GetResources has no resource-level permissions.
        ("tagging", "GetResources") => {
            *action = "tag:GetResources".into();
            Some("*".into())
        }
        ("cloudformation", "DescribeStacks" | "DescribeStackResource" | "DescribeStackEvents") => {
            field("StackName")
        }
        // The continuation key's MACs (its key policy grants them: `template::policies`).
        ("kms", "GenerateMac" | "VerifyMac") => field("KeyId"),
        ("lambda", "Invoke") => {
            *action = "lambda:InvokeFunction".into();
            call.target.split('/').nth(3).map(percent_decode)
        }
        _ => None,
    }
}
