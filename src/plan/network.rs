//! The tasks' security group as the load balancer reaches it: its ingress from the load
//! balancer's group, and, with `LoadBalancerEgress: managed`, the load balancer group's
//! outbound rule to it on the container port (`resources::security_group_rule`). The rule is
//! made once the tasks' group exists, before the service (a task's first health check needs
//! it), kept to the spec's port and group by a replacement's hand-over and by an Update, and
//! removed before the tasks' group: EC2 refuses to delete a group another group's rule names
//! (`DependencyViolation`, EC2 API reference, DeleteSecurityGroup). And the tasks' group's own
//! outbound rules (`Egress`, [`converge_egress`]).

use crate::aws::Clients;
use crate::error::Result;
use crate::naming::Tags;
use crate::progress::step;
use crate::resources::security_group::{self, Egress, SecurityGroup};
use crate::resources::{security_group_rule, tags};
use crate::spec::egress::{self, Rule};
use crate::spec::Spec;

/// Brings the outbound rules of the tasks' group `sg` to `spec`'s `Egress`: the missing rules
/// allowed first, then, when `narrow`, the others revoked (so the tasks never lose a way out
/// they keep); returns the rules the group now has. Not narrowed while a replacement builds
/// beside the set that holds the group: its tasks keep their rules until traffic has moved
/// ([`super::commit`]). No call when the rules are already as wanted.
pub(super) async fn converge_egress(
    c: &Clients,
    spec: &Spec,
    sg: &SecurityGroup,
    narrow: bool,
) -> Result<Vec<Egress>> {
    let wanted = spec.egress_rules();
    let current: Vec<Rule> = sg.egress.iter().flat_map(|e| e.rules()).collect();
    let missing: Vec<Rule> = wanted
        .iter()
        .filter(|r| !current.contains(r))
        .cloned()
        .collect();
    let kept_as_is = |r: &Rule| wanted.contains(r) || egress::left_alone(&spec.egress, r);
    let (kept, unwanted): (Vec<Rule>, Vec<Rule>) = current.into_iter().partition(kept_as_is);
    security_group::allow_out(&c.ec2, (&sg.id, &sg.name), &missing).await?;
    let mut now = [kept, missing].concat();
    match narrow {
        true => security_group::revoke_out(&c.ec2, (&sg.id, &sg.name), &unwanted).await?,
        false => now.extend(unwanted),
    }
    Ok(now.iter().map(Egress::of).collect())
}

/// With `LoadBalancerEgress: managed`, the load balancer group's outbound rule to `group` on
/// the container port, tagged `tags`; nothing otherwise.
pub(super) async fn ensure_egress(
    c: &Clients,
    spec: &Spec,
    group: &str,
    tags: &Tags,
) -> Result<()> {
    if !spec.load_balancer_egress {
        return Ok(());
    }
    let (from, port) = (
        &spec.load_balancer_security_group_id,
        i32::from(spec.container_port),
    );
    step(
        format!("allowing security group ({from}) out to ({group}) on port {port}"),
        security_group_rule::create(&c.ec2, (from, group), port, tags),
    )
    .await
}

/// Removes the outbound rules prod-e made on `load_balancer_group` to `group`, but the one on
/// port `keep`, if any (one read when there is nothing to remove).
pub(super) async fn narrow_egress(
    c: &Clients,
    load_balancer_group: &str,
    group: &str,
    keep: Option<i32>,
) -> Result<()> {
    let made = security_group_rule::find_made(&c.ec2, load_balancer_group, group).await?;
    let unwanted: Vec<_> = made.into_iter().filter(|m| Some(m.port) != keep).collect();
    security_group_rule::delete(&c.ec2, load_balancer_group, &unwanted).await
}

/// The port of the managed outbound rule `spec` wants, if it wants one.
pub(super) fn wanted_egress(spec: &Spec) -> Option<i32> {
    spec.load_balancer_egress
        .then_some(i32::from(spec.container_port))
}

/// An in-place Update of the group `sg`: where the load balancer's group or the managed rule
/// changed (`source`), the ingress from the new load balancer group and the managed rule from
/// it, then the old ones removed; where `Egress` changed (`egress`), its outbound rules; its
/// tags from `retag.0` to `retag.1`, if given.
pub(super) async fn update(
    c: &Clients,
    (old, new): (&Spec, &Spec),
    sg: &SecurityGroup,
    (source, egress, retag): (bool, bool, Option<(&Tags, &Tags)>),
) -> Result<()> {
    if egress {
        converge_egress(c, new, sg, true).await?;
    }
    let (ec2, port) = (&c.ec2, i32::from(new.container_port));
    let (was, is) = (
        &old.load_balancer_security_group_id,
        &new.load_balancer_security_group_id,
    );
    if source {
        security_group::allow(ec2, sg, port, is).await?;
        ensure_egress(c, new, &sg.id, &sg.tags).await?;
        if was != is {
            security_group::revoke(ec2, sg, port, was).await?;
        }
        let keep = wanted_egress(new).filter(|_| was == is);
        narrow_egress(c, was, &sg.id, keep).await?;
    }
    if let Some((old_tags, new_tags)) = retag {
        tags::ec2::update(ec2, &sg.id, old_tags, new_tags).await?;
    }
    Ok(())
}
