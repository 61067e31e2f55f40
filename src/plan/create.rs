//! Create, a chain of named stages: check (preflight) → build → service → wait → scaling
//! ([`prepare`], which a replacement shares to build its new set) → commit (traffic to it).
//! Every stage adopts what an earlier attempt made; a failed Create removes everything it
//! made.

use super::adopt::{cluster_for, ensure_service, security_group_for};
use super::commit::commit;
use super::set::{Built, Parts, Start};
use super::smoke::Smoke;
use super::traffic::{traffic, without_strays};
use super::watch::{still_awaited, Awaited};
use super::{alarms, migration, revisions, scaling};
use super::{delete, Outputs, Owner};
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::naming::Tags;
use crate::preflight;
use crate::progress::step;
use crate::resources::{alarm, listener_rule, service, task_definition};
use crate::spec::scaling::starting_count;
use crate::spec::strategy::ROLLING;
use crate::spec::{Locator, Spec};

/// A failed Create: the cause, and whether everything it made has been removed again.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateFailed {
    /// Why the Create failed.
    pub error: Error,
    /// `None` if the rollback removed everything; otherwise why it could not.
    pub rollback_error: Option<Error>,
}

/// Creates the deployment; on failure removes what this deployment owns before returning.
/// A wait that must go on in another invocation ([`Error::pending`]) removes nothing.
/// CloudFormation is asked whether it still waits ([`still_awaited`]) first of all (a Lambda
/// retry of a Create it has since cancelled, or a continued invocation) and before traffic is
/// routed: a Create it gave up on removes what it made.
pub async fn create(c: &Clients, owner: &Owner, spec: &Spec) -> Result<Outputs, CreateFailed> {
    let set_up = async {
        still_awaited(c, owner, &Awaited::Create).await?;
        let (priority, rule) = check(c, owner, spec).await?;
        let start = Start {
            priority,
            rule,
            running: None,
            fresh: true,
            from: None,
        };
        // A native strategy is taken once the first deployment is done (`strategy`).
        let wait = spec.wait_for_steady_state || spec.native_strategy();
        let built = Box::pin(prepare(c, owner, spec, start, wait)).await?;
        still_awaited(c, owner, &Awaited::Create).await?;
        Box::pin(commit(c, owner, spec, built, (false, true))).await
    };
    match set_up.await {
        Ok(outputs) => Ok(outputs),
        Err(error) => Err(remove_unless_pending(c, owner, spec, error).await),
    }
}

/// Preflight ([`crate::preflight`]): every problem at once, before any write. Returns the
/// priority a new listener rule gets, and the stack resource's rule if preflight found one.
pub(super) async fn check(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
) -> Result<(u32, Option<listener_rule::ListenerRule>)> {
    step(
        "checking the account and network (preflight)",
        preflight::run(c, &owner.deployment, spec),
    )
    .await?
    .accept()
}

/// Whether building that failed with `error` removes what it made (the revision it registered,
/// then the set): the one decision [`prepare`], [`remove_unless_pending`] and the answer share.
/// Not when the work only goes on in another invocation; not on a preflight's word (it wrote
/// nothing, and what exists is an earlier invocation's or, on a late re-delivery, the live set,
/// left for CloudFormation's Delete or rollback); and not while someone else is removing the
/// set ([`Error::BeingRemoved`]: CloudFormation's Delete or rollback): a second
/// removal beside it only races it, and the second retirement of a revision is refused once
/// the first has removed the tag the function's policy requires.
pub fn removes_what_it_made(error: &Error) -> bool {
    error.pending().is_none()
        && !matches!(error, Error::Preflight { .. } | Error::BeingRemoved { .. })
}

/// What [`create`] and a replacement do when building fails: remove what the new set owns
/// (never what it borrowed from the set it replaces), if [`removes_what_it_made`].
pub(super) async fn remove_unless_pending(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    error: Error,
) -> CreateFailed {
    if !removes_what_it_made(&error) {
        return CreateFailed {
            error,
            rollback_error: None,
        };
    }
    tracing::warn!(%error, "building the set failed: removing what it made");
    let rollback = Box::pin(delete(c, &owner.deployment, &Locator::from(spec))).await;
    CreateFailed {
        error,
        rollback_error: rollback.err(),
    }
}

/// One set being built, shared by the stages of [`prepare`].
struct Building<'a> {
    c: &'a Clients,
    owner: &'a Owner,
    spec: &'a Spec,
    start: Start,
    /// Whether to wait for the service to be steady.
    wait: bool,
    /// The set's tags (the ownership tags and `Tags`).
    tags: Tags,
}

/// Builds a set in stages, build → service → wait → scaling: every resource but the service
/// in dependency order, concurrently where independent (the target group joins the listener
/// before the service is created, as AWS requires, but receives no traffic until [`commit`]);
/// then the service; then (if `wait`) the wait until it is steady; then its scaling. What
/// exists and is ours is adopted, so a repeated or continued attempt converges. The cluster of
/// another set of the same stack resource (same ClusterName) is used as it is and handed over
/// in [`commit`]. A new listener rule gets `start.priority`; a new service starts at
/// `start.running` tasks (the count of the service a replacement replaces) when scaling is
/// on, else at DesiredCount (within the scaling bounds). A failure retires the revision this
/// attempt registered (the teardown's finding by tag may not see it yet).
pub(super) async fn prepare(
    c: &Clients,
    owner: &Owner,
    spec: &Spec,
    start: Start,
    wait: bool,
) -> Result<Built> {
    let tags = owner.tags(&spec.tags);
    let b = Building {
        c,
        owner,
        spec,
        start,
        wait,
        tags,
    };
    let (parts, registered) = Box::pin(b.build()).await;
    let built = async {
        let parts = parts?;
        // A rule created without a read of the listener: another of ours may stand elsewhere
        // (see `traffic`); the listener is read while the service starts.
        let (svc, rule) = tokio::join!(Box::pin(b.running(&parts)), b.settled(&parts)).all_ok()?;
        b.scaling(&parts, &svc).await?;
        Ok(b.built(parts, svc, rule))
    };
    match built.await {
        Err(err) if removes_what_it_made(&err) => {
            Err(revisions::retire_early(c, registered, err).await)
        }
        other => other,
    }
}

impl Building<'_> {
    /// Build: the roles, log group and revision; the target group and its rule; the security
    /// group; the cluster, all at once. Also the revision this attempt registered, even when
    /// another part failed: a failure retires it by its ARN.
    async fn build(&self) -> (Result<Parts>, Option<String>) {
        let (c, d, spec, tags) = (self.c, &self.owner.deployment, self.spec, &self.tags);
        let heir = self.start.heir();
        // Boxed: these futures are deep, and debug builds keep them on the stack.
        let (defs, routed, sg, cluster) = tokio::join!(
            Box::pin(revisions::task_definition_set(
                c,
                self.owner,
                (spec, heir),
                tags
            )),
            Box::pin(traffic(c, d, spec, &self.start, tags)),
            Box::pin(security_group_for(c, d, (spec, heir), tags)),
            Box::pin(cluster_for(c, d, spec, tags)),
        );
        let registered = defs.as_ref().ok().map(|(_, _, def)| def.arn.clone());
        let parts = (defs, routed, sg, cluster).all_ok().map(|parts| {
            let ((execution_role, task_role, task_definition), (target_group, rule), sg, cluster) =
                parts;
            Parts {
                execution_role,
                task_role,
                task_definition,
                target_group,
                rule,
                security_group: sg,
                cluster,
            }
        });
        (parts, registered)
    }

    /// Service, then wait: the service made or adopted ([`Building::service`]); then, at
    /// once, the wait until it is steady (if asked) and the retirement of our revisions it
    /// does not run.
    async fn running(&self, parts: &Parts) -> Result<service::Service> {
        let place = migration::Place {
            cluster: &parts.cluster.name,
            security_group_id: &parts.security_group.id,
            log_group: &self.owner.deployment.log_group(),
        };
        let revision = &parts.task_definition.arn;
        migration::before_service(self.c, self.owner, self.spec, place, revision).await?;
        let svc = self.service(parts).await?;
        let (c, cluster) = (self.c, &parts.cluster.name);
        let waited = async {
            if !self.wait {
                return Ok(());
            }
            let waiting = format!("waiting for ECS service ({}) to be steady", svc.name);
            // A new set's checks run before its routing ([`commit`]); a pause here (an
            // adopted service's) goes on.
            let smoke = Smoke::new(c, (self.owner, self.spec), place, revision).checking(false);
            let at = (cluster.as_str(), svc.name.as_str());
            let steady =
                service::wait_steady(&c.ecs, at, &svc.task_definition, |p| smoke.at_pause(p));
            step(waiting, steady).await.map(|_| ())
        };
        let retired = revisions::retire_unused(c, &self.owner.deployment, &svc);
        tokio::join!(waited, retired).all_ok()?;
        Ok(svc)
    }

    /// The baseline alarms first (deployment alarms may name them), then the service, started
    /// at its [`starting_count`] and told the set's alarm names; alarms whose service ended up
    /// under the other name ([`crate::naming::Deployment::service_names`]) are put again to
    /// watch it.
    async fn service(&self, parts: &Parts) -> Result<service::Service> {
        let (c, d, spec, tags) = (self.c, &self.owner.deployment, self.spec, &self.tags);
        let watched = alarms::Watched {
            cluster: &parts.cluster.name,
            service: &spec.service_name,
            target_group_arn: &parts.target_group.arn,
            // Born rolling: the alternate group comes with the strategy (`strategy`).
            alternate_target_group_arn: None,
        };
        if spec.alarms {
            let found = alarm::find_all(&c.cloudwatch, &alarms::names(d)).await?;
            alarms::ensure(c, d, spec, watched, &found, tags).await?;
        }
        let running = self.start.running;
        let seeded = Spec {
            desired_count: starting_count(spec.auto_scaling.as_ref(), spec.desired_count, running),
            // Born rolling: a native strategy comes once the set serves (`strategy::converge`).
            deployment_strategy: ROLLING.to_string(),
            ..alarms::for_ecs(d, spec)
        };
        let links = service::Links {
            cluster: &parts.cluster.name,
            task_definition_arn: &parts.task_definition.arn,
            security_group_id: &parts.security_group.id,
            target_group_arn: &parts.target_group.arn,
        };
        let svc = step(
            format!("creating ECS service ({})", spec.service_name),
            ensure_service(
                c,
                self.owner,
                &seeded,
                (links, self.start.fresh),
                &alarms::service_tags(spec, tags),
            ),
        )
        .await?;
        if spec.alarms && svc.name != spec.service_name {
            let watched = alarms::Watched {
                service: &svc.name,
                ..watched
            };
            alarms::ensure(c, d, spec, watched, &[], tags).await?;
        }
        Ok(svc)
    }

    /// The rule a fresh Create settles on, once the listener is read ([`without_strays`]).
    async fn settled(&self, parts: &Parts) -> Result<listener_rule::ListenerRule> {
        let rule = parts.rule.clone();
        match self.start.fresh && self.start.rule.is_none() {
            true => {
                let d = &self.owner.deployment;
                without_strays(self.c, d, &self.spec.listener_arn, rule).await
            }
            false => Ok(rule),
        }
    }

    /// Scaling: the service's scalable target and policies, once it runs.
    async fn scaling(&self, parts: &Parts, svc: &service::Service) -> Result<()> {
        let place = scaling::Place {
            cluster: &parts.cluster.name,
            service: &svc.name,
            target_group_arn: &parts.target_group.arn,
        };
        let (d, tags) = (&self.owner.deployment, &self.tags);
        scaling::ensure(self.c, d, self.spec, place, tags).await
    }

    /// The set as built. The service an earlier attempt made, adopted, runs that attempt's
    /// revision.
    fn built(
        &self,
        parts: Parts,
        svc: service::Service,
        rule: listener_rule::ListenerRule,
    ) -> Built {
        let task_definition = task_definition::TaskDefinition {
            arn: svc.task_definition.clone(),
            ..parts.task_definition
        };
        Built {
            parts: Parts {
                rule,
                task_definition,
                ..parts
            },
            service: svc,
            fresh: self.start.fresh,
        }
    }
}
