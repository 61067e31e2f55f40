//! Update in place: only the writes the diff calls for, each on the resource it concerns.

use super::revisions::{register_early, retire_early};
use super::smoke::Smoke;
use super::{alarms, inventory, migration, revisions, roles, scaling, strategy, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::{Deployment, Tags};
use crate::preflight;
use crate::progress::step;
use crate::resources::role::Role;
use crate::resources::{listener_rule, log_group, service, tags, target_group, task_definition};
use crate::spec::scaling::count_change;
use crate::spec::schema::Effect;
use crate::spec::{capacity, Diff, Locator, Spec};
use existing::Set;

/// One Update's inputs, shared by its steps.
struct Change<'a> {
    c: &'a Clients,
    owner: &'a Owner,
    d: &'a Deployment,
    old: &'a Spec,
    new: &'a Spec,
    diff: &'a Diff,
    old_tags: Tags,
    new_tags: Tags,
    /// The revision registered while the set was read ([`register_early`]), if any.
    registered: Option<String>,
    /// Whether this is CloudFormation's rollback (no check may block it).
    rolling_back: bool,
}

impl Change<'_> {
    fn retag(&self) -> bool {
        self.diff.any(Effect::Tags)
    }
}

/// Applies the in-place changes from `old` to `new` (each resource's writes concurrently),
/// after, when the rule's conditions or priority change outside CloudFormation's rollback
/// (`rolling_back`), the check that it takes no other owner's traffic ([`shadowing`]);
/// then (if `new` asks) waits until the service is steady on the revision this Update means
/// it to run, and only then retires our earlier revisions. The caller has checked that no
/// property needing replacement changed; an empty `diff` writes nothing (a continuation
/// whose writes were done only waits).
pub async fn update(
    c: &Clients,
    owner: &Owner,
    (old, new): (&Spec, &Spec),
    (diff, rolling_back): (&Diff, bool),
) -> Result<Outputs> {
    let d = &owner.deployment;
    let new_tags = owner.tags(&new.tags);
    let at = Locator::from(old);
    let (found, registered) = tokio::join!(
        Box::pin(inventory(c, d, &at)),
        Box::pin(register_early(c, owner, (new, diff), &new_tags)),
    );
    let checked = async {
        let set = Set::require(d, found?, old)?;
        // A rollback puts back what was accepted before: never blocked by a check.
        if !rolling_back {
            let test = set.test_listener_rules.first();
            let ends = (&set.parts.rule, test, set.parts.security_group.id.as_str());
            preflight::in_place(c, d, (old, new, diff), ends).await?;
            strategy::ready(new, &set.service)?;
        }
        Ok(set)
    };
    let set = match checked.await {
        Ok(set) => set,
        Err(err) => return Err(retire_early(c, registered.ok().flatten(), err).await),
    };
    let (task, exec) = (&set.parts.task_role, &set.parts.execution_role);
    let roles = (exec.arn.as_str(), task.arn.as_str());
    let registered = revisions::early_for(c, owner, roles, registered?).await;
    roles::grant((c, owner), diff, (old, new), task, exec).await?;
    let migrating = (new, diff, rolling_back);
    let at = (set.migration_place(), set.links());
    let registered = migration::before_update(c, owner, migrating, at, registered).await?;
    let change = Change {
        c,
        owner,
        d,
        old,
        new,
        diff,
        old_tags: owner.tags(&old.tags),
        new_tags,
        registered,
        rolling_back,
    };
    if new.auto_scaling.is_none() && diff.any(Effect::Scaling) {
        // The scaler stops before DesiredCount takes the count back.
        scaling::remove(c, d, set.scalable_target.clone()).await?;
    }
    let registered = write(&change, &set).await?;
    let revision = set.revision_to_run(registered, diff, &new.task_family);
    settle(&change, &set, &revision).await?;
    let narrowed = Box::pin(narrow(&change, owner, &set));
    let (narrowed, url) = tokio::join!(narrowed, super::url::of(c, new));
    narrowed?;
    Ok(set.built(revision).outputs(d, new, url))
}

/// Once the service is steady (or the Update does not wait): what the old properties needed
/// and the new ones do not is taken away: the roles' grants, the hooks' grant, the test rule.
async fn narrow(change: &Change<'_>, owner: &Owner, set: &Set) -> Result<()> {
    let (c, d, diff, old, new) = (change.c, change.d, change.diff, change.old, change.new);
    let (task, exec) = (&set.parts.task_role, &set.parts.execution_role);
    roles::revoke((c, owner), diff, (old, new), task, exec).await?;
    if diff.any(Effect::Strategy) {
        strategy::narrow_hooks(c, d, (old, new)).await?;
    }
    super::test_route::retire(c, new, &set.test_listener_rules).await
}

/// Every write the diff calls for, concurrently per resource, and, beside them, the retirement
/// of our revisions the service neither runs nor rolls to (the one it ran before this Update
/// stays, a rollback's target, until the next Update or the Delete); every failure is
/// reported. Returns the task definition revision it registered, if any.
async fn write(change: &Change<'_>, set: &Set) -> Result<Option<String>> {
    let keep = revisions::kept(&set.service, change.registered.as_deref());
    let ((), (), (), (), (), (), registered, ()) = tokio::join!(
        step(
            format!(
                "updating IAM roles ({}, {})",
                set.parts.execution_role.name, set.parts.task_role.name
            ),
            update_roles(change, set)
        ),
        step(
            format!(
                "updating security group ({})",
                set.parts.security_group.name
            ),
            update_network(change, set)
        ),
        step(
            format!("updating log group ({})", set.logs.name),
            update_logging(change, set)
        ),
        step(
            format!(
                "updating target group and rule ({})",
                set.parts.target_group.name
            ),
            update_traffic(change, set)
        ),
        update_scaling(change, set),
        Box::pin(update_alarms(change, set)),
        step(
            format!("updating ECS service ({})", set.service.name),
            Box::pin(update_compute(change, set))
        ),
        revisions::retire_others(change.c, &set.revisions, (&keep, true)),
    )
    .all_ok()?;
    Ok(registered)
}

async fn update_roles(change: &Change<'_>, set: &Set) -> Result<()> {
    let tags = (&change.old_tags, &change.new_tags);
    let parts = &set.parts;
    let roles = [
        Some(&parts.execution_role),
        Some(&parts.task_role),
        set.traffic_role.as_ref(),
    ];
    let roles: Vec<&Role> = roles.into_iter().flatten().collect();
    roles::retag(change.c, tags, &roles).await
}

async fn update_network(change: &Change<'_>, set: &Set) -> Result<()> {
    let retag = change
        .retag()
        .then_some((&change.old_tags, &change.new_tags));
    let (source, egress) = (
        change.diff.any(Effect::SourceGroup),
        change.diff.any(Effect::Egress),
    );
    let specs = (change.old, change.new);
    super::network::update(
        change.c,
        specs,
        &set.parts.security_group,
        (source, egress, retag),
    )
    .await
}

async fn update_logging(change: &Change<'_>, set: &Set) -> Result<()> {
    let logs = &change.c.logs;
    if change.diff.any(Effect::Retention) {
        log_group::set_retention(logs, &set.logs.name, change.new.log_retention_days).await?;
    }
    if change.retag() {
        tags::logs::update(logs, &set.logs.arn, &change.old_tags, &change.new_tags).await?;
    }
    Ok(())
}

async fn update_traffic(change: &Change<'_>, set: &Set) -> Result<()> {
    let (elb, new) = (&change.c.elb, change.new);
    // A native strategy's alternate group serves after every other deployment: alike.
    let groups = std::iter::once(&set.parts.target_group).chain(&set.alternate_target_group);
    for group in groups {
        if change.diff.any(Effect::HealthCheck) {
            target_group::set_health_check(elb, group, &new.target_health_check()).await?;
        }
        if change.diff.any(Effect::TargetGroupAttributes) {
            target_group::set_attributes(elb, group, new).await?;
        }
        if change.retag() {
            let (old_tags, new_tags) = (&change.old_tags, &change.new_tags);
            tags::elbv2::update(elb, &group.arn, old_tags, new_tags).await?;
        }
    }
    // A priority no longer given stays where it is.
    if let Some(p) = new
        .rule_priority
        .filter(|_| change.diff.any(Effect::Priority))
    {
        listener_rule::set_priority(elb, &set.parts.rule, p).await?;
    }
    if change.diff.any(Effect::Routing) {
        listener_rule::set_routing(elb, &set.parts.rule, &new.routing()).await?;
    }
    if change.retag() {
        let (old_tags, new_tags) = (&change.old_tags, &change.new_tags);
        let rules = std::iter::once(&set.parts.rule).chain(&set.test_listener_rules);
        for rule in rules {
            tags::elbv2::update(elb, &rule.arn, old_tags, new_tags).await?;
        }
    }
    Ok(())
}

/// The scaling, when it is on and its properties changed (turning it off is done before the
/// other writes, in [`update`]), and our target's tags.
async fn update_scaling(change: &Change<'_>, set: &Set) -> Result<()> {
    let (c, d, new) = (change.c, change.d, change.new);
    let found = set.scalable_target.as_ref();
    if new.auto_scaling.is_some() && change.diff.any(Effect::Scaling) {
        let place = scaling::Place {
            cluster: &set.parts.cluster.name,
            service: &set.service.name,
            // The group the service names: after a native strategy, maybe the alternate.
            target_group_arn: strategy::watched(set.place()).target_group_arn,
        };
        scaling::update(c, d, new, (place, found), &change.new_tags).await?;
    }
    match change.retag() && new.auto_scaling.is_some() {
        true => scaling::retag(c, d, found, (&change.old_tags, &change.new_tags)).await,
        false => Ok(()),
    }
}

/// The baseline alarms: put when `Alarms` is turned on, removed when it is turned off (what
/// they watch changes only with a replacement); our alarms' tags.
async fn update_alarms(change: &Change<'_>, set: &Set) -> Result<()> {
    let (c, d, new) = (change.c, change.d, change.new);
    // What they watch follows the strategy (both groups with a native one).
    let changed = change.diff.any(Effect::Alarms) || change.diff.any(Effect::Strategy);
    match (new.alarms, changed) {
        (false, true) if change.diff.any(Effect::Alarms) => {
            return alarms::remove(c, d, set.alarms.clone()).await
        }
        // A switch of strategy puts them itself, to watch what the service then names.
        (true, true) if !strategy::switches(new, &set.service) => {
            let watched = strategy::watched(set.place());
            alarms::ensure(c, d, new, watched, &set.alarms, &change.new_tags).await?;
        }
        _ => {}
    }
    match change.retag() && new.alarms {
        true => alarms::retag(c, d, &set.alarms, (&change.old_tags, &change.new_tags)).await,
        false => Ok(()),
    }
}

/// Tags, a new revision if the task definition changes (or its tags must), and one
/// UpdateService with what changed. Returns the revision registered.
async fn update_compute(change: &Change<'_>, set: &Set) -> Result<Option<String>> {
    let (ecs, diff, new) = (&change.c.ecs, change.diff, change.new);
    if change.retag() {
        let (old_tags, new_tags) = (&change.old_tags, &change.new_tags);
        tags::ecs::update(ecs, &set.parts.cluster.arn, old_tags, new_tags).await?;
        tags::ecs::update(ecs, &set.service.arn, old_tags, new_tags).await?;
    }
    let registered = new_revision(change, set).await?;
    let for_ecs = alarms::for_ecs(change.d, new);
    let (c, d, place) = (change.c, change.d, set.place());
    let to = Box::pin(strategy::to(c, d, new, place, &change.new_tags)).await?;
    let deploys = diff.any(Effect::Deployment) || diff.any(Effect::Strategy) || to.switching();
    let service_change = service::Change {
        health_check_grace_period_seconds: diff
            .any(Effect::Deployment)
            .then_some(new.health_check_grace_period_seconds),
        deployment_configuration: deploys.then_some((&for_ecs, to.hooks_role())),
        load_balancer: to.balancer(place).map(|b| (new, b)),
        // Only when the service differs: each forces a new deployment.
        enable_execute_command: (diff.any(Effect::Exec)
            && set.service.enable_execute_command != new.enable_execute_command)
            .then_some(new.enable_execute_command),
        capacity_provider_strategy: (diff.any(Effect::Capacity)
            && set.service.capacity != capacity::describe(&new.capacity_provider_strategy))
        .then_some(new.capacity_provider_strategy.as_slice()),
        desired_count: count_change(
            (
                change.old.auto_scaling.is_some(),
                new.auto_scaling.is_some(),
            ),
            (new.desired_count, diff.any(Effect::DesiredCount)),
            set.service.desired_count.max(0) as u32,
        ),
        task_definition_arn: registered.as_deref(),
        network: diff
            .any(Effect::Network)
            .then_some((new, set.parts.security_group.id.as_str())),
        // Only when they change: some members start a new deployment each time they are sent.
        overrides: new
            .service_overrides
            .as_deref()
            .filter(|_| change.old.service_overrides != new.service_overrides),
    };
    if service_change.capacity_provider_strategy.is_some() {
        super::adopt::capacity_for(change.c, &set.parts.cluster, new).await?;
    }
    if diff.any(Effect::Insights) {
        super::adopt::insights_for(change.c, &set.parts.cluster, new).await?;
    }
    if service_change.changes_anything() {
        let (cluster, name) = (&set.parts.cluster.name, &set.service.name);
        service::update(ecs, cluster, name, service_change).await?;
    }
    Ok(registered)
}

/// A new task definition revision: the one [`register_early`] made, or one registered now
/// when the task definition changes (or only its tags, if the service runs one of ours); its
/// ARN.
async fn new_revision(change: &Change<'_>, set: &Set) -> Result<Option<String>> {
    if let Some(arn) = &change.registered {
        return Ok(Some(arn.clone()));
    }
    let (diff, new) = (change.diff, change.new);
    let runs_ours = set
        .revisions
        .iter()
        .any(|t| t.arn == set.service.task_definition);
    let changes = diff.revises_task_definition();
    if !(changes || change.retag() && runs_ours) {
        return Ok(None);
    }
    let links = set.links();
    let created = task_definition::create(&change.c.ecs, new, links, &change.new_tags).await?;
    Ok(Some(created.arn))
}

/// Waits (if asked) until the service is steady on `revision`, then deregisters the revisions
/// the service ran when the Update began (until then the circuit breaker may roll back to
/// them; without the wait they are kept, for the next Update or the Delete). Only
/// deregistered: their tags go with the next Update's or the Delete's retirement, off this
/// Update's path (a crash in between leaves an INACTIVE revision, never an orphan).
async fn settle(change: &Change<'_>, set: &Set, revision: &str) -> Result<()> {
    let (ecs, svc) = (&change.c.ecs, &set.service);
    if !change.new.wait_for_steady_state {
        return Ok(());
    }
    let smoke = Smoke::new(
        change.c,
        (change.owner, change.new),
        set.migration_place(),
        revision,
    );
    let smoke = smoke.checking(!change.rolling_back);
    let cluster = set.parts.cluster.name.as_str();
    step(
        format!("waiting for ECS service ({}) to be steady", svc.name),
        service::wait_steady(ecs, (cluster, &svc.name), revision, |p| smoke.at_pause(p)),
    )
    .await?;
    revisions::deregister_previous(change.c, svc, &set.revisions, revision).await
}

mod existing;
#[cfg(test)]
mod tests;
