//! The suite-wide policy judgement (`examples/policy.rs`): every call the suite's proxies
//! logged, judged against the function's policy in `bootstrap-template.yaml` resolved with the
//! parameters of the function's stack the call was made under. `VpcId` and `ListenerArn` are
//! always exactly those of the networks the call's account deploys behind (no wildcard); the
//! optional parameters are judged twice: once with the template's defaults, once with
//! [`SUITE_PARAMETERS`], the restrictive set the suite's stacks need.

use std::collections::{BTreeMap, BTreeSet};

use super::iam::{judge, statements, Fields, Parameters};
use crate::call::Call;

/// `TaskRoleAllowedPolicyArns` as an operator running the suite's stacks would set it: exactly
/// the managed policies the tests attach (`TaskRolePolicyArns`), nothing broader.
pub const SUITE_PARAMETERS: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
];
/// `RoleTagKeys` as that operator would set it: the user tag keys tests let onto roles.
pub const SUITE_ROLE_TAG_KEYS: &[&str] = &["team", "a", "b"];

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
    /// Calls only an operator's opt-in allows (task-role policy attachments, user tags on
    /// roles) that the defaults refuse (`TaskRoleAllowedPolicyArns`, `RoleTagKeys` empty), as
    /// the template intends.
    pub refused_by_defaults: usize,
    /// Such calls among all (each must be refused by the defaults).
    pub opt_in_calls: usize,
    /// Each `statement: action` of the restrictive policy no call needed.
    pub unused: BTreeSet<String>,
}

impl Judgement {
    pub fn passed(&self) -> bool {
        self.unattributed == 0
            && self.denied.is_empty()
            && self.denied_by_defaults.is_empty()
            && self.refused_by_defaults == self.opt_in_calls
            && self.unused.is_empty()
    }
}

/// Judges `calls`, grouped by the install they were made by: the networks its stack deploys
/// behind and its name prefix.
pub fn judge_suite(calls: &[Call]) -> Judgement {
    type Install<'a> = (&'a [crate::proxy::Network], Option<&'a str>);
    let mut groups: BTreeMap<Install, Vec<Call>> = BTreeMap::new();
    for call in calls {
        let install = (&call.networks[..], call.name_prefix.as_deref());
        groups.entry(install).or_default().push(call.clone());
    }
    let unattributed: Vec<Install> = groups
        .keys()
        .filter(|(n, _)| n.is_empty())
        .copied()
        .collect();
    let mut j = Judgement {
        calls: calls.len(),
        unattributed: unattributed
            .iter()
            .filter_map(|k| groups.remove(k))
            .map(|g| g.len())
            .sum(),
        ..Judgement::default()
    };
    let mut unused: Option<BTreeSet<String>> = None;
    for ((networks, prefix), group) in &groups {
        let suite = (SUITE_PARAMETERS, SUITE_ROLE_TAG_KEYS);
        let restrictive = judge(&resolved((networks, *prefix), suite), group);
        j.judged += restrictive.judged;
        j.denied.extend(restrictive.denied);
        let here: BTreeSet<String> = restrictive.unused.into_iter().collect();
        unused = Some(match unused {
            Some(before) => before.intersection(&here).cloned().collect(),
            None => here,
        });
        let defaults = resolved((networks, *prefix), (&[], &[]));
        let (opt_ins, rest): (Vec<Call>, Vec<Call>) =
            group.iter().cloned().partition(needs_an_opt_in);
        j.denied_by_defaults.extend(judge(&defaults, &rest).denied);
        j.opt_in_calls += opt_ins.len();
        j.refused_by_defaults += opt_ins
            .iter()
            .filter(|a| !judge(&defaults, std::slice::from_ref(a)).denied.is_empty())
            .count();
    }
    j.unused = unused.unwrap_or_default();
    j
}

/// The template's statements for a stack behind each of `networks` (a call is allowed if one
/// of them allows it) with `NamePrefix` `name_prefix` (the default if `None`), with
/// `TaskRoleAllowedPolicyArns` and `RoleTagKeys` as given.
fn resolved(
    (networks, name_prefix): (&[crate::proxy::Network], Option<&str>),
    (policies, tag_keys): (&[&str], &[&str]),
) -> Vec<super::iam::Statement> {
    networks
        .iter()
        .flat_map(|(vpc, listener, group)| {
            statements(&Parameters {
                vpc_id: Some(vpc),
                listener_arn: Some(listener),
                load_balancer_security_group_id: Some(group),
                task_role_allowed_policy_arns: Some(policies),
                role_tag_keys: Some(tag_keys),
                name_prefix,
            })
        })
        .collect()
}

/// Whether `call` needs an operator's opt-in: it attaches a managed policy to a task role
/// (what an empty `TaskRoleAllowedPolicyArns` exists to refuse), or tags a role with a user's
/// key (what an empty `RoleTagKeys` exists to refuse).
fn needs_an_opt_in(call: &Call) -> bool {
    let fields = Fields::of(call);
    let user_key = |(name, key): (&String, &String)| {
        name.starts_with("Tags.member.") && name.ends_with(".Key") && !key.starts_with("prod-e:")
    };
    match call.action.as_str() {
        "AttachRolePolicy" => fields.get("RoleName").is_some_and(|r| r.ends_with("-task")),
        "CreateRole" | "TagRole" => fields.form.iter().any(user_key),
        _ => false,
    }
}
