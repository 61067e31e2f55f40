//! Target tracking scaling policies of a scalable target: `find_all`, `put`, `delete`.
//!
//! Sources: Application Auto Scaling API Reference, PutScalingPolicy ("If you are updating
//! an existing policy, only the properties you specify are updated"; target tracking
//! creates and deletes its own CloudWatch alarms), `PredefinedMetricSpecification`
//! (ResourceLabel for ALBRequestCountPerTarget: `app/<load-balancer-name>/<load-balancer-id>/`
//! followed by `targetgroup/<target-group-name>/<target-group-id>`).

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_applicationautoscaling::Client;

use super::{retried_put, retried_removal};
use crate::error::Result;
use crate::resources::build_error;
use crate::spec::scaling::Metric;

/// A target tracking policy as found.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// The predefined metric it tracks (`ECSServiceAverageCPUUtilization`, …).
    pub metric: String,
    /// The value it keeps the metric at.
    pub target_value: f64,
    /// Seconds after a scale-in before the next one, if set.
    pub scale_in_cooldown: Option<i32>,
    /// Seconds after a scale-out before the next one, if set.
    pub scale_out_cooldown: Option<i32>,
}

/// What one policy keeps: the metric, its target value, and the cooldowns (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tracking<'a> {
    /// The metric.
    pub metric: Metric,
    /// Its target value (percent, or requests per task per minute).
    pub target_value: i64,
    /// For [`Metric::Requests`]: `app/…/targetgroup/…/…` (the load balancer and group).
    pub resource_label: &'a str,
    /// Seconds after a scale-in before the next one.
    pub scale_in_cooldown: i64,
    /// Seconds after a scale-out before the next one.
    pub scale_out_cooldown: i64,
}

/// Application Auto Scaling's name of `metric`.
pub fn metric_type(metric: Metric) -> MetricType {
    match metric {
        Metric::Cpu => MetricType::EcsServiceAverageCpuUtilization,
        Metric::Memory => MetricType::EcsServiceAverageMemoryUtilization,
        Metric::Requests => MetricType::AlbRequestCountPerTarget,
    }
}

/// Every policy of the target `resource_id`.
pub async fn find_all(aas: &Client, resource_id: &str) -> Result<Vec<Policy>> {
    let listed =
        of_service!(every aas.describe_scaling_policies(), resource_id, "scaling policies")?;
    Ok(listed
        .iter()
        .map(|p| {
            let tracking = p.target_tracking_scaling_policy_configuration();
            let predefined = tracking.and_then(|t| t.predefined_metric_specification());
            Policy {
                name: p.policy_name().to_string(),
                metric: predefined.map_or(String::new(), |m| {
                    m.predefined_metric_type().as_str().to_string()
                }),
                target_value: tracking.map_or(0.0, |t| t.target_value()),
                scale_in_cooldown: tracking.and_then(|t| t.scale_in_cooldown()),
                scale_out_cooldown: tracking.and_then(|t| t.scale_out_cooldown()),
            }
        })
        .collect())
}

/// Creates or changes policy `name` of the target `resource_id`.
pub async fn put(aas: &Client, resource_id: &str, name: &str, t: Tracking<'_>) -> Result<()> {
    let doing = format!("putting scaling policy ({name})");
    let label = (t.metric == Metric::Requests).then(|| t.resource_label.to_string());
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(metric_type(t.metric))
        .set_resource_label(label)
        .build()
        .map_err(|e| build_error(&doing, e))?;
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(t.target_value as f64)
        .predefined_metric_specification(metric)
        .scale_in_cooldown(t.scale_in_cooldown as i32)
        .scale_out_cooldown(t.scale_out_cooldown as i32)
        .build()
        .map_err(|e| build_error(&doing, e))?;
    let send = || {
        of_service!(aas.put_scaling_policy(), resource_id)
            .policy_name(name)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(config.clone())
            .send()
    };
    retried_put(&doing, send).await
}

/// Deletes policy `name` (with the alarms target tracking made); gone counts as deleted.
pub async fn delete(aas: &Client, resource_id: &str, name: &str) -> Result<()> {
    let doing = format!("deleting scaling policy ({name})");
    let send = || {
        of_service!(aas.delete_scaling_policy(), resource_id)
            .policy_name(name)
            .send()
    };
    retried_removal(&doing, send).await
}
