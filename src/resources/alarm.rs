//! The baseline CloudWatch metric alarms: `find_all`, `put`, `delete`.
//!
//! Sources: CloudWatch API Reference, PutMetricAlarm ("When this operation creates an alarm,
//! the alarm state is immediately set to INSUFFICIENT_DATA"; Tags: "If you are using this
//! operation to update an existing alarm, any tags you specify in this parameter are
//! ignored"; an existing alarm of the same name is overwritten), DeleteAlarms ("If you
//! specify any alarms that do not exist, you get an error ResourceNotFound and no alarms are
//! deleted": prod-e deletes one alarm per call), ListTagsForResource (alarm ARN).

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic,
};
use aws_sdk_cloudwatch::Client;

use super::{gone, required, tags, Tagged};
use crate::error::{Doing, Result};
use crate::naming::{Deployment, Tags};
use crate::resources::settings::Setting;
use crate::spec::alarms::KINDS;
use crate::spec::Spec;

/// The baseline alarms `spec` asks for (`Alarms`), as [`find_all`] reads them (only their
/// names set).
pub fn expand(spec: &Spec, d: &Deployment) -> Vec<Alarm> {
    let kinds = KINDS.iter().filter(|_| spec.alarms);
    let alarm = |kind: &&str| Alarm {
        name: d.alarm(kind),
        arn: String::new(),
        state: String::new(),
        actions: spec.alarm_actions.clone(),
        tags: Tags::new(),
    };
    kinds.map(alarm).collect()
}

/// `Alarms` by its flatten: `true` with every baseline alarm, `false` with none; and
/// `AlarmActions`, each alarm's (all alike: one list; else each alarm's in turn).
pub const SETTINGS: &[Setting<Vec<Alarm>>] = &[
    Setting::new("Alarms", |alarms| match alarms.len() {
        0 => "false".to_string(),
        n if n == KINDS.len() => "true".to_string(),
        n => format!("{n} of the {} baseline alarms", KINDS.len()),
    }),
    Setting::new("AlarmActions", |alarms| {
        let mut each: Vec<String> = alarms.iter().map(|a| a.actions.join(", ")).collect();
        each.dedup();
        each.join("; ")
    }),
];

/// An alarm as found.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its state (`OK`, `ALARM`, `INSUFFICIENT_DATA`).
    pub state: String,
    /// The SNS topics it notifies in ALARM (`AlarmActions`; prod-e gives OK the same).
    pub actions: Vec<String>,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(Alarm, "CloudWatch alarm", name);

/// One metric alarm: `statistic` of `metric` in `namespace` with `dimensions` over
/// `period_seconds`, at or above `threshold` in `evaluation_periods` periods in a row; no
/// data is not breaching.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The alarm's name.
    pub name: String,
    /// `AWS/ECS`, `AWS/ApplicationELB`.
    pub namespace: &'static str,
    /// `CPUUtilization`, …
    pub metric: &'static str,
    /// (name, value) of each dimension.
    pub dimensions: Vec<(&'static str, String)>,
    /// `Average`, `Sum`, `Maximum` (CloudWatch's `Statistic`).
    pub statistic: &'static str,
    /// The threshold (in the metric's unit).
    pub threshold: f64,
    /// Seconds per period.
    pub period_seconds: i32,
    /// Periods in a row at or above the threshold.
    pub evaluation_periods: i32,
    /// What it watches, in words (the alarm's description).
    pub description: String,
    /// The dimensions of a second series of the same metric that the alarm adds to the first
    /// (a native strategy's alternate target group, which serves after every other
    /// deployment): the alarm watches `FILL(m1, 0) + FILL(m2, 0)` (CloudWatch User Guide,
    /// "Create a CloudWatch alarm based on a metric math expression").
    pub also: Option<Vec<(&'static str, String)>>,
    /// SNS topics notified when it goes into ALARM and back to OK (`AlarmActions`).
    pub actions: Vec<String>,
}

/// The CloudWatch form of `dimensions`.
fn sdk_dimensions(dimensions: &[(&'static str, String)]) -> Vec<Dimension> {
    let dimension =
        |(k, v): &(&'static str, String)| Dimension::builder().name(*k).value(v).build();
    dimensions.iter().map(dimension).collect()
}

/// `d`'s metric with `dimensions`, as query `id` of a metric math alarm.
fn series(d: &Definition, id: &str, dimensions: &[(&'static str, String)]) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(d.namespace)
        .metric_name(d.metric)
        .set_dimensions(Some(sdk_dimensions(dimensions)))
        .build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(d.period_seconds)
        .stat(d.statistic)
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(false)
        .build()
}

/// The queries of a metric math alarm summing `d`'s two series, if it has a second.
fn summed(d: &Definition) -> Option<Vec<MetricDataQuery>> {
    let also = d.also.as_ref()?;
    let sum = MetricDataQuery::builder()
        .id("e1")
        .expression("FILL(m1, 0) + FILL(m2, 0)")
        .label(d.metric)
        .return_data(true)
        .build();
    Some(vec![
        series(d, "m1", &d.dimensions),
        series(d, "m2", also),
        sum,
    ])
}

/// The alarms called `names` that exist, with their tags (one DescribeAlarms, then
/// ListTagsForResource per alarm found).
pub async fn find_all(cw: &Client, names: &[String]) -> Result<Vec<Alarm>> {
    let out = cw
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .doing("reading CloudWatch alarms")?;
    let mut found = Vec::new();
    for alarm in out.metric_alarms() {
        let name = required(alarm.alarm_name(), Alarm::KIND, "AlarmName")?;
        let arn = required(alarm.alarm_arn(), Alarm::KIND, "AlarmArn")?;
        let listed = cw
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .doing(format!("reading tags of alarm ({name})"))?;
        found.push(Alarm {
            state: alarm.state_value().map_or("", |s| s.as_str()).to_string(),
            actions: alarm.alarm_actions().to_vec(),
            tags: tags::cloudwatch::read(listed.tags()),
            name,
            arn,
        });
    }
    Ok(found)
}

/// The state of each alarm called `names` that exists: (name, `OK` / `ALARM` /
/// `INSUFFICIENT_DATA`), one DescribeAlarms.
pub async fn states(cw: &Client, names: &[String]) -> Result<Vec<(String, String)>> {
    let out = cw
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .doing("reading CloudWatch alarms' states")?;
    let state = |a: &aws_sdk_cloudwatch::types::MetricAlarm| {
        let name = a.alarm_name().unwrap_or_default().to_string();
        (name, a.state_value().map_or("", |s| s.as_str()).to_string())
    };
    Ok(out.metric_alarms().iter().map(state).collect())
}

/// Creates the alarm, or overwrites its definition; `tags` are applied only on creation.
pub async fn put(cw: &Client, d: &Definition, tags: &Tags) -> Result<()> {
    let summed = summed(d);
    let single = summed.is_none();
    cw.put_metric_alarm()
        .alarm_name(&d.name)
        .alarm_description(&d.description)
        .set_namespace(single.then(|| d.namespace.to_string()))
        .set_metric_name(single.then(|| d.metric.to_string()))
        .set_dimensions(single.then(|| sdk_dimensions(&d.dimensions)))
        .set_statistic(single.then(|| Statistic::from(d.statistic)))
        .set_period(single.then_some(d.period_seconds))
        .set_metrics(summed)
        .threshold(d.threshold)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .evaluation_periods(d.evaluation_periods)
        .treat_missing_data("notBreaching")
        // Always sent: PutMetricAlarm replaces the whole definition, so `[]` removes them.
        .set_alarm_actions(Some(d.actions.clone()))
        .set_ok_actions(Some(d.actions.clone()))
        .set_tags(Some(tags::cloudwatch::list(tags)))
        .send()
        .await
        .done(format!("putting alarm ({})", d.name))
}

/// Deletes alarm `name`; gone counts as deleted.
pub async fn delete(cw: &Client, name: &str) -> Result<()> {
    let deleted = cw.delete_alarms().alarm_names(name).send().await;
    gone(deleted.done(format!("deleting alarm ({name})")))
}
