//! The drift pairs that need reads beyond the inventory: the scaling policies and scheduled
//! actions, the target group's deregistration delay, the load balancer's outbound rule, the
//! execution role's KMS grant, and the tasks' group's outbound rules.

use super::{Failure, Pair};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::Inventory;
use crate::resources::scaling::{policy, schedule, ScalableTarget};
use crate::resources::{role, security_group_rule, target_group};
use crate::spec::egress::Rule;
use crate::spec::scaling::{bounds, targets};
use crate::spec::Spec;

/// The pairs of `inv`'s set that need reads of their own.
pub(super) async fn pairs(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
) -> Result<Vec<Pair>, Failure> {
    let mut pairs = scaling(c, d, spec, inv).await?;
    if let Some(tg) = &inv.target_group {
        let delay = target_group::deregistration_delay(&c.elb, &tg.arn).await?;
        let want = spec.deregistration_delay_seconds.to_string();
        pairs.push(("DeregistrationDelaySeconds", delay, want));
    }
    if let Some(sg) = &inv.security_group {
        let made =
            security_group_rule::find_made(&c.ec2, &spec.load_balancer_security_group_id, &sg.id);
        let live = if made.await?.is_empty() {
            "none"
        } else {
            "managed"
        };
        let want = if spec.load_balancer_egress {
            "managed"
        } else {
            "none"
        };
        pairs.push(("LoadBalancerEgress", Some(live.into()), want.into()));
        // Without Egress, prod-e leaves IPv6 rules alone.
        let kept = |r: &Rule| {
            !spec.egress.is_empty()
                || !matches!(r.destination, crate::spec::egress::Destination::Ipv6(_))
        };
        let live = sg.egress.iter().flat_map(|e| e.rules()).filter(kept);
        pairs.push((
            "Egress",
            Some(rules(live)),
            rules(spec.egress_rules().into_iter()),
        ));
    }
    if let Some(exec) = &inv.execution_role {
        let document = role::policy_document(&c.iam, &exec.name, role::SECRETS_POLICY_NAME).await?;
        let want = Some(spec.secrets_kms_key_arn.clone()).filter(|k| !k.is_empty());
        pairs.push((
            "SecretsKmsKeyArn",
            Some(kms_key(document)),
            want.unwrap_or_else(|| "none".into()),
        ));
    }
    Ok(pairs)
}

/// `AutoScaling` (bounds and target tracking policies) and `ScheduledActions`, as the set's
/// scalable target has them (`off` and none without one).
async fn scaling(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
) -> Result<Vec<Pair>, Failure> {
    let target = inv.scalable_target.as_ref().filter(|t| d.owns(&t.tags));
    let (policies, actions) = match target {
        Some(t) => (policies(c, d, t).await?, actions(c, d, t).await?),
        None => (Vec::new(), Vec::new()),
    };
    let live = target.map_or("off".into(), |t| {
        scaling_text((t.min_capacity, t.max_capacity), policies)
    });
    let want = spec.auto_scaling.as_ref().map_or("off".into(), |o| {
        let (min, max) = bounds(o);
        let tracked = targets(o)
            .into_iter()
            .map(|(metric, value)| format!("{} {value}", policy::metric_type(metric).as_str()));
        scaling_text((min as i32, max as i32), tracked.collect())
    });
    let scheduled = spec.scheduled_actions.iter().map(|item| {
        let bound = |f: &str| item.optional_integer(f).and_then(|n| i32::try_from(n).ok());
        action_text(
            &item.text("ScheduledActionName"),
            bound("MinCapacity"),
            bound("MaxCapacity"),
        )
    });
    Ok(vec![
        ("AutoScaling", Some(live), want),
        (
            "ScheduledActions",
            Some(sorted(actions)),
            sorted(scheduled.collect()),
        ),
    ])
}

/// `1–4, ECSServiceAverageCPUUtilization 60`: the bounds, then each tracked metric.
fn scaling_text((min, max): (i32, i32), tracked: Vec<String>) -> String {
    let mut text = format!("{min}–{max}");
    for t in sorted_list(tracked) {
        text.push_str(&format!(", {t}"));
    }
    text
}

/// The set's target tracking policies on `t`, `METRIC TARGET` each.
async fn policies(c: &Clients, d: &Deployment, t: &ScalableTarget) -> Result<Vec<String>, Failure> {
    let found = policy::find_all(&c.scaling, &t.resource_id).await?;
    let ours = found.into_iter().filter(|p| d.owns_name(&p.name));
    Ok(ours
        .map(|p| format!("{} {}", p.metric, p.target_value))
        .collect())
}

/// The set's scheduled actions on `t`, by the name `ScheduledActions` gives them.
async fn actions(c: &Clients, d: &Deployment, t: &ScalableTarget) -> Result<Vec<String>, Failure> {
    let found = schedule::find_all(&c.scaling, &t.resource_id).await?;
    let prefix = d.scheduled_action("");
    let ours = found.into_iter().filter(|a| d.owns_name(&a.name));
    let text = |a: schedule::Scheduled| {
        let name = a.name.strip_prefix(&prefix).unwrap_or(&a.name).to_string();
        action_text(&name, a.min_capacity, a.max_capacity)
    };
    Ok(ours.map(text).collect())
}

/// `nightly min 1 max 2` (a bound not set is left out).
fn action_text(name: &str, min: Option<i32>, max: Option<i32>) -> String {
    let min = min.map(|n| format!(" min {n}")).unwrap_or_default();
    let max = max.map(|n| format!(" max {n}")).unwrap_or_default();
    format!("{name}{min}{max}")
}

/// The resource of the `kms:Decrypt` statement of a policy document, `none` without one.
fn kms_key(document: Option<String>) -> String {
    let parsed = document.and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok());
    let statements = parsed
        .as_ref()
        .and_then(|p| p["Statement"].as_array().cloned());
    let decrypt = statements
        .into_iter()
        .flatten()
        .find(|s| s["Action"] == "kms:Decrypt");
    let resource = decrypt.map(|s| match &s["Resource"] {
        serde_json::Value::Array(keys) => {
            let keys = keys.iter().filter_map(|k| k.as_str());
            keys.collect::<Vec<_>>().join(",")
        }
        other => other.as_str().unwrap_or_default().to_string(),
    });
    resource.unwrap_or_else(|| "none".into())
}

/// Rules as text, sorted, `,`-separated.
fn rules(items: impl Iterator<Item = Rule>) -> String {
    sorted(items.map(|r| r.to_string()).collect())
}

fn sorted(items: Vec<String>) -> String {
    sorted_list(items).join(",")
}

fn sorted_list(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}
