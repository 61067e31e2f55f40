//! The service's scaling in the words of the properties: [`Scaling`] (its scalable target's
//! bounds, the set's target tracking policies and scheduled actions), [`expand`] from a spec,
//! and [`SETTINGS`], the flatten of `AutoScaling` and `ScheduledActions`.

use super::policy::{self, Policy};
use super::schedule::{Scheduled, DEFAULT_TIMEZONE};
use crate::naming::Deployment;
use crate::resources::settings::{listed, Setting};
use crate::spec::Spec;

/// A service's scaling, as the set has it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scaling {
    /// The scalable target's (MinCapacity, MaxCapacity); `None`: no target, scaling is off.
    pub bounds: Option<(i32, i32)>,
    /// The set's target tracking policies on it.
    pub policies: Vec<Policy>,
    /// The set's scheduled actions on it, named as `ScheduledActions` names them.
    pub actions: Vec<Scheduled>,
    /// Whether `AutoScaling`'s value leaves the bounds out, as the scheduled actions' to
    /// change (Application Auto Scaling applies an action by setting them): `prod-e status`
    /// sets it on both sides where `ScheduledActions` lists some; [`expand`] does not.
    pub scheduled: bool,
}

/// The scaling `spec` asks for: the policies named as `d` names them, the actions as the
/// properties do, every time zone given ([`DEFAULT_TIMEZONE`] where an action names none).
pub fn expand(spec: &Spec, d: &Deployment) -> Scaling {
    let Some(auto) = &spec.auto_scaling else {
        return Scaling::default();
    };
    let (min, max) = auto.bounds();
    let policy = |(metric, target): (crate::spec::scaling::Metric, i64)| Policy {
        name: d.scaling_policy(metric.suffix()),
        metric: policy::metric_type(metric).as_str().to_string(),
        target_value: target as f64,
        scale_in_cooldown: i32::try_from(auto.scale_in_cooldown).ok(),
        scale_out_cooldown: i32::try_from(auto.scale_out_cooldown).ok(),
    };
    let action = |a: &crate::spec::scaling::ScheduledAction| Scheduled {
        name: a.scheduled_action_name.clone(),
        min_capacity: a.min_capacity,
        max_capacity: a.max_capacity,
        schedule: a.schedule.clone(),
        timezone: Some(a.timezone.clone())
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_TIMEZONE.to_string()),
    };
    Scaling {
        bounds: Some((min as i32, max as i32)),
        policies: auto.targets().into_iter().map(policy).collect(),
        actions: spec.scheduled_actions.iter().map(action).collect(),
        scheduled: false,
    }
}

/// `AutoScaling` (its bounds unless they are the scheduled actions': [`Scaling::scheduled`])
/// and `ScheduledActions`, by their flatten.
pub const SETTINGS: &[Setting<Scaling>] = &[
    Setting::new("AutoScaling", |s| match s.bounds {
        None => "off".to_string(),
        Some(_) if s.scheduled => tracked("bounds as ScheduledActions set them", s),
        Some((min, max)) => tracked(&format!("{min}–{max}"), s),
    }),
    Setting::new("ScheduledActions", |s| {
        listed(s.actions.iter().map(action_text).collect())
    }),
];

/// `1–4, ECSServiceAverageCPUUtilization 60 (cooldowns in 300 s, out 60 s)`: `bounds`, then
/// each tracking policy of `s`, sorted.
fn tracked(bounds: &str, s: &Scaling) -> String {
    let mut policies: Vec<String> = s.policies.iter().map(policy_text).collect();
    policies.sort();
    policies.insert(0, bounds.to_string());
    policies.join(", ")
}

/// `ECSServiceAverageCPUUtilization 60 (cooldowns in 300 s, out 300 s)`.
fn policy_text(p: &Policy) -> String {
    let cooldown = |s: Option<i32>| s.unwrap_or(0);
    format!(
        "{} {} (cooldowns in {} s, out {} s)",
        p.metric,
        p.target_value,
        cooldown(p.scale_in_cooldown),
        cooldown(p.scale_out_cooldown)
    )
}

/// `night cron(0 22 * * ? *) Etc/UTC max 1` (a bound not set is left out).
fn action_text(a: &Scheduled) -> String {
    let min = a
        .min_capacity
        .map(|n| format!(" min {n}"))
        .unwrap_or_default();
    let max = a
        .max_capacity
        .map(|n| format!(" max {n}"))
        .unwrap_or_default();
    format!("{} {} {}{min}{max}", a.name, a.schedule, a.timezone)
}
