//! The user's load balancer and its listeners (read only: prod-e adds a rule to one listener
//! and changes nothing else of it), and the account's rule quota.

use aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum;
use aws_sdk_elasticloadbalancingv2::Client;

use super::{found, required};
use crate::error::{Doing, Every, Result};

/// A load balancer as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancer {
    /// Its ARN.
    pub arn: String,
    /// Whether it is an Application Load Balancer.
    pub application: bool,
    /// Its VPC.
    pub vpc_id: String,
    /// The Availability Zones it is enabled in.
    pub zones: Vec<String>,
    /// Its security groups.
    pub security_groups: Vec<String>,
}

const KIND: &str = "load balancer";

/// The name of the ELBv2 account limit on rules per Application Load Balancer, default rules
/// not counted (ELBv2 DescribeAccountLimits reference; quota 100 by default, adjustable).
pub const RULES_LIMIT: &str = "rules-per-application-load-balancer";

/// The ARN of the load balancer a listener belongs to: a listener ARN is the load balancer's
/// with `listener/` for `loadbalancer/` and the listener's id appended (ELBv2 ARN formats).
pub fn arn_of_listener(listener_arn: &str) -> Option<String> {
    let (head, tail) = listener_arn.split_once(":listener/")?;
    let (path, _listener_id) = tail.rsplit_once('/')?;
    Some(format!("{head}:loadbalancer/{path}"))
}

/// The `LoadBalancer` dimension of CloudWatch's `AWS/ApplicationELB` metrics, and the load
/// balancer half of an ALBRequestCountPerTarget ResourceLabel: the ARN's part after
/// `loadbalancer/` (`app/<name>/<id>`), from a listener's ARN (CloudWatch metrics for your
/// Application Load Balancer, "Metric dimensions").
pub fn metric_dimension_of_listener(listener_arn: &str) -> Option<String> {
    let arn = arn_of_listener(listener_arn)?;
    arn.split_once(":loadbalancer/").map(|(_, d)| d.to_string())
}

/// The load balancer `arn`; `None` if it does not exist.
pub async fn find(elb: &Client, arn: &str) -> Result<Option<LoadBalancer>> {
    let out = elb.describe_load_balancers().load_balancer_arns(arn).send();
    let Some(out) = found(out.await.doing(format!("reading load balancer ({arn})")))? else {
        return Ok(None);
    };
    let Some(lb) = out.load_balancers().first() else {
        return Ok(None);
    };
    Ok(Some(LoadBalancer {
        arn: required(lb.load_balancer_arn(), KIND, "LoadBalancerArn")?,
        application: lb.r#type() == Some(&LoadBalancerTypeEnum::Application),
        vpc_id: required(lb.vpc_id(), KIND, "VpcId")?,
        zones: lb
            .availability_zones()
            .iter()
            .filter_map(|z| z.zone_name().map(str::to_string))
            .collect(),
        security_groups: lb.security_groups().to_vec(),
    }))
}

/// A listener of a load balancer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listener {
    /// Its ARN.
    pub arn: String,
    /// Its protocol (`HTTP`, `HTTPS`).
    pub protocol: String,
}

/// The listeners of a load balancer (none if it does not exist).
pub async fn listeners(elb: &Client, load_balancer_arn: &str) -> Result<Vec<Listener>> {
    let listed = elb
        .describe_listeners()
        .load_balancer_arn(load_balancer_arn)
        .into_paginator()
        .items()
        .send()
        .every(format!("listing listeners of ({load_balancer_arn})"))
        .await;
    let Some(listed) = found(listed)? else {
        return Ok(Vec::new());
    };
    let listener = |l: &aws_sdk_elasticloadbalancingv2::types::Listener| {
        Some(Listener {
            arn: l.listener_arn()?.to_string(),
            protocol: l.protocol().map_or("", |p| p.as_str()).to_string(),
        })
    };
    Ok(listed.iter().filter_map(listener).collect())
}

/// The base URL of listener `arn`: `<http|https>://<its load balancer's DNS name>:<port>`
/// (ELBv2 DescribeListeners `Protocol`, `Port`; DescribeLoadBalancers `DNSName`). Errors: the
/// listener or its load balancer is gone.
pub async fn listener_url(elb: &Client, arn: &str) -> Result<String> {
    let doing = format!("reading listener ({arn})");
    let out = elb.describe_listeners().listener_arns(arn).send();
    let out = out.await.doing(&doing)?;
    let listener = out.listeners().first();
    let lb_arn = required(
        listener.and_then(|l| l.load_balancer_arn()),
        "listener",
        "LoadBalancerArn",
    )?;
    let scheme = match listener.and_then(|l| l.protocol()).map(|p| p.as_str()) {
        Some("HTTPS") => "https",
        _ => "http",
    };
    let port = listener.and_then(|l| l.port()).unwrap_or(80);
    let lbs = elb
        .describe_load_balancers()
        .load_balancer_arns(&lb_arn)
        .send();
    let lbs = lbs
        .await
        .doing(format!("reading load balancer ({lb_arn})"))?;
    let dns = lbs.load_balancers().first().and_then(|l| l.dns_name());
    let dns = required(dns, KIND, "DNSName")?;
    Ok(format!("{scheme}://{dns}:{port}"))
}

/// The account's limit on rules per Application Load Balancer ([`RULES_LIMIT`]), if listed.
pub async fn rules_limit(elb: &Client) -> Result<Option<usize>> {
    let out = elb
        .describe_account_limits()
        .send()
        .await
        .doing("reading the account's load balancer limits")?;
    Ok(out
        .limits()
        .iter()
        .find(|l| l.name() == Some(RULES_LIMIT))
        .and_then(|l| l.max())
        .and_then(|max| max.trim().parse::<f64>().ok())
        .map(|max| max as usize))
}
