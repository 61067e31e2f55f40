//! Rule 27: ECS's own blue/green, canary and linear deployments on an Application Load Balancer.
//! A switch between ROLLING and them needs a service with no deployment in progress.
//! A load balancer's `advancedConfiguration` needs both target groups associated with the
//! production listener rule, and a role that exists and that ECS may assume
//! (`InvalidParameterException`; ECS Developer Guide, "Required resources for Amazon ECS
//! blue/green deployments": "both target groups (production and test) must be associated
//! with production listener rules"; "Amazon ECS infrastructure IAM role for load balancers",
//! trusted by `ecs.amazonaws.com`). A deployment of a new revision on a service with one moves
//! all production traffic to the other group: ECS rewrites the rule's forward over the two
//! groups, the new revision's at 100 and the old one's at 0 (public reports:
//! go-to-k/cdk-real-drift#1730, terraform-aws-modules/terraform-aws-alb#409,
//! aws/aws-cdk#36649). Under the timed model the weights move at each read of the service as
//! the deployment's steps reach them (the canary's share, each linear step; ECS Developer
//! Guide, "canary deployments", "linear deployments"); otherwise all at once at the first read
//! after it completed (ECS shifts traffic only to tasks that run). A deployment rolled back
//! puts them back on the group that served. A test listener rule the load balancer names
//! (`testListenerRule`) sends all its traffic to the new revision's group from the
//! deployment's first step, as ECS's TEST_TRAFFIC_SHIFT stage comes before
//! PRODUCTION_TRAFFIC_SHIFT, and back on a rollback (ECS Developer Guide, "Amazon ECS
//! blue/green service deployments workflow"). The tasks of
//! such a service are registered in the group that serves: DescribeTargetHealth of it lists
//! them healthy, of the other group none (moto registers no task anywhere). moto keeps neither
//! the strategy nor the advanced configuration, and moves no weight.

use aws_sdk_elasticloadbalancingv2::types::TargetGroupTuple;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig};
use serde_json::Value;

use super::upstream::Upstream;
use super::verdict::{Refusal, Verdict};
use super::{ecs, AwsRules, Rule};
use crate::call::Fields;

/// An UpdateService that adds or drops a load balancer's advanced configuration (a switch
/// between ROLLING and a native strategy) while the service has a deployment in progress: ECS
/// switches only an idle service (ECS Developer Guide, "Update the Amazon ECS deployment
/// strategy": "Wait for any current deployments to complete"; "Updating an Amazon ECS service
/// from blue/green to rolling": a service with a deployment in progress cannot be migrated).
pub fn mid_deployment(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    let asked = body.get("loadBalancers")?;
    if !rules.on(Rule::NativeDeployments) {
        return None;
    }
    let arn = ecs::service_arn(body);
    let kept = kept_balancers(rules, &arn);
    let advanced = |b: &Value| b[0].get("advancedConfiguration").is_some();
    let switches = kept.is_some_and(|k| advanced(&k) != advanced(asked));
    (switches && moto.rollouts().in_progress(&arn)).then(|| {
        let message = "The service has a deployment in progress: its deployment strategy cannot \
                       be changed until the deployment completes.";
        Verdict::Refuse(Refusal::new("InvalidParameterException", message))
    })
}

/// A load balancer's advanced configuration that ECS refuses, with its reason.
pub async fn refused(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    if !rules.on(Rule::NativeDeployments) {
        return None;
    }
    let balancer = &body["loadBalancers"][0];
    let advanced = balancer.get("advancedConfiguration")?;
    let rule = advanced["productionListenerRule"]
        .as_str()
        .unwrap_or_default();
    let groups = [
        &balancer["targetGroupArn"],
        &advanced["alternateTargetGroupArn"],
    ];
    let forwards = weights(moto, rule).await.unwrap_or_default();
    let missing = groups
        .iter()
        .filter_map(|g| g.as_str())
        .find(|g| !forwards.iter().any(|(arn, _)| arn == g));
    let role = advanced["roleArn"].as_str().unwrap_or_default();
    let name = role.rsplit('/').next().unwrap_or_default();
    let trusted = match moto.iam.get_role().role_name(name).send().await {
        Ok(out) => out
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .is_some_and(|d| percent(d).contains("ecs.amazonaws.com")),
        Err(_) => false,
    };
    let message = match (missing, trusted) {
        (Some(group), _) => format!(
            "The target group {group} is not associated with the production listener rule {rule}."
        ),
        (None, false) => format!("Amazon ECS was unable to assume the role {role}."),
        (None, true) => {
            let serving = balancer["targetGroupArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let arn = ecs::service_arn(body);
            rules.with(|s| s.serving.entry(arn).or_insert(serving).clone());
            return None;
        }
    };
    let refusal = Refusal::new("InvalidParameterException", message);
    Some(Verdict::Refuse(refusal))
}

/// Before an UpdateService that deploys a new revision on a service with an advanced
/// configuration (and does not switch it off or on): its lifecycle hooks run ([`super::hooks`]), and
/// the production rule's weights move to the group that served nothing as reads of the
/// service show the deployment go ([`presented`]).
pub async fn deploy(rules: &AwsRules, moto: &Upstream, body: &Value) {
    let revision = body["taskDefinition"].as_str().unwrap_or_default();
    if !rules.on(Rule::NativeDeployments) || revision.is_empty() {
        return;
    }
    let arn = ecs::service_arn(body);
    let kept = kept_balancers(rules, &arn);
    let Some(kept) = kept else { return };
    // A switch deploys by rolling ([`mid_deployment`]); balancers asked without one are
    // deployed as they ask.
    let advanced = |b: &Value| b[0]["advancedConfiguration"].clone();
    let asked = body.get("loadBalancers");
    if asked.is_some_and(|a| advanced(a).is_object() != advanced(&kept).is_object()) {
        return;
    }
    let advanced = advanced(asked.unwrap_or(&kept));
    let Some(rule) = advanced["productionListenerRule"]
        .as_str()
        .map(str::to_string)
    else {
        return;
    };
    let config = kept_config(rules, &arn, body);
    let shift = Shift {
        rule,
        test: advanced["testListenerRule"].as_str().map(str::to_string),
        revision: revision.to_string(),
        from: None,
        first: first_step(&config),
    };
    rules.with(|s| s.shifts.insert(arn.clone(), shift));
    super::hooks::invoke(moto, &arn, (body, &config)).await;
}

/// A deployment's move of production traffic on a native service.
#[derive(Debug, Clone)]
pub struct Shift {
    /// The production rule.
    rule: String,
    /// The test rule, if the load balancer names one: all its traffic goes to the new
    /// revision's group from the deployment's first step (TEST_TRAFFIC_SHIFT comes before
    /// PRODUCTION_TRAFFIC_SHIFT), and back if the deployment is rolled back.
    test: Option<String>,
    /// The revision deployed.
    revision: String,
    /// The group that served before it: the one the rule weighed most when the world first
    /// moved its weights (read then, not at the UpdateService, which prod-e's own rule writes
    /// of the same Update may race).
    from: Option<String>,
    /// The percent of the first step (the canary's, a linear step's; 100 for blue/green).
    first: f64,
}

/// The deployment configuration `body` asks for, else the one service `arn` keeps.
pub(super) fn kept_config(rules: &AwsRules, arn: &str, body: &Value) -> Value {
    match body.get("deploymentConfiguration") {
        Some(c) => c.clone(),
        None => rules
            .with(|s| s.settings.get(arn)?.get("deploymentConfiguration").cloned())
            .unwrap_or_default(),
    }
}

/// The first step's percent under `config` (ECS's defaults: a 5 % canary, 10 % steps).
fn first_step(config: &Value) -> f64 {
    match config["strategy"].as_str() {
        Some("CANARY") => config["canaryConfiguration"]["canaryPercent"]
            .as_f64()
            .unwrap_or(5.0),
        Some("LINEAR") => config["linearConfiguration"]["stepPercent"]
            .as_f64()
            .unwrap_or(10.0),
        _ => 100.0,
    }
}

/// After a DescribeServices, from its answer as the caller gets it (`reply`, the rollout
/// player's rewrite included, so that what moves and what is shown are one reading): each
/// service shown whose deployment ([`deploy`]) runs has its production traffic moved as far as
/// the deployment has gone (the timed model's share; none otherwise), and one whose
/// deployment ended has all of it moved if the deployment completed on its revision, else
/// put back (ECS moves traffic only to tasks that run; a rolled-back deployment serves from
/// the group that served).
pub async fn presented(rules: &AwsRules, moto: &Upstream, action: &str, reply: &[u8]) {
    if action != "DescribeServices" {
        return;
    }
    let services = super::wire::ok_json(reply).map(|d| d["services"].clone());
    for s in services
        .and_then(|s| s.as_array().cloned())
        .unwrap_or_default()
    {
        let arn = super::wire::text(&s["serviceArn"]);
        let Some(shift) = rules.with(|st| st.shifts.get(&arn).cloned()) else {
            continue;
        };
        let primary = &s["deployments"][0];
        if primary["rolloutState"] == "IN_PROGRESS" {
            // A deployment paused at a hook has shifted test traffic, no production traffic.
            let share = match moto.rollouts().is_paused(&arn) {
                true => Some(0.0),
                false => moto.rollouts().native_share(&arn, shift.first),
            };
            if let Some(share) = share {
                let from = move_to(rules, moto, (&arn, &shift), share).await;
                retest(moto, &shift, from.as_deref(), 100.0).await;
                rules.with(|st| {
                    st.shifts.entry(arn).and_modify(|e| e.from = from);
                });
            }
            continue;
        }
        // Taken out at once: of two reads at once, one moves the weights.
        let Some(shift) = rules.with(|st| st.shifts.remove(&arn)) else {
            continue;
        };
        let on_revision = s["taskDefinition"] == shift.revision.as_str();
        let done = primary["rolloutState"] == "COMPLETED" && on_revision;
        let share = if done { 100.0 } else { 0.0 };
        let from = move_to(rules, moto, (&arn, &shift), share).await;
        retest(moto, &shift, from.as_deref(), share).await;
    }
}

/// Moves `shift`'s test rule, if it has one, as the production rule moved from `from`: all
/// its weight on the other group (`share` 100) or back on `from` (0).
async fn retest(moto: &Upstream, shift: &Shift, from: Option<&str>, share: f64) {
    if let (Some(test), Some(from)) = (&shift.test, from) {
        reweigh(moto, test, from, share).await;
    }
}

/// Gives the group that did not serve before `shift` `share` percent of its rule's weight
/// ([`reweigh`]) and records the group the service's tasks are then registered in (the one
/// with the larger share). Returns the group that served: the heaviest before the first move
/// (an earlier deployment superseded mid-shift may have left both weighted).
async fn move_to(
    rules: &AwsRules,
    moto: &Upstream,
    (arn, shift): (&str, &Shift),
    share: f64,
) -> Option<String> {
    let forwards = weights(moto, &shift.rule).await?;
    let heaviest = || {
        let weighted = forwards.iter().filter(|(_, w)| *w > 0);
        weighted.max_by_key(|(_, w)| *w).map(|(g, _)| g.clone())
    };
    let from = shift.from.clone().or_else(heaviest)?;
    let serving = reweighed(moto, (&shift.rule, &forwards), &from, share).await?;
    rules.with(|s| s.serving.insert(arn.to_string(), serving));
    Some(from)
}

/// Gives rule `rule`'s groups but `from` `share` percent of its weight and `from` the rest:
/// all of it (or none) as the rule weighs now, a share in between out of 1000; nothing is
/// written if nothing changes. Returns the group with the larger share.
async fn reweigh(moto: &Upstream, rule: &str, from: &str, share: f64) -> Option<String> {
    let forwards = weights(moto, rule).await?;
    reweighed(moto, (rule, &forwards), from, share).await
}

/// [`reweigh`] of a rule whose `forwards` were just read.
async fn reweighed(
    moto: &Upstream,
    (rule, forwards): (&str, &[(String, i32)]),
    from: &str,
    share: f64,
) -> Option<String> {
    let total: i32 = forwards.iter().map(|(_, w)| w).sum::<i32>().max(1);
    // A share in between is given out of 1000 (ELBv2 weights are 0–999 each): a 0.1 % canary
    // still takes a request in a thousand.
    let (to_new, from_keeps) = match (share * 10.0).round().clamp(0.0, 1000.0) as i32 {
        1000 => (total, 0),
        0 => (0, total),
        permille => (permille, 1000 - permille),
    };
    let wanted = |group: &str| match group == from {
        true => from_keeps,
        false => to_new,
    };
    let serving = forwards
        .iter()
        .map(|(g, _)| g)
        .max_by_key(|g| wanted(g))
        .cloned();
    if forwards.iter().all(|(g, w)| *w == wanted(g)) {
        return serving;
    }
    let tuples = forwards.iter().map(|(group, _)| {
        TargetGroupTuple::builder()
            .target_group_arn(group)
            .weight(wanted(group))
            .build()
    });
    let forward = ForwardActionConfig::builder().set_target_groups(Some(tuples.collect()));
    let action = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(forward.build())
        .build();
    let moved = moto
        .elb
        .modify_rule()
        .rule_arn(rule)
        .actions(action)
        .send()
        .await;
    if let Err(e) = moved {
        tracing::warn!(error = %e, rule, "could not move the rule's weights");
    }
    serving
}

/// DescribeTargetHealth of a group a service with an advanced configuration registers its
/// tasks in (one target: `healthy`, or `unused` when no rule forwards to the group, ELB User
/// Guide, "Target health status"), or of such a service's other group (none).
pub async fn health(rules: &AwsRules, moto: &Upstream, fields: &Fields) -> Option<Verdict> {
    let group = fields.get("TargetGroupArn")?;
    if !rules.on(Rule::NativeDeployments) {
        return None;
    }
    let (named, serves) = rules.with(|s| {
        let balancers = s.settings.values().filter_map(|k| k.get("loadBalancers"));
        let names = |b: &Value| {
            let advanced = &b[0]["advancedConfiguration"];
            let groups = [
                &b[0]["targetGroupArn"],
                &advanced["alternateTargetGroupArn"],
            ];
            advanced.is_object() && groups.iter().any(|g| g.as_str() == Some(group.as_str()))
        };
        let named = balancers.into_iter().any(names);
        (named, s.serving.values().any(|g| *g == group))
    });
    if !named {
        return None;
    }
    let state = match super::elbv2::associated(&moto.elb, &group).await {
        Some(false) => "unused",
        _ => "healthy",
    };
    let target = format!(
        "<member><Target><Id>10.0.1.10</Id><Port>80</Port></Target><TargetHealth><State>\
         {state}</State></TargetHealth></member>"
    );
    Some(Verdict::Answer(format!(
        "<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/\
         2015-12-01/\"><DescribeTargetHealthResult><TargetHealthDescriptions>{}\
         </TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>\
         rules</RequestId></ResponseMetadata></DescribeTargetHealthResponse>",
        if serves { target.as_str() } else { "" }
    )))
}

/// The `loadBalancers` the service `arn` was last given (rule 12 keeps them), if any.
fn kept_balancers(rules: &AwsRules, arn: &str) -> Option<Value> {
    rules.with(|s| s.settings.get(arn)?.get("loadBalancers").cloned())
}

/// The (target group, weight) pairs rule `arn` forwards to, as moto has them.
async fn weights(moto: &Upstream, arn: &str) -> Option<Vec<(String, i32)>> {
    let out = moto.elb.describe_rules().rule_arns(arn).send().await.ok()?;
    let rule = out.rules().first()?;
    let mut pairs = Vec::new();
    for action in rule.actions() {
        let tuples = action
            .forward_config()
            .map(|f| f.target_groups())
            .unwrap_or_default();
        for t in tuples {
            let weight = t.weight().unwrap_or(1);
            pairs.extend(t.target_group_arn().map(|a| (a.to_string(), weight)));
        }
        match action.target_group_arn() {
            Some(a) if !pairs.iter().any(|(p, _)| p == a) => pairs.push((a.to_string(), 1)),
            _ => {}
        }
    }
    Some(pairs)
}

fn percent(document: &str) -> String {
    crate::http::percent_decode(document)
}
