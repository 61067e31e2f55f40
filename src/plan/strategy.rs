//! A native `DeploymentStrategy` (BLUE_GREEN, CANARY, LINEAR: ECS's own deployment engine) on a
//! set: the parts it adds (the alternate target group, associated with the listener through
//! the set's rule at weight 0, and the role ECS moves the rule's weights with, allowed exactly
//! the set's two groups and its rule), the group that serves production, and the switch of the
//! service between ROLLING and a native strategy.
//!
//! A new set is born ROLLING and takes a native strategy once it serves ([`converge`], the
//! last step of `commit`): its traffic moves by prod-e's one ModifyRule as every set's does,
//! and ECS never moves weights on a rule that forwards to another set's group. The switch is
//! the one ECS documents: UpdateService with the load balancer's `advancedConfiguration`, in
//! a rolling deployment, once no deployment is in progress (ECS Developer Guide, "Updating an
//! Amazon ECS service from rolling to blue/green" and back).

use super::adopt::create_or_adopt;
use super::alarms::{self, Watched};
use super::roles::traffic_role;
use super::smoke::Smoke;
use super::traffic::settle;
use crate::aws::Clients;
use crate::error::{AllOk, Error, Result};
use crate::naming::{Deployment, Tags};
use crate::progress::step;
use crate::resources::alarm;
use crate::resources::listener_rule::{self, ListenerRule};
use crate::resources::role::{self, Role};
use crate::resources::service::{self, Advanced, Balancer, Service};
use crate::resources::target_group::{self, TargetGroup};
use crate::spec::Spec;

/// How long a new `lambda:InvokeFunction` grant is given to take effect before ECS may use
/// it: IAM is eventually consistent (IAM User Guide, "Troubleshoot IAM", "Changes that I make
/// are not always immediately visible"), and a failed invocation rolls the deployment back,
/// which no retry of prod-e's can undo. An assumption: AWS publishes no bound.
const HOOK_GRANT_PROPAGATION: std::time::Duration = std::time::Duration::from_secs(10);

/// What a native strategy adds to a set.
pub(super) struct Native {
    /// The alternate target group.
    pub alternate: TargetGroup,
    /// The role ECS moves traffic with.
    pub role: Role,
    /// The test listener rule, with a test route (`TestHostHeaders`, `TestPathPatterns`).
    pub test: Option<ListenerRule>,
}

/// Where a set's strategy lives: its cluster, service, rule and primary target group.
#[derive(Clone, Copy)]
pub(super) struct Place<'a> {
    pub cluster: &'a str,
    pub service: &'a Service,
    pub rule: &'a ListenerRule,
    pub primary: &'a TargetGroup,
}

/// Makes (or adopts) the alternate target group and the traffic role, puts the alternate
/// group in the rule at weight 0 (associated with the listener, as ECS requires of both
/// groups, and serving nothing), makes the test rule `spec` asks for ([`test_route::ensure`]),
/// and gives the role its policy on exactly the set's groups and rules. Converges when
/// repeated.
pub(super) async fn parts(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    place: Place<'_>,
    tags: &Tags,
) -> Result<Native> {
    let name = d.alternate_target_group();
    let alternate = async {
        let find = || target_group::find(&c.elb, &name);
        let create = || target_group::create(&c.elb, &name, spec, tags);
        let made = create_or_adopt(d, find, create).await?;
        settle(c, d, spec, &made, tags).await?;
        Ok(made)
    };
    let making = format!("creating alternate target group ({name}) and traffic role");
    let (alternate, role) = step(making, async {
        tokio::join!(alternate, traffic_role(c, d, tags)).all_ok()
    })
    .await?;
    let (rule, primary) = (place.rule, &place.primary.arn);
    // ECS needs both groups in the production rule; the one missing joins at weight 0 (the
    // alternate when the strategy is new, the primary after a rollback routed the other).
    let joined = listener_rule::join_all(&c.elb, rule.clone(), &[primary, &alternate.arn]).await?;
    let test = Box::pin(super::test_route::ensure(c, d, spec, &joined, tags)).await?;
    let rules: Vec<&str> = std::iter::once(&rule.arn)
        .chain(test.as_ref().map(|t| &t.arn))
        .map(String::as_str)
        .collect();
    let policy = role::traffic_policy(&rules, &[primary, &alternate.arn]);
    role::put_policy(&c.iam, &role.name, role::TRAFFIC_POLICY_NAME, &policy).await?;
    let live = place.service.rolling.as_ref();
    let live = live.map(|r| r.hook_functions.clone()).unwrap_or_default();
    let fresh = spec
        .lifecycle_hooks
        .iter()
        .any(|h| !live.contains(&h.hook_target_arn));
    grant_hooks(c, &role.name, hook_functions(spec, live)).await?;
    if fresh {
        // ECS may invoke a new hook at the deployment's first stage, moments from now.
        let waiting = format!("waiting {HOOK_GRANT_PROPAGATION:?} for IAM to propagate the grant");
        let sleep = tokio::time::sleep(crate::retry::scaled(HOOK_GRANT_PROPAGATION));
        step(waiting, async {
            sleep.await;
            Ok::<_, Error>(())
        })
        .await?;
    }
    Ok(Native {
        alternate,
        role,
        test,
    })
}

/// The load balancer a service names: the group that serves (`serving`) and, with a native
/// strategy, the set's other group as the alternate, the rule and the role (`native`).
pub(super) fn balancer<'a>(
    place: Place<'a>,
    native: Option<&'a Native>,
    serving: &'a str,
) -> Balancer<'a> {
    Balancer {
        target_group_arn: serving,
        advanced: native.map(|n| Advanced {
            alternate_target_group_arn: match serving == n.alternate.arn {
                true => &place.primary.arn,
                false => &n.alternate.arn,
            },
            production_listener_rule: &place.rule.arn,
            role_arn: &n.role.arn,
            test_listener_rule: n.test.as_ref().map(|t| t.arn.as_str()),
        }),
    }
}

/// Whether the service runs a native strategy (its load balancer names an alternate group).
pub(super) fn is_native(svc: &Service) -> bool {
    svc.alternate_target_group_arn.is_some()
}

/// Whether an Update to `spec` switches `svc` between ROLLING and a native strategy.
pub(super) fn switches(spec: &Spec, svc: &Service) -> bool {
    spec.native_strategy() != is_native(svc)
}

/// A forward Update that switches the strategy needs the service idle: ECS switches only a
/// service with no deployment in progress (ECS Developer Guide, "Update the Amazon ECS
/// deployment strategy": "Wait for any current deployments to complete"; "Updating an Amazon
/// ECS service from blue/green to rolling": a service with a deployment in progress cannot be
/// migrated). Errors: [`Error::Preflight`] naming the service, before any write.
pub(super) fn ready(spec: &Spec, svc: &Service) -> Result<()> {
    let rolling_out = svc.rollout.as_deref().is_some_and(|r| r != "COMPLETED");
    if !switches(spec, svc) || (svc.deployments <= 1 && !rolling_out) {
        return Ok(());
    }
    let problem = format!(
        "ECS service ({}) has a deployment in progress, and ECS changes DeploymentStrategy only \
         once none is (ECS Developer Guide, \"Update the Amazon ECS deployment strategy\"): \
         retry the Update when it is done",
        svc.name
    );
    Err(Error::Preflight {
        problems: vec![problem],
    })
}

/// What the set's ALB alarms watch while the service names what it names now: its group (the
/// primary if it names none) and, with a native strategy, the alternate.
pub(super) fn watched(place: Place<'_>) -> Watched<'_> {
    let svc = place.service;
    let named = Some(svc.target_group_arn.as_str()).filter(|a| !a.is_empty());
    Watched {
        cluster: place.cluster,
        service: &svc.name,
        target_group_arn: named.unwrap_or(&place.primary.arn),
        alternate_target_group_arn: svc.alternate_target_group_arn.as_deref(),
    }
}

/// Puts the set's alarms (with `Alarms`) to watch what the service names once it names
/// `balancer`: a switch's first write, so that the gate watches the new groups from the
/// switch's deployment on.
async fn rewatch(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    (place, balancer): (Place<'_>, &Balancer<'_>),
    tags: &Tags,
) -> Result<()> {
    if !spec.alarms {
        return Ok(());
    }
    let watched = Watched {
        target_group_arn: balancer.target_group_arn,
        alternate_target_group_arn: balancer.advanced.map(|a| a.alternate_target_group_arn),
        ..watched(place)
    };
    let found = alarm::find_all(&c.cloudwatch, &alarms::names(d)).await?;
    alarms::ensure(c, d, spec, watched, &found, tags).await
}

/// The group that serves a set's production traffic: of the groups the service names, the one
/// the rule gives weight (ECS moves the weights to the group of the revision it deployed
/// last); when the rule weighs neither (a replacement's rollback: the rule forwards to the
/// other set), the one with more targets registered and not draining (ELBv2
/// DescribeTargetHealth: a target of a group no rule forwards to is `unused`; ECS registers a
/// revision's tasks in the group it deploys it behind, ECS Developer Guide, "Amazon ECS
/// blue/green service deployments workflow"); else the group the service names first, else
/// the primary.
pub(super) async fn serving(
    c: &Clients,
    svc: &Service,
    rule: &ListenerRule,
    primary: &TargetGroup,
) -> Result<String> {
    let named: Vec<&String> = std::iter::once(&svc.target_group_arn)
        .chain(&svc.alternate_target_group_arn)
        .filter(|a| !a.is_empty())
        .collect();
    let weighted = rule.target_group_arns.iter().zip(&rule.weights);
    let weighted = weighted.filter(|(arn, w)| **w > 0 && named.contains(arn));
    // The heaviest: a deployment stopped mid-shift leaves both weighted.
    if let Some((arn, _)) = weighted.max_by_key(|(_, w)| **w) {
        return Ok(arn.clone());
    }
    let [first, second] = named[..] else {
        return Ok(named.first().map_or(primary.arn.clone(), |a| a.to_string()));
    };
    // Registered and not leaving: `healthy`, or `unused` in a group no rule forwards to.
    let registered = |arn: String| async move {
        let counts = target_group::health(&c.elb, &arn).await?;
        let leaving = counts.get("draining").copied().unwrap_or(0);
        Ok::<_, crate::error::Error>(counts.values().sum::<usize>() - leaving)
    };
    let (a, b) = tokio::join!(registered(first.clone()), registered(second.clone()));
    Ok(match b? > a? {
        true => second.clone(),
        false => first.clone(),
    })
}

/// Where an in-place Update takes a set's strategy: its native parts (made or adopted when
/// the new strategy is native), and whether the service switches to or from one.
pub(super) struct To {
    native: Option<Native>,
    switching: bool,
    serving: String,
}

impl To {
    /// Whether the service switches between ROLLING and a native strategy.
    pub(super) fn switching(&self) -> bool {
        self.switching
    }

    /// The role ECS invokes `LifecycleHooks` with: the traffic role, with a native strategy;
    /// `Some("")` when the service leaves one (its hooks cleared, none to invoke).
    pub(super) fn hooks_role(&self) -> Option<&str> {
        match (&self.native, self.switching) {
            (Some(n), _) => Some(n.role.arn.as_str()),
            (None, true) => Some(""),
            (None, false) => None,
        }
    }

    /// The load balancer an UpdateService names ([`balancer`]) when it switches or the test
    /// rule the service names changes; `None` otherwise.
    pub(super) fn balancer<'a>(&'a self, place: Place<'a>) -> Option<Balancer<'a>> {
        let b = balancer(place, self.native.as_ref(), &self.serving);
        let test = b.advanced.and_then(|a| a.test_listener_rule);
        let retested = self.native.is_some() && place.service.test_listener_rule.as_deref() != test;
        (self.switching || retested).then_some(b)
    }
}

/// Where a set goes with `spec`'s strategy ([`To`]): the native parts made (or adopted) when
/// `spec`'s strategy is native, the group that serves, and, when the service switches, its
/// alarms put to watch what it will name (before the UpdateService: an in-place Update's,
/// with its other changes, or [`converge`]'s).
pub(super) async fn to(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    place: Place<'_>,
    tags: &Tags,
) -> Result<To> {
    let native = native_parts(c, d, spec, place, tags).await?;
    let to = To {
        switching: switches(spec, place.service),
        serving: Box::pin(serving(c, place.service, place.rule, place.primary)).await?,
        native,
    };
    if let Some(b) = to.balancer(place) {
        Box::pin(rewatch(c, d, spec, (place, &b), tags)).await?;
    }
    Ok(to)
}

/// Brings a serving set's service onto `spec`'s strategy (the end of a Create and of a
/// replacement, and their continuations and rollbacks): what [`to`] does, the alarms put again
/// on a native set that does not switch (`prepare` put them on the primary group alone), then,
/// only if the service switches, one UpdateService and the wait for its rolling deployment.
pub(super) async fn converge(
    c: &Clients,
    (d, smoke): (&Deployment, &Smoke<'_>),
    spec: &Spec,
    place: Place<'_>,
    tags: &Tags,
) -> Result<()> {
    let to = Box::pin(to(c, d, spec, place, tags)).await?;
    let Some(balancer) = to.balancer(place) else {
        if to.native.is_some() {
            let kept = balancer(place, to.native.as_ref(), &to.serving);
            Box::pin(rewatch(c, d, spec, (place, &kept), tags)).await?;
        }
        return Ok(());
    };
    let (svc, for_ecs) = (place.service, alarms::for_ecs(d, spec));
    let change = service::Change {
        deployment_configuration: Some((&for_ecs, to.hooks_role())),
        load_balancer: Some((spec, balancer)),
        ..service::Change::default()
    };
    let switching = format!(
        "switching ECS service ({}) to {} deployments",
        svc.name, spec.deployment_strategy
    );
    let switched = async {
        service::update(&c.ecs, place.cluster, &svc.name, change).await?;
        let at = (place.cluster, svc.name.as_str());
        let steady = |p| smoke.at_pause(p);
        service::wait_steady(&c.ecs, at, &svc.task_definition, steady).await
    };
    step(switching, Box::pin(switched)).await.map(|_| ())
}

/// [`parts`] when `spec`'s strategy is native, else none.
async fn native_parts(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    place: Place<'_>,
    tags: &Tags,
) -> Result<Option<Native>> {
    match spec.native_strategy() {
        true => Ok(Some(Box::pin(parts(c, d, spec, place, tags)).await?)),
        false => Ok(None),
    }
}

/// `spec`'s hook functions with those of `live` (the service's now) that it drops: ECS may
/// invoke either until the deployment that drops them is done ([`narrow_hooks`] then).
fn hook_functions(spec: &Spec, live: Vec<String>) -> Vec<String> {
    let named = spec
        .lifecycle_hooks
        .iter()
        .map(|h| h.hook_target_arn.clone());
    let mut all: Vec<String> = named.collect();
    for function in live {
        if !all.contains(&function) {
            all.push(function);
        }
    }
    all
}

/// Puts the traffic role `role`'s hooks policy on exactly `functions` (none: nothing put).
async fn grant_hooks(c: &Clients, role: &str, functions: Vec<String>) -> Result<()> {
    if functions.is_empty() {
        return Ok(());
    }
    let policy = role::hooks_policy(&functions);
    role::put_policy(&c.iam, role, role::HOOKS_POLICY_NAME, &policy).await
}

/// Once an Update that changed the strategy or its hooks is done: the traffic role may invoke
/// exactly `new`'s hooks (its hooks policy put on them, or deleted without any). Only for a
/// set that has a traffic role (`old` or `new` native).
pub(super) async fn narrow_hooks(
    c: &Clients,
    d: &Deployment,
    (old, new): (&Spec, &Spec),
) -> Result<()> {
    if !old.native_strategy() && !new.native_strategy() {
        return Ok(());
    }
    let role = d.traffic_role();
    match new.native_strategy() && !new.lifecycle_hooks.is_empty() {
        true => grant_hooks(c, &role, hook_functions(new, Vec::new())).await,
        false => role::delete_policy(&c.iam, &role, role::HOOKS_POLICY_NAME).await,
    }
}
