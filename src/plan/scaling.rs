//! The service's auto scaling (`AutoScaling`, `ScheduledActions`): the scalable target, one
//! target tracking policy per target the Properties set, and the scheduled actions; made
//! once the service is steady, changed in place, removed before the service. Policies and
//! scheduled actions are this set's by name ([`Deployment::names`]); the user's own on the
//! target are left alone until the target itself goes.

use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};
use crate::progress::step;
use crate::resources::scaling::{self, policy, schedule, ScalableTarget};
use crate::resources::{claim, load_balancer, ours, tags, target_group};
use crate::spec::scaling::{bounds, targets};
use crate::spec::Spec;

/// Where the scaled service is: its cluster and name, and what ALB request counts need.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The cluster's name.
    pub cluster: &'a str,
    /// The service's name.
    pub service: &'a str,
    /// The set's target group.
    pub target_group_arn: &'a str,
}

impl Place<'_> {
    fn resource_id(&self) -> String {
        scaling::resource_id(self.cluster, self.service)
    }
}

/// Makes the service's scaling what `spec` says, adopting a target this set registered
/// before; nothing when `spec` has no `AutoScaling`. A target someone else registered on the
/// service is an error ([`Error::NotOurs`]).
pub async fn ensure(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    at: Place<'_>,
    tags: &Tags,
) -> Result<()> {
    let Some(auto) = &spec.auto_scaling else {
        return Ok(());
    };
    let id = at.resource_id();
    step(format!("configuring auto scaling ({id})"), async {
        let found = scaling::find_all(&c.scaling, std::slice::from_ref(&id)).await?;
        let found = claim(d, found.into_iter().next())?;
        let created_with = found.is_none().then_some(tags);
        scaling::register(&c.scaling, &id, bounds(auto), created_with).await?;
        converge(c, d, spec, at).await
    })
    .await
}

/// An in-place Update of the scaling: `found` is the service's target as the Update found
/// it. Without `AutoScaling` our target is deregistered; with it, the target (created with
/// `tags`), policies and scheduled actions converge, and a target that had the tags
/// `retag_from` gets `tags`.
pub async fn update(
    c: &Clients,
    d: &Deployment,
    new: &Spec,
    (at, found): (Place<'_>, Option<&ScalableTarget>),
    (tags, retag_from): (&Tags, Option<&Tags>),
) -> Result<()> {
    let Some(auto) = &new.auto_scaling else {
        return remove(c, d, found.cloned()).await;
    };
    let id = at.resource_id();
    let found = claim(d, found.cloned())?;
    let created_with = found.is_none().then_some(tags);
    step(format!("updating auto scaling ({id})"), async {
        scaling::register(&c.scaling, &id, bounds(auto), created_with).await?;
        converge(c, d, new, at).await?;
        match (found, retag_from) {
            (Some(target), Some(old)) => {
                tags::scaling::update(&c.scaling, &target.arn, old, tags).await
            }
            _ => Ok(()),
        }
    })
    .await
}

/// Deregisters the target if it is ours (its policies and scheduled actions go with it).
pub async fn remove(c: &Clients, d: &Deployment, found: Option<ScalableTarget>) -> Result<()> {
    match ours(d, found) {
        Some(t) => {
            step(
                format!("deleting scalable target ({})", t.resource_id),
                scaling::deregister(&c.scaling, &t.resource_id),
            )
            .await
        }
        None => Ok(()),
    }
}

/// Puts the policies and scheduled actions `spec` asks for; deletes this set's others.
async fn converge(c: &Clients, d: &Deployment, spec: &Spec, at: Place<'_>) -> Result<()> {
    let id = at.resource_id();
    let Some(auto) = &spec.auto_scaling else {
        return Ok(());
    };
    let label = request_label(spec, at)?;
    let wanted = targets(auto);
    for (metric, target_value) in &wanted {
        let tracking = policy::Tracking {
            metric: *metric,
            target_value: *target_value,
            resource_label: &label,
            scale_in_cooldown: auto.integer("ScaleInCooldown"),
            scale_out_cooldown: auto.integer("ScaleOutCooldown"),
        };
        policy::put(
            &c.scaling,
            &id,
            &d.scaling_policy(metric.suffix()),
            tracking,
        )
        .await?;
    }
    let keep: Vec<String> = wanted
        .iter()
        .map(|(m, _)| d.scaling_policy(m.suffix()))
        .collect();
    for old in policy::find_all(&c.scaling, &id).await? {
        if d.names(&old.name) && !keep.contains(&old.name) {
            policy::delete(&c.scaling, &id, &old.name).await?;
        }
    }
    let names: Vec<String> = spec
        .scheduled_actions
        .iter()
        .map(|a| d.scheduled_action(&a.text("ScheduledActionName")))
        .collect();
    for (item, name) in spec.scheduled_actions.iter().zip(&names) {
        schedule::put(&c.scaling, &id, name, item).await?;
    }
    for old in schedule::find_all(&c.scaling, &id).await? {
        if d.names(&old) && !names.contains(&old) {
            schedule::delete(&c.scaling, &id, &old).await?;
        }
    }
    Ok(())
}

/// The ALBRequestCountPerTarget ResourceLabel of the set (`app/…/targetgroup/…`), or `""`
/// when no policy tracks requests.
fn request_label(spec: &Spec, at: Place<'_>) -> Result<String> {
    let tracks_requests = spec
        .auto_scaling
        .as_ref()
        .is_some_and(|a| a.optional_integer("RequestsPerTarget").is_some());
    if !tracks_requests {
        return Ok(String::new());
    }
    let lb = load_balancer::metric_dimension_of_listener(&spec.listener_arn);
    let tg = target_group::metric_dimension(at.target_group_arn);
    match (lb, tg) {
        (Some(lb), Some(tg)) => Ok(format!("{lb}/{tg}")),
        _ => Err(Error::Incomplete {
            kind: "ALBRequestCountPerTarget resource label",
            field: "ListenerArn or TargetGroupArn",
        }),
    }
}
