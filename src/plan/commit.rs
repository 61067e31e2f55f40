//! Routing traffic to a built set, the last step of a Create and of a replacement: the
//! listener rule moves to the new target group, what the set took over from the set it
//! replaces (the cluster, the security group, the task role) becomes its own, and the service
//! takes its deployment strategy ([`strategy::converge`]). A test route (with a native
//! strategy) is made first, so that test traffic reaches the new set before production
//! traffic moves.

use super::set::Built;
use super::smoke::Smoke;
use super::{bake, migration, network, roles, strategy, Outputs, Owner};
use crate::aws::Clients;
use crate::error::Result;
use crate::naming::{role_tags, Tags, OWN_TAG_PREFIX};
use crate::progress::step;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::resources::{security_group, tags, target_group};
use crate::spec::{Diff, Spec};

/// Routes traffic to a built set (the rule's priority first: if it cannot move, traffic has
/// not moved either; `SmokeChecks` before, if `checks`; a bake after, if `bakes`): the
/// listener rule forwards to its target group alone and matches the set's path (one
/// ModifyRule, so traffic switches at once, from nothing on a Create or from the set it
/// replaces), and what it took over from another set becomes this set's ([`take_over`]).
/// Converges when repeated.
pub(super) async fn commit(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    b: Built,
    (bakes, checks): (bool, bool),
) -> Result<Outputs> {
    let (d, tags, listener) = (
        &owner.deployment,
        owner.tags(&spec.tags),
        &spec.listener_arn,
    );
    let rule = &b.parts.rule;
    let priority = spec
        .rule_priority
        .map_or(rule.priority.clone(), |p| p.to_string());
    let ours = [&b.parts.target_group.arn, &alternate_of(&b)];
    let baking = bake::Baking {
        before: rule,
        ours: [ours[0].as_str(), ours[1].as_str()],
    };
    Box::pin(before_routing(c, (owner, spec), &b, checks, &tags)).await?;
    let log_group = d.log_group();
    let revision = b.service.task_definition.as_str();
    // Checked before routing: a pause of the switch that follows goes on.
    let smoke = Smoke::new(c, (owner, spec), place(&b, &log_group), revision).checking(false);
    let routed = step(
        format!(
            "routing rule at priority {priority} on listener ({listener}) to ({})",
            b.parts.target_group.name
        ),
        Box::pin(route(c, spec, &b)),
    )
    .await?;
    if spec.stickiness.is_some() {
        // Only now that the rule forwards to this group alone (`traffic::settle`).
        let sticky = target_group::set_attributes(&c.elb, &b.parts.target_group, spec);
        step("turning sticky sessions on", sticky).await?;
    }
    if bakes {
        Box::pin(bake::bake(c, d, spec, &baking)).await?;
    }
    if !d.owns(&rule.tags) {
        tags::elbv2::update(&c.elb, &rule.arn, &rule.tags, &tags).await?;
    }
    Box::pin(take_over(c, owner, spec, &b)).await?;
    let place = strategy::Place {
        cluster: &b.parts.cluster.name,
        service: &b.service,
        rule: &routed,
        primary: &b.parts.target_group,
    };
    let converged = Box::pin(strategy::converge(c, (d, &smoke), spec, place, &tags));
    let (converged, url) = tokio::join!(converged, super::url::of(c, spec));
    converged?;
    Ok(b.outputs(d, spec, url))
}

/// What comes before a new set's production traffic: its test route (a native strategy's),
/// so that test traffic reaches the new set first, then its `SmokeChecks` through it (if
/// `checks`).
async fn before_routing(
    c: &Clients,
    (owner, spec): (&Owner, &Spec),
    b: &Built,
    checks: bool,
    tags: &Tags,
) -> Result<()> {
    let d = &owner.deployment;
    if spec.native_strategy() {
        let first = ListenerRule {
            target_group_arns: vec![b.parts.target_group.arn.clone()],
            weights: vec![1],
            ..b.parts.rule.clone()
        };
        Box::pin(super::test_route::ensure(c, d, spec, &first, tags)).await?;
    }
    let log_group = d.log_group();
    let revision = b.service.task_definition.as_str();
    let smoke = Smoke::new(c, (owner, spec), place(b, &log_group), revision);
    smoke.checking(checks).before_routing().await
}

/// Where the built set's one-off tasks run, writing to `log_group`.
fn place<'a>(b: &'a Built, log_group: &'a str) -> migration::Place<'a> {
    migration::Place {
        cluster: &b.parts.cluster.name,
        security_group_id: &b.parts.security_group.id,
        log_group,
    }
}

/// The set's alternate group as its service names it ("" if none).
fn alternate_of(b: &Built) -> String {
    b.service
        .alternate_target_group_arn
        .clone()
        .unwrap_or_default()
}

/// The rule at its priority, matching the set's path, forwarding to the set's serving group
/// alone. A service already on a native strategy (a continued Create, a restore) keeps the
/// weights ECS gave its two groups; only the conditions change. Returns the rule as it now is.
async fn route(c: &Clients, spec: &Spec, b: &Built) -> Result<ListenerRule> {
    let (rule, svc) = (&b.parts.rule, &b.service);
    let routing = spec.routing();
    if let Some(p) = spec
        .rule_priority
        .filter(|p| rule.priority != p.to_string())
    {
        listener_rule::set_priority(&c.elb, rule, p).await?;
    }
    let named = [
        Some(&svc.target_group_arn),
        svc.alternate_target_group_arn.as_ref(),
    ];
    let both = strategy::is_native(svc)
        && rule
            .target_group_arns
            .iter()
            .all(|a| named.contains(&Some(a)));
    let routed = match both {
        true => ListenerRule {
            routing: routing.clone(),
            routed: true,
            ..rule.clone()
        },
        false => ListenerRule {
            target_group_arns: vec![strategy::serving(c, svc, rule, &b.parts.target_group).await?],
            weights: vec![1],
            routing: routing.clone(),
            routed: true,
            ..rule.clone()
        },
    };
    match both {
        true if !rule.routed || rule.routing != routing => {
            listener_rule::set_routing(&c.elb, rule, &routing).await?
        }
        false if !rule.routes_only(&routing, &routed.target_group_arns[0]) => {
            let tg = &routed.target_group_arns[0];
            listener_rule::route(&c.elb, rule, &routing, tg).await?
        }
        _ => {}
    }
    Ok(routed)
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
