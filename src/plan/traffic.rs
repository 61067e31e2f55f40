//! The target group and the listener rule that associates it with the load balancer before
//! the service exists (AWS requires it) while sending it no traffic; and, when `RulePriority`
//! is not given, the rule's creation at a free priority, probing past priorities that
//! concurrent stacks take.

use super::adopt::{create_or_adopt, ensure};
use crate::aws::Clients;
use crate::error::{is_priority_in_use, Result};
use crate::naming::{Deployment, Tags};
use crate::preflight::priority;
use crate::progress::step;
use crate::resources::{listener_rule, target_group};
use crate::spec::Spec;

/// The target group, associated with the listener through a rule that sends it no traffic
/// yet: a new rule that matches no request, or (in a replacement) the old set's rule with
/// the new group at weight 0.
pub(super) async fn traffic(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    priority: u32,
    tags: &Tags,
) -> Result<(target_group::TargetGroup, listener_rule::ListenerRule)> {
    let tg_name = d.target_group();
    let tg = step(
        format!("creating target group ({tg_name})"),
        ensure(
            d,
            || target_group::find(&c.elb, &tg_name),
            || target_group::create(&c.elb, &tg_name, spec, tags),
        ),
    )
    .await?;
    let listener = &spec.listener_arn;
    let associate = async {
        let find = || listener_rule::find(&c.elb, listener, d);
        match find().await? {
            Some(rule) if rule.target_group_arns.contains(&tg.arn) => Ok(rule),
            Some(rule) => listener_rule::join(&c.elb, &rule, &tg.arn).await,
            None if spec.rule_priority.is_some() => {
                let arn = &tg.arn;
                let create =
                    || listener_rule::create_unrouted(&c.elb, listener, priority, arn, tags);
                create_or_adopt(d, find, create).await
            }
            None => create_at_free_priority(c, d, listener, priority, &tg.arn, tags).await,
        }
    };
    let rule = step(
        format!("associating target group ({tg_name}) with listener ({listener})"),
        associate,
    )
    .await?;
    Ok((tg, rule))
}

/// Creates the rule at `start`, or, when a concurrent stack took that priority since
/// preflight read the listener (`PriorityInUse`), at the next free one; a rule of ours made
/// meanwhile (a concurrent attempt of this deployment) is adopted. At most
/// [`priority::ATTEMPTS`] priorities are tried.
async fn create_at_free_priority(
    c: &Clients,
    d: &Deployment,
    listener: &str,
    start: u32,
    target_group_arn: &str,
    tags: &Tags,
) -> Result<listener_rule::ListenerRule> {
    let mut at = start;
    let mut attempt = 1;
    loop {
        let created =
            listener_rule::create_unrouted(&c.elb, listener, at, target_group_arn, tags).await;
        let err = match created {
            Err(err) if is_priority_in_use(&err) && attempt < priority::ATTEMPTS => err,
            other => return other,
        };
        let rules = listener_rule::find_all(&c.elb, listener).await?;
        if let Some(ours) = rules.iter().find(|r| d.owns(&r.tags)) {
            return Ok(ours.clone());
        }
        let taken: Vec<u32> = rules
            .iter()
            .filter_map(|r| r.priority.parse().ok())
            .collect();
        tracing::warn!(priority = at, error = %err, "priority taken meanwhile: probing on");
        at = priority::next_free(at, &taken).ok_or(err)?;
        attempt += 1;
    }
}
