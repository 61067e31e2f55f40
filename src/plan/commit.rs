//! Routing traffic to a built set, the last step of a Create and of a replacement: the
//! listener rule moves to the new target group, and what the set took over from the set it
//! replaces (the cluster, the security group, the task role) becomes its own.

use super::set::Built;
use super::{network, roles, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::{role_tags, Tags, OWN_TAG_PREFIX};
use crate::progress::step;
use crate::resources::{listener_rule, security_group, tags};
use crate::spec::{Diff, Spec};

/// Routes traffic to a built set (the rule's priority first: if it cannot move, traffic has
/// not moved either): the listener rule forwards to its target group alone and matches the
/// set's path (one ModifyRule, so traffic switches at once, from nothing on a Create or from
/// the set it replaces), and what it took over from another set becomes this set's
/// ([`take_over`]). Converges when repeated.
pub(super) async fn commit(c: &Clients, owner: &Owner, spec: &Spec, b: Built) -> Result<Outputs> {
    let (d, tags, listener) = (
        &owner.deployment,
        owner.tags(&spec.tags),
        &spec.listener_arn,
    );
    let (rule, tg) = (&b.parts.rule, &b.parts.target_group.arn);
    let routing = spec.routing();
    let priority = spec
        .rule_priority
        .map_or(rule.priority.clone(), |p| p.to_string());
    let route = async {
        if let Some(p) = spec
            .rule_priority
            .filter(|p| rule.priority != p.to_string())
        {
            listener_rule::set_priority(&c.elb, rule, p).await?;
        }
        if !rule.routes_only(&routing, tg) {
            listener_rule::route(&c.elb, rule, &routing, tg).await?;
        }
        if !d.owns(&rule.tags) {
            tags::elbv2::update(&c.elb, &rule.arn, &rule.tags, &tags).await?;
        }
        Ok::<_, Error>(())
    };
    step(
        format!(
            "routing rule at priority {priority} on listener ({listener}) to ({})",
            b.parts.target_group.name
        ),
        route,
    )
    .await?;
    take_over(c, owner, spec, &b).await?;
    Ok(b.outputs(d, spec))
}

/// After traffic has moved: a set that was not made by a Create makes exactly its own what it
/// may hold from another set. The security group keeps only this spec's ingress and the task
/// role only its grants (the other set's tasks no longer get traffic; a rollback gives them
/// back theirs the same way), then the cluster, the security group and the task role carry
/// this set's ownership tags, so that the other set's Delete leaves them. Converges when
/// repeated: the tags move last.
async fn take_over(c: &Clients, owner: &Owner, spec: &Spec, b: &Built) -> Result<()> {
    if b.fresh {
        return Ok(());
    }
    let (d, tags) = (&owner.deployment, owner.tags(&spec.tags));
    let sg = &b.parts.security_group;
    let wanted = (
        i32::from(spec.container_port),
        spec.load_balancer_security_group_id.clone(),
    );
    for (port, source) in sg.ingress.iter().filter(|rule| **rule != wanted) {
        security_group::revoke(&c.ec2, sg, *port, source).await?;
    }
    let keep = network::wanted_egress(spec);
    network::narrow_egress(c, &spec.load_balancer_security_group_id, &sg.id, keep).await?;
    network::converge_egress(c, spec, sg, true).await?;
    let (task, exec) = (&b.parts.task_role, &b.parts.execution_role);
    roles::revoke((c, owner), &Diff::all_in_place(), (spec, spec), task, exec).await?;
    let cluster = &b.parts.cluster;
    if !d.owns(&cluster.tags) {
        step(
            format!("handing ECS cluster ({}) over", cluster.name),
            tags::ecs::update(&c.ecs, &cluster.arn, &cluster.tags, &tags),
        )
        .await?;
    }
    let own = |t: &Tags| -> Tags {
        t.iter()
            .filter(|(key, _)| key.starts_with(OWN_TAG_PREFIX))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    if !d.owns(&sg.tags) {
        step(
            format!("handing security group ({}) over", sg.id),
            tags::ec2::update(&c.ec2, &sg.id, &own(&sg.tags), &own(&tags)),
        )
        .await?;
    }
    if !d.owns(&task.tags) {
        let want = own(&role_tags(&tags, &c.roles.tag_keys));
        step(
            format!("handing IAM role ({}) over", task.name),
            tags::iam::update(&c.iam, &task.name, &own(&task.tags), &want),
        )
        .await?;
    }
    Ok(())
}
