//! The probe the proxy runs before forwarding a call: the ownership tag that the resource
//! a changing call acts on carries at that moment, and an IAM role's permissions boundary,
//! read straight from moto (what IAM's `aws:ResourceTag` and `iam:PermissionsBoundary`
//! condition keys would see). Scalable targets and alarms: `ownership/scaling.rs`.

mod scaling;

use std::sync::Arc;

use prod_e::aws::Clients;
use prod_e::naming::{Tags, OWNER_TAG};
use prod_e::resources::{role, security_group, tags};

use super::aws_rules::{AwsRules, Upstream};
use super::rollout::Rollouts;
use super::{ACCOUNT, REGION};
use crate::call::Fields;
use crate::call::{Call, Probe, Probed};

/// A [`Probe`] reading from moto with `c`, and a scalable target's tags from `rules` (the
/// proxy's: moto keeps none).
pub fn probe(c: Clients, rules: Arc<AwsRules>) -> Probe {
    let http = prod_e::aws::http_client_builder()
        .no_proxy()
        .build()
        .expect("probe client");
    let moto = Upstream::new(
        &c,
        http,
        super::moto::endpoint(),
        Arc::new(Rollouts::default()),
    );
    Arc::new(move |call| {
        let (c, rules, moto) = (c.clone(), rules.clone(), moto.clone());
        Box::pin(async move {
            let owner = match call.service.as_str() {
                "application-autoscaling" | "monitoring" => {
                    scaling::owner(&moto, &rules, &call).await
                }
                "ecs" if call.action == "StopTask" => {
                    rules.one_off_owner(&Fields::of(&call).get("task").unwrap_or_default())
                }
                _ => resource_owner(&c, &call).await,
            };
            Probed {
                owner,
                boundary: role_boundary(&c, &call).await,
                service_owner: scaling::service_owner(&c, &call).await,
            }
        })
    })
}

/// The permissions boundary of the IAM role a changing call acts on, if it has one.
async fn role_boundary(c: &Clients, call: &Call) -> Option<String> {
    let name = Fields::of(call).get("RoleName")?;
    let reads = ["Get", "List"].iter().any(|p| call.action.starts_with(p));
    if call.service != "iam" || call.action == "CreateRole" || reads {
        return None;
    }
    role::find(&c.iam, &name).await.ok()??.boundary
}

/// The ownership tag of the ECS resource `arn` (a cluster or service).
async fn ecs_owner(c: &Clients, arn: String) -> Option<String> {
    owner(tags::ecs::of(&c.ecs, &arn).await)
}

/// The ownership tag among `tags`, if they were read.
fn owner(tags: prod_e::error::Result<Tags>) -> Option<String> {
    tags.ok()?.get(OWNER_TAG).cloned()
}

/// The probe: the ownership tag the resource a changing call acts on carries now (read from
/// moto before the call is forwarded); `None` for calls that create or only read.
pub async fn resource_owner(c: &Clients, call: &Call) -> Option<String> {
    let fields = Fields::of(call);
    let field = |k: &str| fields.get(k);
    let log_arn = |name: String| format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}");
    let ecs_arn = |tail: String| format!("arn:aws:ecs:{REGION}:{ACCOUNT}:{tail}");
    let short = |arn: String| arn.rsplit('/').next().unwrap_or(&arn).to_string();
    match (call.service.as_str(), call.action.as_str()) {
        ("iam", "CreateRole" | "GetRole" | "ListAttachedRolePolicies" | "ListRolePolicies") => None,
        ("iam", _) => role_owner(c, field("RoleName")?).await,
        ("ecs", "RegisterTaskDefinition") => {
            // The roles it passes: both must carry the tag (the execution role's value stands
            // for both).
            let task = role_owner(c, short(field("taskRoleArn")?)).await;
            role_owner(c, short(field("executionRoleArn")?))
                .await
                .filter(|_| task.is_some())
        }
        ("ecs", "DeleteCluster" | "PutClusterCapacityProviders" | "UpdateCluster") => {
            ecs_owner(c, ecs_arn(format!("cluster/{}", short(field("cluster")?)))).await
        }
        ("ecs", "UpdateService" | "DeleteService") => {
            let (cluster, service) = (short(field("cluster")?), field("service")?);
            ecs_owner(c, ecs_arn(format!("service/{cluster}/{service}"))).await
        }
        ("ecs", "TagResource" | "UntagResource") => ecs_owner(c, field("resourceArn")?).await,
        ("ec2", "CreateTags" | "DeleteTags") => sg_owner(c, field("ResourceId.1")?).await,
        (
            "ec2",
            "AuthorizeSecurityGroupIngress"
            | "RevokeSecurityGroupIngress"
            | "AuthorizeSecurityGroupEgress"
            | "RevokeSecurityGroupEgress"
            | "DeleteSecurityGroup",
        ) => sg_owner(c, field("GroupId")?).await,
        ("logs", "PutRetentionPolicy" | "DeleteLogGroup") => {
            logs_owner(c, log_arn(field("logGroupName")?)).await
        }
        ("logs", "TagResource" | "UntagResource") => logs_owner(c, field("resourceArn")?).await,
        ("elasticloadbalancing", a) if !a.starts_with("Describe") && !a.starts_with("Create") => {
            let arn = field("TargetGroupArn")
                .or_else(|| field("RuleArn"))
                .or_else(|| field("ResourceArns.member.1"))
                .or_else(|| field("RulePriorities.member.1.RuleArn"))?;
            elb_owner(c, arn).await
        }
        _ => None,
    }
}

/// The ownership tag of IAM role `name`.
async fn role_owner(c: &Clients, name: String) -> Option<String> {
    owner(Ok(role::find(&c.iam, &name).await.ok()??.tags))
}

/// The ownership tag of ELBv2 resource `arn`.
async fn elb_owner(c: &Clients, arn: String) -> Option<String> {
    let arns = [arn];
    let mut by_arn = tags::elbv2::by_arn(&c.elb, &arns, "reading tags")
        .await
        .ok()?;
    owner(Ok(by_arn.remove(&arns[0])?))
}

/// The ownership tag of log group `arn`.
async fn logs_owner(c: &Clients, arn: String) -> Option<String> {
    owner(tags::logs::of(&c.logs, &arn).await)
}

/// The ownership tag of security group `id`.
async fn sg_owner(c: &Clients, id: String) -> Option<String> {
    owner(Ok(security_group::find_id(&c.ec2, &id).await.ok()??.tags))
}
