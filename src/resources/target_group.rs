//! The ALB target group (type `ip`, `TargetProtocol` and `ProtocolVersion` on the container
//! port) the listener rule forwards to.

use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum,
};
use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::Client;

use super::tags;
use super::{build_error, found, gone, required, Tagged};
use crate::error::{is_resource_in_use, Doing, Every, Result};

use super::settings::Setting;
use crate::naming::Tags;
use crate::retry::{retry, TARGET_GROUP_IN_USE};
use crate::spec::health::TargetHealthCheck;
use crate::spec::Spec;

/// A target group's settings: its health check ([`find`]) and its attributes
/// ([`attributes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Its protocol (`HTTP`, `HTTPS`).
    pub protocol: String,
    /// Its protocol version (`HTTP1`, `HTTP2`, `GRPC`).
    pub protocol_version: String,
    /// Its health check.
    pub health_check: TargetHealthCheck,
    /// Its attributes, ELBv2 key → value (those ELBv2 lists; those prod-e sets).
    pub attributes: BTreeMap<String, String>,
}

/// The settings `spec` asks for.
pub fn expand(spec: &Spec) -> Settings {
    let attributes = ATTRIBUTES
        .iter()
        .filter_map(|(key, value)| Some((key.to_string(), value(spec)?)))
        .collect();
    Settings {
        protocol: spec.target_protocol.clone(),
        protocol_version: spec.protocol_version.clone(),
        health_check: spec.target_health_check(),
        attributes,
    }
}

/// Every property the target group carries, by its flatten.
pub const SETTINGS: &[Setting<Settings>] = &[
    Setting::new("TargetProtocol", |t| t.protocol.clone()),
    Setting::new("ProtocolVersion", |t| t.protocol_version.clone()),
    Setting::new("HealthCheck", |t| t.health_check.to_string()),
    Setting::reported("DeregistrationDelaySeconds", |t| {
        t.attributes.get(DEREGISTRATION_DELAY).cloned()
    }),
    Setting::reported("SlowStartSeconds", |t| {
        t.attributes.get(SLOW_START).cloned()
    }),
    Setting::reported("LoadBalancingAlgorithm", |t| {
        t.attributes.get(ALGORITHM).cloned()
    }),
    Setting::reported("Stickiness", |t| stickiness(&t.attributes)),
];

/// The attribute that holds the deregistration delay, seconds.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";
/// The attribute that holds the slow start's duration, seconds.
const SLOW_START: &str = "slow_start.duration_seconds";
/// The attribute that holds the routing algorithm.
const ALGORITHM: &str = "load_balancing.algorithm.type";
/// The attribute that turns sticky sessions on.
const STICKY: &str = "stickiness.enabled";
/// The attribute that holds the kind of sticky sessions (lb_cookie, app_cookie).
const STICKY_TYPE: &str = "stickiness.type";
/// The attribute that holds the application cookie's name.
const APP_COOKIE_NAME: &str = "stickiness.app_cookie.cookie_name";

/// The attributes prod-e sets, each ELBv2 key with its value for a spec (`None`: not sent).
/// ELBv2 API Reference, `TargetGroupAttribute`: `deregistration_delay.timeout_seconds`
/// (0–3600), `slow_start.duration_seconds` (0, 30–900), `load_balancing.algorithm.type`,
/// `stickiness.enabled`, `stickiness.type`, `stickiness.<type>.duration_seconds` (1–604800),
/// `stickiness.app_cookie.cookie_name`.
type Attribute = (&'static str, fn(&Spec) -> Option<String>);
const ATTRIBUTES: &[Attribute] = &[
    (DEREGISTRATION_DELAY, |s| {
        Some(s.deregistration_delay_seconds.to_string())
    }),
    (SLOW_START, |s| Some(s.slow_start_seconds.to_string())),
    (ALGORITHM, |s| Some(s.load_balancing_algorithm.clone())),
    (STICKY, |s| Some(s.stickiness.is_some().to_string())),
    (STICKY_TYPE, |s| Some(s.stickiness.as_ref()?.kind.clone())),
    ("stickiness.lb_cookie.duration_seconds", |s| {
        sticky_seconds(s, "lb_cookie")
    }),
    ("stickiness.app_cookie.duration_seconds", |s| {
        sticky_seconds(s, "app_cookie")
    }),
    (APP_COOKIE_NAME, |s| {
        let sticky = s.stickiness.as_ref().filter(|t| t.kind == "app_cookie")?;
        Some(sticky.cookie_name.clone())
    }),
];

/// The stickiness duration `spec` gives, if its stickiness is of `kind`.
fn sticky_seconds(spec: &Spec, kind: &str) -> Option<String> {
    let sticky = spec.stickiness.as_ref().filter(|t| t.kind == kind)?;
    Some(sticky.duration_seconds.to_string())
}

/// Stickiness as the attributes `found` say: `off`, `lb_cookie 86400 s` or
/// `app_cookie SESSION 86400 s` (`None`: ELBv2 lists no `stickiness.enabled`).
fn stickiness(found: &BTreeMap<String, String>) -> Option<String> {
    if found.get(STICKY)? != "true" {
        return Some("off".to_string());
    }
    let kind = found.get(STICKY_TYPE).map_or("lb_cookie", String::as_str);
    let get = |key: &str| found.get(key).map_or("", String::as_str);
    let seconds = get(&format!("stickiness.{kind}.duration_seconds"));
    Some(match kind {
        "app_cookie" => format!("{kind} {} {seconds} s", get(APP_COOKIE_NAME)),
        _ => format!("{kind} {seconds} s"),
    })
}

/// `$builder` (CreateTargetGroup's or ModifyTargetGroup's) with every setting of the health
/// check `$check`; the two builders are distinct types with the same setters.
macro_rules! with_health_check {
    ($builder:expr, $check:expr) => {
        $builder
            .health_check_path(&$check.path)
            .health_check_interval_seconds($check.interval_seconds)
            .health_check_timeout_seconds($check.timeout_seconds)
            .healthy_threshold_count($check.healthy_threshold_count)
            .unhealthy_threshold_count($check.unhealthy_threshold_count)
            .matcher(matcher(&$check))
    };
}

/// The matcher of health check `check`: its gRPC codes if it has them, else its HTTP codes
/// ([`TargetHealthCheck::for_version`]).
fn matcher(check: &TargetHealthCheck) -> Matcher {
    match check.grpc_code.is_empty() {
        true => Matcher::builder().http_code(&check.matcher).build(),
        false => Matcher::builder().grpc_code(&check.grpc_code).build(),
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
/// A target group as found or created.
pub struct TargetGroup {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Its protocol (`HTTP`, `HTTPS`).
    pub protocol: String,
    /// Its protocol version (`HTTP1`, `HTTP2`, `GRPC`).
    pub protocol_version: String,
    /// Its health check.
    pub health_check: TargetHealthCheck,
    /// The load balancers that forward to it (as DescribeTargetGroups reports them).
    pub load_balancer_arns: Vec<String>,
    /// Its tags (the ownership tags among them).
    pub tags: Tags,
}

tagged!(TargetGroup, "target group", name);

/// The resource called `name` if it exists (`None`, not an error, if it does not).
pub async fn find(elb: &Client, name: &str) -> Result<Option<TargetGroup>> {
    let out = elb.describe_target_groups().names(name).send().await;
    let out = found(out.doing(format!("reading target group ({name})")))?;
    let Some(group) = out.as_ref().and_then(|o| o.target_groups().first()) else {
        return Ok(None);
    };
    let arn = required(
        group.target_group_arn(),
        TargetGroup::KIND,
        "TargetGroupArn",
    )?;
    let doing = format!("reading tags of target group ({name})");
    let mut tags = tags::elbv2::by_arn(elb, std::slice::from_ref(&arn), &doing).await?;
    from_sdk(group, tags.remove(&arn).unwrap_or_default()).map(Some)
}

/// A described target group with its tags (DescribeTargetGroups carries none).
fn from_sdk(
    g: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
    tags: Tags,
) -> Result<TargetGroup> {
    const KIND: &str = TargetGroup::KIND;
    Ok(TargetGroup {
        name: required(g.target_group_name(), KIND, "TargetGroupName")?,
        arn: required(g.target_group_arn(), KIND, "TargetGroupArn")?,
        protocol: g.protocol().map_or("", |p| p.as_str()).to_string(),
        protocol_version: g.protocol_version().unwrap_or_default().to_string(),
        health_check: TargetHealthCheck {
            path: g.health_check_path().unwrap_or("/").to_string(),
            interval_seconds: g.health_check_interval_seconds().unwrap_or_default(),
            timeout_seconds: g.health_check_timeout_seconds().unwrap_or_default(),
            healthy_threshold_count: g.healthy_threshold_count().unwrap_or_default(),
            unhealthy_threshold_count: g.unhealthy_threshold_count().unwrap_or_default(),
            matcher: g
                .matcher()
                .and_then(|m| m.http_code())
                .unwrap_or_default()
                .to_string(),
            grpc_code: g
                .matcher()
                .and_then(|m| m.grpc_code())
                .unwrap_or_default()
                .to_string(),
        },
        load_balancer_arns: g.load_balancer_arns().to_vec(),
        tags,
    })
}

/// Creates it with `tags` (its attributes are set apart: [`set_attributes`]);
/// errors are AWS's (an "already exists" is adopted by the caller).
pub async fn create(elb: &Client, name: &str, spec: &Spec, tags: &Tags) -> Result<TargetGroup> {
    let doing = format!("creating target group ({name})");
    let check = spec.target_health_check();
    let protocol = ProtocolEnum::from(spec.target_protocol.as_str());
    let create = elb
        .create_target_group()
        .name(name)
        .protocol(protocol.clone())
        .protocol_version(&spec.protocol_version)
        .port(i32::from(spec.container_port))
        .vpc_id(&spec.vpc_id)
        .target_type(TargetTypeEnum::Ip)
        .health_check_protocol(protocol);
    let out = with_health_check!(create, check)
        .set_tags(Some(tags::elbv2::list(tags)))
        .send()
        .await
        .doing(&doing)?;
    let group = out
        .target_groups()
        .first()
        .ok_or_else(|| build_error(&doing, "no target group in the response"))?;
    let arn = required(
        group.target_group_arn(),
        TargetGroup::KIND,
        "TargetGroupArn",
    )?;
    let group = TargetGroup {
        name: name.to_string(),
        arn,
        protocol: spec.target_protocol.clone(),
        protocol_version: spec.protocol_version.clone(),
        health_check: check,
        load_balancer_arns: Vec::new(),
        tags: tags.clone(),
    };
    Ok(group)
}
/// Sets every setting of the health check, in one ModifyTargetGroup.
pub async fn set_health_check(
    elb: &Client,
    group: &TargetGroup,
    check: &TargetHealthCheck,
) -> Result<()> {
    let modify = elb.modify_target_group().target_group_arn(&group.arn);
    with_health_check!(modify, check).send().await.done(format!(
        "changing health check of target group ({})",
        group.name
    ))
}

/// Sets the attributes `spec` gives the group ([`ATTRIBUTES`]), in one
/// ModifyTargetGroupAttributes.
pub async fn set_attributes(elb: &Client, group: &TargetGroup, spec: &Spec) -> Result<()> {
    let attribute = |(key, value): (String, String)| {
        TargetGroupAttribute::builder()
            .key(key)
            .value(value)
            .build()
    };
    let attributes = expand(spec).attributes.into_iter().map(attribute);
    elb.modify_target_group_attributes()
        .target_group_arn(&group.arn)
        .set_attributes(Some(attributes.collect()))
        .send()
        .await
        .done(format!(
            "setting attributes of target group ({})",
            group.name
        ))
}

/// The group's attributes, key → value, with one DescribeTargetGroupAttributes.
pub async fn attributes(elb: &Client, arn: &str) -> Result<BTreeMap<String, String>> {
    let out = elb
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .doing(format!("reading attributes of target group ({arn})"))?;
    let pairs = out.attributes().iter();
    let pairs = pairs.filter_map(|a| Some((a.key()?.to_string(), a.value()?.to_string())));
    Ok(pairs.collect())
}

/// The `TargetGroup` dimension of CloudWatch's `AWS/ApplicationELB` metrics, and the target
/// group half of an ALBRequestCountPerTarget ResourceLabel: the ARN's part from `targetgroup/`
/// (`targetgroup/<name>/<id>`).
pub fn metric_dimension(arn: &str) -> Option<String> {
    arn.find(":targetgroup/").map(|i| arn[i + 1..].to_string())
}

/// Deletes the group, waiting (bounded) while a rule being deleted still uses it.
pub async fn delete(elb: &Client, group: &TargetGroup) -> Result<()> {
    retry(TARGET_GROUP_IN_USE, is_resource_in_use, || async {
        let deleted = elb
            .delete_target_group()
            .target_group_arn(&group.arn)
            .send()
            .await;
        gone(deleted.done(format!("deleting target group ({})", group.name)))
    })
    .await
}

/// Every target group whose name starts with `prefix`, with its tags.
pub async fn list(elb: &Client, prefix: &str) -> Result<Vec<TargetGroup>> {
    let doing = format!("listing target groups ({prefix}*)");
    let listed = elb
        .describe_target_groups()
        .into_paginator()
        .items()
        .send()
        .every(&doing)
        .await?;
    let ours: Vec<_> = listed
        .iter()
        .filter(|g| g.target_group_name().is_some_and(|n| n.starts_with(prefix)))
        .collect();
    let arns: Vec<String> = ours
        .iter()
        .filter_map(|g| g.target_group_arn().map(str::to_string))
        .collect();
    let mut tags = tags::elbv2::by_arn(elb, &arns, &doing).await?;
    ours.into_iter()
        .map(|g| {
            let arn = g.target_group_arn().unwrap_or_default();
            from_sdk(g, tags.remove(arn).unwrap_or_default())
        })
        .collect()
}

/// How many targets are in each health state ("healthy", "unhealthy", …) in group `arn`
/// (ELBv2 DescribeTargetHealth; `unused` is a registered target of a group no rule forwards
/// to, `draining` one leaving).
pub async fn health(elb: &Client, arn: &str) -> Result<std::collections::BTreeMap<String, usize>> {
    let out = elb
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .doing(format!("reading target health of target group ({arn})"))?;
    let mut counts = std::collections::BTreeMap::new();
    for d in out.target_health_descriptions() {
        let state = d
            .target_health()
            .and_then(|h| h.state())
            .map_or("unknown", |s| s.as_str());
        *counts.entry(state.to_string()).or_insert(0) += 1;
    }
    Ok(counts)
}
