//! The suite-wide policy judgement (`examples/policy.rs`): every call the suite's proxies
//! logged, judged against the function's policy in `bootstrap-template.yaml` resolved with the
//! parameters of the function's stack the call was made under. `VpcId` and `ListenerArn` are
//! always exactly those of the networks the call's account deploys behind (no wildcard); the
//! optional parameters are judged twice: once with the template's defaults, once with
//! [`SUITE_PARAMETERS`], the restrictive set the suite's stacks need.

use std::collections::{BTreeMap, BTreeSet};

use super::iam::{judge, statements, Fields, Parameters};
use super::proxy::Call;

/// `TaskRoleAllowedPolicyArns` as an operator running the suite's stacks would set it: exactly
/// the managed policies the tests attach (`TaskRolePolicyArns`), nothing broader.
pub const SUITE_PARAMETERS: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
];

/// What the judgement found.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Calls judged, and (action, resource) pairs among them.
    pub calls: usize,
    pub judged: usize,
    /// Calls logged by a proxy whose account deploys behind no network: unjudgeable.
    pub unattributed: usize,
    /// Denied under [`SUITE_PARAMETERS`].
    pub denied: BTreeSet<String>,
    /// Denied under the template's defaults, other than the attachments the defaults forbid.
    pub denied_by_defaults: BTreeSet<String>,
    /// Task-role policy attachments the defaults refuse (`TaskRoleAllowedPolicyArns` empty),
    /// as the template intends.
    pub refused_by_defaults: usize,
    /// Task-role policy attachments among the calls (each must be refused by the defaults).
    pub task_role_attachments: usize,
    /// Each `statement: action` of the restrictive policy no call needed.
    pub unused: BTreeSet<String>,
}

impl Judgement {
    pub fn passed(&self) -> bool {
        self.unattributed == 0
            && self.denied.is_empty()
            && self.denied_by_defaults.is_empty()
            && self.refused_by_defaults == self.task_role_attachments
            && self.unused.is_empty()
    }
}

/// Judges `calls`, grouped by the networks they were made behind.
pub fn judge_suite(calls: &[Call]) -> Judgement {
    let mut groups: BTreeMap<&[(String, String)], Vec<Call>> = BTreeMap::new();
    for call in calls {
        groups.entry(&call.networks).or_default().push(call.clone());
    }
    let mut j = Judgement {
        calls: calls.len(),
        unattributed: groups.remove(&[][..]).map_or(0, |g| g.len()),
        ..Judgement::default()
    };
    let mut unused: Option<BTreeSet<String>> = None;
    for (networks, group) in &groups {
        let restrictive = judge(&resolved(networks, SUITE_PARAMETERS), group);
        j.judged += restrictive.judged;
        j.denied.extend(restrictive.denied);
        let here: BTreeSet<String> = restrictive.unused.into_iter().collect();
        unused = Some(match unused {
            Some(before) => before.intersection(&here).cloned().collect(),
            None => here,
        });
        let defaults = resolved(networks, &[]);
        let (attachments, rest): (Vec<Call>, Vec<Call>) =
            group.iter().cloned().partition(is_task_role_attachment);
        j.denied_by_defaults.extend(judge(&defaults, &rest).denied);
        j.task_role_attachments += attachments.len();
        j.refused_by_defaults += attachments
            .iter()
            .filter(|a| !judge(&defaults, std::slice::from_ref(a)).denied.is_empty())
            .count();
    }
    j.unused = unused.unwrap_or_default();
    j
}

/// The template's statements for a stack behind each of `networks` (a call is allowed if one
/// of them allows it), with `TaskRoleAllowedPolicyArns` = `allowed`.
fn resolved(networks: &[(String, String)], allowed: &[&str]) -> Vec<super::iam::Statement> {
    networks
        .iter()
        .flat_map(|(vpc, listener)| {
            statements(&Parameters {
                vpc_id: Some(vpc),
                listener_arn: Some(listener),
                task_role_allowed_policy_arns: Some(allowed),
            })
        })
        .collect()
}

/// Whether `call` attaches a managed policy to a task role (what an empty
/// `TaskRoleAllowedPolicyArns` exists to refuse).
fn is_task_role_attachment(call: &Call) -> bool {
    call.action == "AttachRolePolicy"
        && Fields::of(call)
            .get("RoleName")
            .is_some_and(|role| role.ends_with("-task"))
}
