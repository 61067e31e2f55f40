//! Preflight: read-only checks of the account and network before any write, on Create and
//! before a replacement, so that a deployment that could never become healthy fails in
//! seconds (every problem named) instead of at CloudFormation's `ServiceTimeout`. One round
//! trip of concurrent reads ([`facts`]), a second only when a question remains; the checks
//! themselves are pure ([`checks`], [`egress`]). Delete and in-place Updates never run them
//! (a rollback must not be blocked by a check). `prod-e plan --check` prints the same list.

pub mod checks;
pub mod egress;
pub mod facts;
pub mod outbound;
pub mod priority;
pub mod reach;
pub mod shadowing;
#[cfg(test)]
mod tests;

use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::Deployment;
use crate::progress::step;
use crate::resources::listener_rule::ListenerRule;
use crate::spec::schema::{Effect, SECURITY_GROUP_IDS};
use crate::spec::{Diff, Spec};

/// One line of the checklist: what was checked, and the problem if it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What was checked ("VPC vpc-1 exists").
    pub what: String,
    /// What is wrong, if anything.
    pub problem: Option<String>,
}

impl Check {
    fn new(what: impl Into<String>, problem: Option<String>) -> Self {
        Check {
            what: what.into(),
            problem,
        }
    }
}

/// Everything preflight checked, and the priority a new listener rule gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The checklist, in the order checked.
    pub checks: Vec<Check>,
    /// `RulePriority`, or the free priority derived for this stack resource.
    pub priority: u32,
    /// The rule of this stack resource on the listener, if preflight read it ([`facts::Facts`]).
    pub rule: Option<ListenerRule>,
}

impl Report {
    /// The priority for a new rule and the rule of ours preflight found, or
    /// [`Error::Preflight`] naming every problem.
    pub fn accept(self) -> Result<(u32, Option<ListenerRule>)> {
        let problems: Vec<String> = self.checks.into_iter().filter_map(|c| c.problem).collect();
        match problems.is_empty() {
            true => Ok((self.priority, self.rule)),
            false => Err(Error::Preflight { problems }),
        }
    }
}

/// The checks an in-place Update from `old` to `new` runs before any write (none on
/// CloudFormation's rollback, which puts back what was accepted: the caller's to skip): when
/// the rule's conditions or priority change, that it takes no other owner's traffic
/// ([`shadowing::in_place`]), and when the test route (`test`, the set's test rule) is new,
/// changes or the rule moves, the same of the test rule ([`shadowing::test_in_place`]); when
/// prod-e stops managing the load balancer's outbound rule to
/// the tasks' group `group`, that the load balancer still reaches them ([`reach::in_place`]);
/// on the network read now ([`network_in_place`]), that changed `SecurityGroupIds` exist in
/// `VpcId`, and, with `Egress`, when it or what the tasks reach out to changes, that the
/// tasks can still start.
pub async fn in_place(
    c: &Clients,
    d: &Deployment,
    (old, new, diff): (&Spec, &Spec, &Diff),
    (rule, test, group): (&ListenerRule, Option<&ListenerRule>, &str),
) -> Result<()> {
    if diff.reroutes(new) {
        let check = shadowing::in_place(c, d, new, rule);
        step("checking the listener's other rules", check).await?;
    }
    let retests = old.test_routing() != new.test_routing()
        || !old.native_strategy()
        || diff.any(Effect::Priority);
    if new.test_routing().is_some() && retests {
        let check = Box::pin(shadowing::test_in_place(c, d, new, (rule, test)));
        step(
            "checking the listener's other rules for the test rule",
            check,
        )
        .await?;
    }
    if old.load_balancer_egress && !new.load_balancer_egress {
        let check = reach::in_place(c, new, group);
        step("checking the load balancer's way to the tasks", check).await?;
    }
    let joins = diff.changed.contains(SECURITY_GROUP_IDS.name);
    let reaches_out = [
        Effect::Egress,
        Effect::TaskDefinition,
        Effect::Secrets,
        Effect::SecretsKey,
        Effect::Exec,
        Effect::Network,
    ];
    let starts = !new.egress.is_empty() && reaches_out.iter().any(|e| diff.any(*e));
    if joins || starts {
        let check = network_in_place(c, new, (joins, starts));
        step("checking the tasks' network", check).await?;
    }
    Ok(())
}

/// [`checks::joined_groups`] (if `joins`) and [`outbound::check`] (if `starts`) on the
/// network of `spec` read now, or [`Error::Preflight`] naming every problem.
async fn network_in_place(c: &Clients, spec: &Spec, (joins, starts): (bool, bool)) -> Result<()> {
    let facts = facts::network(c, spec).await?;
    let mut checked = Vec::new();
    if joins {
        checked.extend(checks::joined_groups(spec, &facts));
    }
    if starts {
        checked.extend(outbound::check(spec, &facts));
    }
    let problems: Vec<String> = checked.into_iter().filter_map(|c| c.problem).collect();
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Error::Preflight { problems }),
    }
}

/// Reads the account and network and checks them for `spec`, deployed as `d`.
pub async fn run(c: &Clients, d: &Deployment, spec: &Spec) -> Result<Report> {
    let facts = facts::gather(c, d, spec).await?;
    Ok(evaluate(spec, &facts, priority::derived(d)))
}

/// The checks of `facts` for `spec`; `derived` is where a free priority is looked for.
pub fn evaluate(spec: &Spec, facts: &facts::Facts, derived: u32) -> Report {
    let mut all = checks::network(spec, facts);
    all.extend(checks::load_balancer(spec, facts));
    all.extend(checks::joined_groups(spec, facts));
    all.extend(reach::check(spec, facts));
    let (rule, priority) = checks::rule(spec, facts, derived);
    all.extend(rule);
    all.extend(checks::egress(spec, facts));
    all.extend(outbound::check(spec, facts));
    Report {
        checks: all,
        priority,
        rule: facts.rule.clone(),
    }
}
