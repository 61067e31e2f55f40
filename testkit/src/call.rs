//! The record of one AWS call as a test proxy saw it ([`Call`]): what was asked, what the
//! resource carried just before ([`Probed`]), and the stack parameters it was made under; one
//! line of the call log each; its parameters ([`Fields`]). A bottom file: it depends on nothing
//! else of the test kit but the HTTP parsing.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::http::percent_decode;

/// The network parameters of a deployment of the function's stack: (`VpcId`, `ListenerArn`,
/// `LoadBalancerSecurityGroupId`).
pub type Network = (String, String, String);

/// One call as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub service: String,
    pub action: String,
    /// When the call arrived and when it was answered (after any latency).
    pub arrived: std::time::Instant,
    pub answered: Option<std::time::Instant>,
    /// The request path and query.
    pub target: String,
    /// The request body (JSON or form), for checks on what was asked.
    pub body: String,
    /// Answered by an injected fault or a read-after-write delay of the AWS rules.
    pub faulted: bool,
    /// What the [`crate::proxy::Probe`], if one is set, saw before the call was forwarded.
    pub probed: Probed,
    /// The (VpcId, ListenerArn, LoadBalancerSecurityGroupId) parameters of the function's stack
    /// for each network the
    /// proxy's account deploys behind ([`crate::proxy::Proxy::deploys_behind`]): the policy judgement
    /// resolves the template with exactly these.
    pub networks: Vec<Network>,
    /// The `NamePrefix` parameter of the function's stack, if not the default
    /// ([`crate::proxy::Proxy::names_with`]).
    pub name_prefix: Option<String>,
}

/// What the resource a call acts on carried just before it (the condition keys IAM takes
/// from the resource).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Probed {
    /// Its ownership tag's value (`aws:ResourceTag/prod-e:physical-id`).
    pub owner: Option<String>,
    /// An IAM role's permissions boundary (`iam:PermissionsBoundary`).
    pub boundary: Option<String>,
    /// For a RegisterScalableTarget: the ownership tag of the ECS service it scales
    /// (Application Auto Scaling checks the caller's ecs:UpdateService on it).
    pub service_owner: Option<String>,
}

/// The environment variable naming the file every proxy appends its calls to.
pub const CALL_LOG: &str = "PROD_E_CALL_LOG";

impl Call {
    /// One line of the call log.
    pub(crate) fn logged(&self) -> String {
        let line = serde_json::json!({
            "service": self.service,
            "action": self.action,
            "target": self.target,
            "body": self.body,
            "probed": self.probed.owner,
            "boundary": self.probed.boundary,
            "service_owner": self.probed.service_owner,
            "networks": self.networks,
            "name_prefix": self.name_prefix,
        });
        format!("{line}\n")
    }

    /// A call read back from the call log.
    pub fn from_log(line: &str) -> Option<Call> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let text = |k: &str| v[k].as_str().map(str::to_string);
        Some(Call {
            service: text("service")?,
            action: text("action")?,
            arrived: std::time::Instant::now(),
            answered: None,
            target: text("target")?,
            body: text("body")?,
            faulted: false,
            probed: Probed {
                owner: text("probed"),
                boundary: text("boundary"),
                service_owner: text("service_owner"),
            },
            networks: serde_json::from_value(v["networks"].clone()).ok()?,
            name_prefix: text("name_prefix"),
        })
    }
}

/// Looks at each call before it is forwarded (e.g. at the tags of the resource it acts on).
pub type Probe = Arc<
    dyn Fn(Call) -> std::pin::Pin<Box<dyn std::future::Future<Output = Probed> + Send>>
        + Send
        + Sync,
>;

/// A request's parameters: form fields (query protocols) or top-level JSON strings.
pub struct Fields {
    pub form: BTreeMap<String, String>,
    pub body: Value,
}

impl Fields {
    pub fn of(call: &Call) -> Fields {
        Fields {
            form: call
                .body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), percent_decode(v)))
                .collect(),
            body: serde_json::from_str(&call.body).unwrap_or(Value::Null),
        }
    }

    pub fn get(&self, k: &str) -> Option<String> {
        self.form
            .get(k)
            .cloned()
            .or_else(|| self.body[k].as_str().map(str::to_string))
    }
}
