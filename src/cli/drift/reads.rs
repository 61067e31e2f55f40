//! The drift pairs that need reads beyond the inventory: the scaling policies and scheduled
//! actions, the target group's deregistration delay, the load balancer's outbound rule, the
//! execution role's KMS grant, and the tasks' group's outbound rules.

use super::{Failure, Pair};
use crate::aws::Clients;
use crate::error::{AllOk, Result};
use crate::naming::Deployment;
use crate::plan::Inventory;
use crate::resources::scaling::schedule::{self, DEFAULT_TIMEZONE};
use crate::resources::scaling::{policy, ScalableTarget};
use crate::resources::{role, security_group_rule};
use crate::spec::Spec;

/// The pairs of `inv`'s set that need reads of their own, read at once.
pub(super) async fn pairs(
    c: &Clients,
    d: &Deployment,
    spec: &Spec,
    inv: &Inventory,
) -> std::result::Result<Vec<Pair>, Failure> {
    let (scaling, network, grant) = tokio::join!(
        scaling(c, d, spec, inv),
        network(c, spec, inv),
        grant(c, spec, inv),
    )
    .all_ok()?;
    Ok([scaling, network, grant].concat())
}

/// `LoadBalancerEgress` (prod-e's rule from the load balancer's group to the tasks, by port)
/// and `Egress` (the tasks' group's outbound rules, as the inventory read them).
async fn network(c: &Clients, spec: &Spec, inv: &Inventory) -> Result<Vec<Pair>> {
    let Some(sg) = &inv.security_group else {
        return Ok(Vec::new());
    };
    let from = &spec.load_balancer_security_group_id;
    let made = security_group_rule::find_made(&c.ec2, from, &sg.id).await?;
    // prod-e's rule, by the port it opens: `managed (tcp/80)`.
    let managed = |ports: Vec<i32>| match ports.is_empty() {
        true => "none".to_string(),
        false => {
            let ports: Vec<String> = ports.iter().map(|p| format!("tcp/{p}")).collect();
            format!("managed ({})", ports.join(","))
        }
    };
    let wanted = spec
        .load_balancer_egress
        .then_some(i32::from(spec.container_port));
    Ok(vec![(
        "LoadBalancerEgress",
        Some(managed(made.iter().map(|m| m.port).collect())),
        managed(wanted.into_iter().collect()),
    )])
}

/// `SecretsKmsKeyArn`, from the execution role's secrets policy.
async fn grant(c: &Clients, spec: &Spec, inv: &Inventory) -> Result<Vec<Pair>> {
    let Some(exec) = &inv.execution_role else {
        return Ok(Vec::new());
    };
    let document = role::policy_document(&c.iam, &exec.name, role::SECRETS_POLICY_NAME);
    let live = kms_key(document.await?);
    // The key is granted with the secrets' policy, which exists only with secrets.
    let key = &spec.secrets_kms_key_arn;
    let granted = !key.is_empty() && !spec.secret_sources().is_empty();
    let want = if granted { key.clone() } else { "none".into() };
    Ok(vec![("SecretsKmsKeyArn", Some(live), want)])
}

/// `AutoScaling` (bounds and target tracking policies) and `ScheduledActions`, as the set's
/// scalable target has them (`off` and none without one). With scheduled actions the bounds
/// are theirs to change (Application Auto Scaling applies an action by setting them), so only
/// the policies are compared.
async fn scaling(c: &Clients, d: &Deployment, spec: &Spec, inv: &Inventory) -> Result<Vec<Pair>> {
    let target = inv.scalable_target.as_ref().filter(|t| d.owns(&t.tags));
    let (policies, actions) = match target {
        Some(t) => tokio::join!(policies(c, d, t), actions(c, d, t)).all_ok()?,
        None => (Vec::new(), Vec::new()),
    };
    let scheduled = !spec.scheduled_actions.is_empty();
    let live = target.map_or("off".into(), |t| {
        scaling_text((t.min_capacity, t.max_capacity), scheduled, policies)
    });
    let want = spec.auto_scaling.as_ref().map_or("off".into(), |o| {
        let (min, max) = o.bounds();
        let cooldowns = (o.scale_in_cooldown, o.scale_out_cooldown);
        let tracked = o.targets().into_iter().map(|(metric, value)| {
            policy_text(policy::metric_type(metric).as_str(), value, cooldowns)
        });
        scaling_text((min as i32, max as i32), scheduled, tracked.collect())
    });
    let wanted_actions = spec.scheduled_actions.iter().map(|item| {
        let timezone = Some(item.timezone.clone()).filter(|t| !t.is_empty());
        let when = (
            item.schedule.clone(),
            timezone.unwrap_or(DEFAULT_TIMEZONE.into()),
        );
        action_text(
            &item.scheduled_action_name,
            (item.min_capacity, item.max_capacity),
            when,
        )
    });
    Ok(vec![
        ("AutoScaling", Some(live), want),
        (
            "ScheduledActions",
            Some(sorted(actions)),
            sorted(wanted_actions.collect()),
        ),
    ])
}

/// `1–4, ECSServiceAverageCPUUtilization 60 …`: the bounds (unless `scheduled` actions set
/// them), then each tracking policy.
fn scaling_text((min, max): (i32, i32), scheduled: bool, tracked: Vec<String>) -> String {
    let mut text = match scheduled {
        true => "bounds as ScheduledActions set them".to_string(),
        false => format!("{min}–{max}"),
    };
    for t in sorted_list(tracked) {
        text.push_str(&format!(", {t}"));
    }
    text
}

/// `ECSServiceAverageCPUUtilization 60 (cooldowns in 300 s, out 300 s)`.
fn policy_text(
    metric: &str,
    target: impl std::fmt::Display,
    (scale_in, scale_out): (i64, i64),
) -> String {
    format!("{metric} {target} (cooldowns in {scale_in} s, out {scale_out} s)")
}

/// The set's target tracking policies on `t`.
async fn policies(c: &Clients, d: &Deployment, t: &ScalableTarget) -> Result<Vec<String>> {
    let found = policy::find_all(&c.scaling, &t.resource_id).await?;
    let ours = found.into_iter().filter(|p| d.owns_name(&p.name));
    let text = |p: policy::Policy| {
        let cooldown = |s: Option<i32>| i64::from(s.unwrap_or(0));
        let cooldowns = (
            cooldown(p.scale_in_cooldown),
            cooldown(p.scale_out_cooldown),
        );
        policy_text(&p.metric, p.target_value, cooldowns)
    };
    Ok(ours.map(text).collect())
}

/// The set's scheduled actions on `t`, by the name `ScheduledActions` gives them.
async fn actions(c: &Clients, d: &Deployment, t: &ScalableTarget) -> Result<Vec<String>> {
    let found = schedule::find_all(&c.scaling, &t.resource_id).await?;
    let prefix = d.scheduled_action("");
    let ours = found.into_iter().filter(|a| d.owns_name(&a.name));
    let text = |a: schedule::Scheduled| {
        let name = a.name.strip_prefix(&prefix).unwrap_or(&a.name).to_string();
        action_text(
            &name,
            (a.min_capacity, a.max_capacity),
            (a.schedule, a.timezone),
        )
    };
    Ok(ours.map(text).collect())
}

/// `night cron(0 22 * * ? *) Etc/UTC max 1` (a bound not set is left out).
fn action_text(
    name: &str,
    (min, max): (Option<i32>, Option<i32>),
    (schedule, timezone): (String, String),
) -> String {
    let min = min.map(|n| format!(" min {n}")).unwrap_or_default();
    let max = max.map(|n| format!(" max {n}")).unwrap_or_default();
    format!("{name} {schedule} {timezone}{min}{max}")
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

fn sorted(items: Vec<String>) -> String {
    sorted_list(items).join(",")
}

fn sorted_list(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}
