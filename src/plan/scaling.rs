//! The service's auto scaling (`AutoScaling`, `ScheduledActions`): the scalable target, one
//! target tracking policy per target the Properties set, and the scheduled actions; made
//! once the service is steady, changed in place, removed before the service. Policies and
//! scheduled actions are this set's by name ([`Deployment::owns_name`]); the user's own on the
//! target are left alone until the target itself goes.

use crate::aws::Clients;
use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};
use crate::progress::step;
use crate::resources::scaling::{self, policy, schedule, ScalableTarget};
use crate::resources::{claim, load_balancer, ours, tags, target_group};
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
    if spec.auto_scaling.is_none() {
        return Ok(());
    }
    let id = at.resource_id();
    step(format!("configuring auto scaling ({id})"), async {
        let found = scaling::find_all(&c.scaling, std::slice::from_ref(&id)).await?;
        let found = claim(d, found.into_iter().next())?;
        converge(c, d, spec, (at, found.as_ref()), tags).await
    })
    .await
}

/// An in-place Update of scaling that is on: `found` is the target the Update found under
/// either service name (only one on this service counts); the target (created with `tags`),
/// policies and scheduled actions converge. Turning scaling off is [`remove`].
pub async fn update(
    c: &Clients,
    d: &Deployment,
    new: &Spec,
    (at, found): (Place<'_>, Option<&ScalableTarget>),
    tags: &Tags,
) -> Result<()> {
    let id = at.resource_id();
    let found = claim(d, found.filter(|t| t.resource_id == id).cloned())?;
    let converged = converge(c, d, new, (at, found.as_ref()), tags);
    step(format!("updating auto scaling ({id})"), converged).await
}

/// Gives our target in `found` the tags `new` instead of `old` (the only taggable part).
pub async fn retag(
    c: &Clients,
    d: &Deployment,
    found: Option<&ScalableTarget>,
    (old, new): (&Tags, &Tags),
) -> Result<()> {
    match found.filter(|t| d.owns(&t.tags)) {
        Some(t) => tags::scaling::update(&c.scaling, &t.arn, old, new).await,
        None => Ok(()),
    }
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

/// Registers the target (created with `tags`) unless `found` has the bounds already: a
/// registration would also end a scheduled action's window until its next run. Then the
/// policies and scheduled actions `spec` asks for (this set's others are read and deleted
/// only on a target that existed).
async fn converge(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    (at, found): (Place<'_>, Option<&ScalableTarget>),
    tags: &Tags,
) -> Result<()> {
    let Some(auto) = &spec.auto_scaling else {
        return Ok(());
    };
    let id = at.resource_id();
    let (min, max) = auto.bounds();
    let has_bounds =
        |t: &ScalableTarget| (t.min_capacity, t.max_capacity) == (min as i32, max as i32);
    if !found.is_some_and(has_bounds) {
        let created_with = found.is_none().then_some(tags);
        scaling::register(&c.scaling, &id, (min, max), created_with).await?;
    }
    // A target that did not exist has no policies or scheduled actions to read.
    let fresh = found.is_none();
    converge_policies(c, d, spec, (at, fresh)).await?;
    converge_schedules(c, d, spec, (&id, fresh)).await
}

/// Puts a target tracking policy per target `spec` sets; deletes this set's others (none on
/// a `fresh` target).
async fn converge_policies(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    (at, fresh): (Place<'_>, bool),
) -> Result<()> {
    let Some(auto) = &spec.auto_scaling else {
        return Ok(());
    };
    let id = at.resource_id();
    let label = request_label(spec, at)?;
    let wanted = auto.targets();
    for (metric, target_value) in &wanted {
        let tracking = policy::Tracking {
            metric: *metric,
            target_value: *target_value,
            resource_label: &label,
            scale_in_cooldown: auto.scale_in_cooldown,
            scale_out_cooldown: auto.scale_out_cooldown,
        };
        let name = d.scaling_policy(metric.suffix());
        policy::put(&c.scaling, &id, &name, tracking).await?;
    }
    if fresh {
        return Ok(());
    }
    let keep: Vec<String> = wanted
        .iter()
        .map(|(m, _)| d.scaling_policy(m.suffix()))
        .collect();
    for old in policy::find_all(&c.scaling, &id).await? {
        if d.owns_name(&old.name) && !keep.contains(&old.name) {
            policy::delete(&c.scaling, &id, &old.name).await?;
        }
    }
    Ok(())
}

/// Puts the scheduled actions `spec` lists (deleting first one whose bound the item dropped:
/// an update keeps a bound it is not given); deletes this set's others (none on a `fresh`
/// target).
async fn converge_schedules(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    (id, fresh): (&str, bool),
) -> Result<()> {
    let existing = match fresh {
        true => Vec::new(),
        false => schedule::find_all(&c.scaling, id).await?,
    };
    let mut names = Vec::new();
    for item in &spec.scheduled_actions {
        let name = d.scheduled_action(&item.scheduled_action_name);
        let dropped = |a: &&schedule::Scheduled| {
            let gone = |had: Option<i32>, given: Option<i32>| had.is_some() && given.is_none();
            a.name == name
                && (gone(a.min_capacity, item.min_capacity)
                    || gone(a.max_capacity, item.max_capacity))
        };
        if existing.iter().any(|a| dropped(&a)) {
            schedule::delete(&c.scaling, id, &name).await?;
        }
        schedule::put(&c.scaling, id, &name, item).await?;
        names.push(name);
    }
    for old in existing
        .iter()
        .filter(|a| d.owns_name(&a.name) && !names.contains(&a.name))
    {
        schedule::delete(&c.scaling, id, &old.name).await?;
    }
    Ok(())
}

/// The ALBRequestCountPerTarget ResourceLabel of the set (`app/…/targetgroup/…`), or `""`
/// when no policy tracks requests.
fn request_label(spec: &Spec, at: Place<'_>) -> Result<String> {
    let tracks_requests = spec
        .auto_scaling
        .as_ref()
        .is_some_and(|a| a.requests_per_target.is_some());
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
