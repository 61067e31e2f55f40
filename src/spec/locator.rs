//! What Delete needs to find a deployment's resources, read leniently from properties that
//! may no longer be valid.

use serde_json::Value;

use super::schema::{self, Property};
use super::{default_text, Spec};

/// What Delete needs to find a deployment's resources, read leniently from properties that
/// may no longer be valid: a property that is missing or malformed falls back to its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// ClusterName (default if not valid).
    pub cluster_name: String,
    /// ServiceName (default if not valid).
    pub service_name: String,
    /// TaskFamily (default if not valid).
    pub task_family: String,
    /// ListenerArn, if valid.
    pub listener_arn: Option<String>,
    /// VpcId, if valid.
    pub vpc_id: Option<String>,
    /// LoadBalancerSecurityGroupId, if valid (where a managed outbound rule to the tasks is).
    pub load_balancer_security_group_id: Option<String>,
}

impl Locator {
    /// The locator of whatever `properties` hold, valid or not.
    pub fn from_properties(properties: &Value) -> Self {
        let text = |p: &Property| {
            let value = properties.get(p.name).and_then(Value::as_str);
            let valid = |s: &&str| match p.kind {
                schema::Kind::Text { check, .. } => !s.is_empty() && check(s).is_ok(),
                _ => false,
            };
            value.filter(valid).map(str::to_string)
        };
        let named = |p: &Property| text(p).unwrap_or_else(|| default_text(p).to_string());
        Locator {
            cluster_name: named(&schema::CLUSTER_NAME),
            service_name: named(&schema::SERVICE_NAME),
            task_family: named(&schema::TASK_FAMILY),
            listener_arn: text(&schema::LISTENER_ARN),
            vpc_id: text(&schema::VPC_ID),
            load_balancer_security_group_id: text(&schema::LOAD_BALANCER_SECURITY_GROUP_ID),
        }
    }
}

impl From<&Spec> for Locator {
    fn from(spec: &Spec) -> Self {
        Locator {
            cluster_name: spec.cluster_name.clone(),
            service_name: spec.service_name.clone(),
            task_family: spec.task_family.clone(),
            listener_arn: Some(spec.listener_arn.clone()),
            vpc_id: Some(spec.vpc_id.clone()),
            load_balancer_security_group_id: Some(spec.load_balancer_security_group_id.clone()),
        }
    }
}
