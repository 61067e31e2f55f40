//! The function's IAM policy as the template states it, and IAM's judgement of recorded AWS
//! calls against it: every (action, resource) pair a call needs, implied ones included
//! (tagging on create, passing roles), with the condition keys IAM would see — the tags in the
//! request, the ownership tag the resource carried (read by the [`super::ownership`] probe), the
//! service a role is passed to, the policy attached, a role's permissions boundary. Used by `tests/policy.rs` (one whole life)
//! and `examples/policy.rs` (every call of the whole suite).

mod needs;
mod scaling;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub use super::template::{statements, Parameters, Statement};
use crate::call::Call;
pub use crate::call::Fields;

/// What IAM would know about one (action, resource) pair when it evaluates the conditions.
#[derive(Debug, Default)]
pub struct Context {
    /// The ownership tag in the request, if it sets one.
    request_owner: Option<String>,
    /// The ownership tag the resource carried when the call was made.
    resource_owner: Option<String>,
    /// The tag keys the request sets (IAM's form parameters `Tags.member.N.Key`; the only
    /// calls whose statements limit them).
    request_tag_keys: Vec<String>,
    /// Other condition keys (iam:PassedToService, iam:PolicyARN, iam:AWSServiceName,
    /// iam:PermissionsBoundary).
    values: BTreeMap<String, String>,
}

impl Context {
    /// Whether the value of `key` matches one of `patterns`; for `aws:TagKeys`
    /// (ForAllValues), whether every tag key of the request does.
    fn holds(&self, key: &str, patterns: &[String]) -> bool {
        if key == "aws:TagKeys" {
            let listed = |k: &String| patterns.iter().any(|p| glob(p, k));
            return self.request_tag_keys.iter().all(listed);
        }
        patterns.iter().any(|p| self.matches(key, p))
    }

    fn matches(&self, key: &str, pattern: &str) -> bool {
        match key {
            "aws:RequestTag/prod-e:physical-id" => self
                .request_owner
                .as_deref()
                .is_some_and(|v| glob(pattern, v)),
            "aws:ResourceTag/prod-e:physical-id" => self
                .resource_owner
                .as_deref()
                .is_some_and(|v| glob(pattern, v)),
            other => self.values.get(other).is_some_and(|v| glob(pattern, v)),
        }
    }
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob(rest, &text[head.len() + i..])
                })
        }
    }
}

/// The value of the ownership tag a request sets, in any of the wire formats: form
/// (`...Key=prod-e:physical-id&...Value=v`) or JSON (`{"key": ..., "value": v}` lists, or maps).
fn request_owner(call: &Call) -> Option<String> {
    const KEY: &str = "prod-e:physical-id";
    let Fields { form, body } = Fields::of(call);
    let in_form = form
        .iter()
        .find(|(name, value)| name.ends_with("Key") && value.as_str() == KEY)
        .and_then(|(name, _)| form.get(&format!("{}Value", name.trim_end_matches("Key"))))
        .cloned();
    fn in_json(v: &Value) -> Option<String> {
        match v {
            Value::Object(map) => {
                let key = map.get("key").or_else(|| map.get("Key"));
                if key.and_then(Value::as_str) == Some(KEY) {
                    let value = map.get("value").or_else(|| map.get("Value"));
                    return value.and_then(Value::as_str).map(str::to_string);
                }
                if let Some(v) = map.get(KEY).and_then(Value::as_str) {
                    return Some(v.to_string());
                }
                map.values().find_map(in_json)
            }
            Value::Array(items) => items.iter().find_map(in_json),
            _ => None,
        }
    }
    in_form.or_else(|| in_json(&body))
}

/// The (action, resource ARN, context) triples IAM evaluates for one recorded call, implied
/// ones included (tagging on create, passing roles).
fn evaluated(call: &Call) -> Vec<(String, String, Context)> {
    if let Some(triples) = scaling::evaluated(call) {
        return triples;
    }
    let svc = if call.service == "elasticloadbalancing" {
        "elasticloadbalancing"
    } else {
        call.service.as_str()
    };
    let mut action = format!("{svc}:{}", call.action);
    let fields = Fields::of(call);
    let mut pairs = vec![];
    let resource = needs::resource(call, &fields, svc, (&mut action, &mut pairs));
    pairs.push((
        action,
        resource.unwrap_or_else(|| format!("(no resource read from {})", call.body)),
    ));
    pairs
        .into_iter()
        .map(|(action, resource)| {
            let context = context(call, &fields, svc, &action);
            (action, resource, context)
        })
        .collect()
}

/// The condition keys IAM sees for `action` in `call` (of service `svc`).
fn context(call: &Call, fields: &Fields, svc: &str, action: &str) -> Context {
    let field = |k: &str| fields.get(k);
    let mut values = BTreeMap::new();
    if action == "iam:PassRole" {
        // RegisterTaskDefinition passes the roles to ECS tasks, UpdateService the traffic
        // role to ECS itself.
        let service = match call.action.as_str() {
            "UpdateService" => "ecs.amazonaws.com",
            _ => "ecs-tasks.amazonaws.com",
        };
        values.insert("iam:PassedToService".to_string(), service.to_string());
    }
    if let Some(policy) = field("PolicyArn") {
        values.insert("iam:PolicyARN".to_string(), policy);
    }
    // Tags given in a create need the tagging action too, with the create's name in the
    // service's CreateAction key (tag-on-create; a direct tagging call has none).
    let tag_on_create = [
        ("ec2:CreateTags", "ec2:CreateAction"),
        ("ecs:TagResource", "ecs:CreateAction"),
        (
            "elasticloadbalancing:AddTags",
            "elasticloadbalancing:CreateAction",
        ),
    ];
    for (tagging, key) in tag_on_create {
        if action == tagging && !tagging.ends_with(&format!(":{}", call.action)) {
            values.insert(key.to_string(), call.action.clone());
        }
    }
    if let Some(algorithm) = field("MacAlgorithm") {
        values.insert("kms:MacAlgorithm".to_string(), algorithm);
    }
    if let Some(service) = field("AWSServiceName") {
        values.insert("iam:AWSServiceName".to_string(), service);
    }
    // The boundary a request sets (CreateRole, PutRolePermissionsBoundary), else the one the
    // role carries.
    let boundary = field("PermissionsBoundary").or_else(|| call.probed.boundary.clone());
    if let Some(boundary) = boundary.filter(|_| svc == "iam") {
        values.insert("iam:PermissionsBoundary".to_string(), boundary);
    }
    let tag_keys = fields
        .form
        .iter()
        .filter(|(name, _)| name.starts_with("Tags.member.") && name.ends_with(".Key"));
    Context {
        request_owner: request_owner(call),
        resource_owner: call.probed.owner.clone(),
        request_tag_keys: tag_keys.map(|(_, key)| key.clone()).collect(),
        values,
    }
}

/// What IAM would make of `calls` under `statements`.
pub struct Verdict {
    /// Each call IAM would deny: action, resource and the condition keys it saw.
    pub denied: BTreeSet<String>,
    /// Each (statement, action) no call needed.
    pub unused: Vec<String>,
    /// How many (action, resource) pairs were judged.
    pub judged: usize,
}

pub fn judge(statements: &[Statement], calls: &[Call]) -> Verdict {
    let mut denied = BTreeSet::new();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut judged = 0;
    for call in calls {
        for (action, resource, context) in evaluated(call) {
            judged += 1;
            let allowing: Vec<&Statement> = statements
                .iter()
                .filter(|s| {
                    s.actions.iter().any(|a| glob(a, &action))
                        && s.resources.iter().any(|r| glob(r, &resource))
                        && s.conditions.iter().all(|(k, v)| context.holds(k, v))
                })
                .collect();
            if allowing.is_empty() {
                denied.insert(format!("{action} on {resource} with {context:?}"));
            }
            for s in allowing {
                used.insert((s.sid.clone(), action.clone()));
            }
        }
    }
    let unused = statements
        .iter()
        .flat_map(|s| s.actions.iter().map(move |a| (s.sid.clone(), a.clone())))
        .filter(|grant| !used.contains(grant))
        .map(|(sid, a)| format!("{sid}: {a}"))
        .collect();
    Verdict {
        denied,
        unused,
        judged,
    }
}

#[cfg(test)]
mod tests;
