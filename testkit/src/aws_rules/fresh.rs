//! Rule 8: read-after-write delays. After a create reaches moto, the first N uses of the new
//! resource (`proxy.rules.fresh_reads(n)`, default 1) do not find it, as on AWS where reads
//! are eventually consistent: a security group for AuthorizeSecurityGroupIngress, a cluster for
//! CreateService and for PutClusterCapacityProviders ("Cluster was not ACTIVE",
//! hashicorp/terraform-provider-aws#11285), a service for DescribeServices (left out,
//! `MISSING`), a role passed by RegisterTaskDefinition (iam:PassRole denied), the ECS
//! service-linked role (rule 7), and a
//! target group's new association with the load balancer through a rule just created or
//! modified, for CreateService (rule 1's error; terraform-provider-aws retries CreateService on
//! it for the same reason, `retryServiceCreate` in `internal/service/ecs/service.go`).
//!
//! Sources: <https://docs.amazonaws.cn/ec2/latest/devguide/eventual-consistency.html>,
//! <https://github.com/hashicorp/terraform/pull/15066>,
//! <https://github.com/hashicorp/terraform-provider-aws/pull/11701>,
//! <https://github.com/hashicorp/terraform-provider-aws/issues/11285>,
//! <https://docs.aws.amazon.com/AmazonECS/latest/userguide/api_failures_messages.html>,
//! <https://github.com/hashicorp/terraform-provider-aws/pull/3387>,
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency>.

use serde_json::{json, Value};

use super::ecs::cluster_of;
use super::wire;
use super::wire::text;
use super::{AwsRules, Fields, Refusal, Rule, Verdict};
use crate::call::Call;
use crate::ACCOUNT;

/// A resource whose first uses do not find it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    SecurityGroup(String),
    /// By name.
    Cluster(String),
    /// By ARN.
    Service(String),
    /// By ARN.
    Role(String),
    ServiceLinkedRole,
    /// A target group a rule was just made to forward to, by ARN.
    Association(String),
    /// A cluster just made, by name, for PutClusterCapacityProviders (not ACTIVE yet).
    ClusterActivating(String),
}

impl AwsRules {
    /// `key` was just made: its first N uses will not find it.
    pub(super) fn made(&self, key: Key) {
        self.with(|s| {
            if !s.off.contains(&Rule::FreshReads) && s.fresh_reads > 0 {
                s.fresh.insert(key, s.fresh_reads);
            }
        });
    }

    /// Whether this use of `key` is one that does not find it yet (and counts it).
    pub(super) fn take(&self, key: &Key) -> bool {
        self.with(|s| {
            let Some(left) = s.fresh.get_mut(key) else {
                return false;
            };
            *left -= 1;
            if *left == 0 {
                s.fresh.remove(key);
            }
            true
        })
    }
}

/// Remembers what a create that reached moto made.
pub fn record(rules: &AwsRules, call: &Call, reply: &[u8]) {
    let Some(body) = wire::ok_body(reply) else {
        return;
    };
    let json = || serde_json::from_str::<Value>(&body).unwrap_or_default();
    let keys = match (call.service.as_str(), call.action.as_str()) {
        ("ec2", "CreateSecurityGroup") => wire::xml_text(&body, "groupId")
            .map(Key::SecurityGroup)
            .into_iter()
            .collect(),
        ("iam", "CreateRole") => wire::xml_text(&body, "Arn")
            .map(Key::Role)
            .into_iter()
            .collect(),
        ("ecs", "CreateCluster") => {
            let name = text(&json()["cluster"]["clusterName"]);
            vec![Key::Cluster(name.clone()), Key::ClusterActivating(name)]
        }
        ("ecs", "CreateService") => vec![Key::Service(text(&json()["service"]["serviceArn"]))],
        ("elasticloadbalancing", "CreateRule" | "ModifyRule") => Fields::of(call)
            .form
            .iter()
            .filter(|(k, _)| k.ends_with("TargetGroupArn"))
            .map(|(_, arn)| Key::Association(arn.clone()))
            .collect(),
        _ => Vec::new(),
    };
    for key in keys {
        rules.made(key);
    }
}

/// CreateService naming a target group whose rule was made a moment ago.
pub fn association(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let arns = body["loadBalancers"].as_array()?;
    let fresh = arns
        .iter()
        .filter_map(|b| b["targetGroupArn"].as_str())
        .find(|arn| rules.take(&Key::Association(arn.to_string())))?;
    let message = format!(
        "The target group with targetGroupArn {fresh} does not have an associated load balancer."
    );
    Some(Verdict::Delay(Refusal::new(
        "InvalidParameterException",
        message,
    )))
}

/// AuthorizeSecurityGroupIngress of a new group.
pub fn security_group(rules: &AwsRules, fields: &Fields) -> Option<Verdict> {
    let id = fields.get("GroupId")?;
    let message = format!("The security group '{id}' does not exist");
    rules
        .take(&Key::SecurityGroup(id))
        .then(|| Verdict::Delay(Refusal::new("InvalidGroup.NotFound", message)))
}

/// CreateService in a new cluster.
pub fn cluster(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    rules.take(&Key::Cluster(cluster_of(body))).then(|| {
        Verdict::Delay(Refusal::new(
            "ClusterNotFoundException",
            "Cluster not found.",
        ))
    })
}

/// PutClusterCapacityProviders right after CreateCluster: `ClientException` "Cluster was not
/// ACTIVE" (hashicorp/terraform-provider-aws#11285, which retries it).
pub fn cluster_activating(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    rules
        .take(&Key::ClusterActivating(cluster_of(body)))
        .then(|| Verdict::Delay(Refusal::new("ClientException", "Cluster was not ACTIVE")))
}

/// RegisterTaskDefinition passing a new role (each named role's use counts once).
pub fn passed_roles(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let mut roles: Vec<&str> = ["executionRoleArn", "taskRoleArn"]
        .iter()
        .filter_map(|k| body[k].as_str())
        .collect();
    roles.dedup();
    let fresh: Vec<&str> = roles
        .into_iter()
        .filter(|arn| rules.take(&Key::Role(arn.to_string())))
        .collect();
    let message = format!(
        "User: arn:aws:sts::{ACCOUNT}:assumed-role/prod-e-provisioner/prod-e-provisioner is not authorized to perform: iam:PassRole on resource: {}",
        fresh.first()?
    );
    Some(Verdict::Delay(Refusal::new(
        "AccessDeniedException",
        message,
    )))
}

/// DescribeServices: new services are left out and reported `MISSING`; true if any was.
pub fn leave_out_services(rules: &AwsRules, doc: &mut Value) -> bool {
    let Some(services) = doc["services"].as_array_mut() else {
        return false;
    };
    let mut missing = Vec::new();
    services.retain(|s| {
        let arn = text(&s["serviceArn"]);
        let fresh = rules.take(&Key::Service(arn.clone()));
        if fresh {
            missing.push(json!({"arn": arn, "reason": "MISSING"}));
        }
        !fresh
    });
    if missing.is_empty() {
        return false;
    }
    if !doc["failures"].is_array() {
        doc["failures"] = json!([]);
    }
    if let Some(failures) = doc["failures"].as_array_mut() {
        failures.extend(missing);
    }
    true
}
