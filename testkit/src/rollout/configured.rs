//! What the timed rollout model ([`super::timing`]) reads of the calls the proxy saw: each
//! target group's health check and deregistration delay (`CreateTargetGroup`,
//! `ModifyTargetGroup`, `ModifyTargetGroupAttributes`), each task definition's longest
//! container `stopTimeout` (`RegisterTaskDefinition`), each service's grace period, deployment
//! configuration, desired count and target group (`CreateService`, `UpdateService`), and when
//! each of its deployments began (`CreateService`; an `UpdateService` naming another task
//! definition or forcing a new deployment) or its deletion (`DeleteService`). What was never
//! set is AWS's default ([`Settings::AWS`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value;

use super::super::aws_rules::wire::xml_text;
use super::timing::{self, Settings, Strategy};
use crate::aws_rules::wire::text;

/// What started a service's current deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Began {
    /// CreateService: nothing to replace.
    Created,
    /// UpdateService with a new task definition (or forceNewDeployment).
    Updated,
    /// UpdateService with a new load balancer: a switch between ROLLING and a native strategy,
    /// deployed as a rolling deployment (ECS Developer Guide, "Updating an Amazon ECS service
    /// from rolling to blue/green").
    Switched,
}

/// A service's current deployment: how and when it began, and the desired count then (a
/// later desired count of 0, as before a DeleteService, does not rewrite its history).
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    pub began: Began,
    pub at: Instant,
    pub desired: u32,
}

#[derive(Debug, Clone, Default)]
struct Service {
    target_group: String,
    task_definition: String,
    asked: serde_json::Map<String, Value>,
    deployment: Option<Deployment>,
}

/// Target groups, task definitions and services as configured through the proxy.
#[derive(Debug, Default)]
pub struct Configured {
    /// Target group ARN → its settings (only the target group fields are used).
    target_groups: HashMap<String, Settings>,
    /// Task definition ARN → its longest container stopTimeout (seconds).
    stop_timeouts: HashMap<String, u32>,
    /// Task definition family → its latest ARN.
    families: HashMap<String, String>,
    services: HashMap<String, Service>,
    /// Deployments and deletions, oldest first: (service ARN, what, when).
    log: Vec<(String, &'static str, Instant)>,
}

impl Configured {
    /// Reads a JSON (ECS) call moto carried out: `asked` its request, `answer` moto's answer.
    pub fn ecs(&mut self, action: &str, asked: &Value, answer: &Value) {
        match action {
            "RegisterTaskDefinition" => self.registered(asked, &answer["taskDefinition"]),
            "CreateService" | "UpdateService" => self.service(action, asked, &answer["service"]),
            "DeleteService" => {
                let arn = text(&answer["service"]["serviceArn"]);
                self.log.push((arn, "DeleteService", Instant::now()));
            }
            _ => {}
        }
    }

    /// Reads an ELBv2 call moto carried out: `form` its parameters, `answer` moto's XML.
    pub fn elb(&mut self, action: &str, form: &BTreeMap<String, String>, answer: &str) {
        let arn = match action {
            "CreateTargetGroup" => xml_text(answer, "TargetGroupArn"),
            "ModifyTargetGroup" | "ModifyTargetGroupAttributes" => {
                form.get("TargetGroupArn").cloned()
            }
            _ => None,
        };
        let Some(arn) = arn else {
            return;
        };
        let group = self.target_groups.entry(arn).or_default();
        let number = |k: &str| form.get(k).and_then(|v| v.parse::<u32>().ok());
        for (key, field) in [
            ("HealthCheckIntervalSeconds", &mut group.interval),
            ("HealthCheckTimeoutSeconds", &mut group.timeout),
            ("HealthyThresholdCount", &mut group.healthy_threshold),
            ("UnhealthyThresholdCount", &mut group.unhealthy_threshold),
        ] {
            if let Some(n) = number(key) {
                *field = n;
            }
        }
        for i in 1.. {
            let Some(key) = form.get(&format!("Attributes.member.{i}.Key")) else {
                break;
            };
            if key == "deregistration_delay.timeout_seconds" {
                if let Some(n) = number(&format!("Attributes.member.{i}.Value")) {
                    group.deregistration_delay = n;
                }
            }
        }
    }

    fn registered(&mut self, asked: &Value, made: &Value) {
        let arn = text(&made["taskDefinitionArn"]);
        let longest = asked["containerDefinitions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["stopTimeout"].as_u64().unwrap_or(30) as u32)
            .max();
        self.stop_timeouts
            .insert(arn.clone(), longest.unwrap_or(30));
        self.families.insert(text(&made["family"]), arn);
    }

    fn service(&mut self, action: &str, asked: &Value, made: &Value) {
        let arn = text(&made["serviceArn"]);
        if arn.is_empty() {
            return;
        }
        let named = asked["taskDefinition"].as_str().map(|t| self.resolve(t));
        let service = self.services.entry(arn.clone()).or_default();
        let began = match (action, named) {
            ("CreateService", named) => {
                *service = Service::default();
                service.task_definition = named.unwrap_or_default();
                Some(Began::Created)
            }
            // A switch deploys rolling, a new revision with it too.
            (_, named) if asked.get("loadBalancers").is_some() => {
                service.task_definition = named.unwrap_or(service.task_definition.clone());
                Some(Began::Switched)
            }
            (_, Some(named)) if named != service.task_definition => {
                service.task_definition = named;
                Some(Began::Updated)
            }
            _ => (asked["forceNewDeployment"] == true).then_some(Began::Updated),
        };
        if let Some(group) = asked["loadBalancers"][0]["targetGroupArn"].as_str() {
            service.target_group = group.to_string();
        }
        for (key, value) in asked.as_object().into_iter().flatten() {
            service.asked.insert(key.clone(), value.clone());
        }
        if let Some(began) = began {
            let at = Instant::now();
            let desired = service.asked.get("desiredCount").and_then(Value::as_u64);
            let desired = desired.map_or(1, |n| n as u32);
            service.deployment = Some(Deployment { began, at, desired });
            self.log.push((arn, action_name(began), at));
        }
    }

    /// A task definition's ARN from an ARN, `family:revision` or `family` (its latest).
    fn resolve(&self, named: &str) -> String {
        if named.starts_with("arn:") {
            return named.to_string();
        }
        let tail = format!("task-definition/{named}");
        let known = self.stop_timeouts.keys().find(|arn| arn.ends_with(&tail));
        known
            .or_else(|| self.families.get(named))
            .cloned()
            .unwrap_or_else(|| named.to_string())
    }

    /// The service's current deployment, if the proxy saw it begin.
    pub fn deployment(&self, service: &str) -> Option<Deployment> {
        self.services.get(service)?.deployment
    }

    /// The target group ARN a service was created with ("" if none).
    pub fn target_group(&self, service: &str) -> String {
        self.services
            .get(service)
            .map(|s| s.target_group.clone())
            .unwrap_or_default()
    }

    /// The settings a service runs with now (AWS's defaults for what nobody set).
    pub fn settings(&self, service: &str) -> Settings {
        let Some(s) = self.services.get(service) else {
            return Settings::AWS;
        };
        let group = self.target_groups.get(&s.target_group).copied();
        let mut out = group.unwrap_or(Settings::AWS);
        let asked = |k: &str| s.asked.get(k).cloned().unwrap_or(Value::Null);
        let number = |v: &Value, or: u32| v.as_u64().map_or(or, |n| n as u32);
        let configuration = asked("deploymentConfiguration");
        out.grace_period = number(&asked("healthCheckGracePeriodSeconds"), 0);
        out.minimum_healthy_percent = number(&configuration["minimumHealthyPercent"], 100);
        out.maximum_percent = number(&configuration["maximumPercent"], 200);
        out.circuit_breaker = configuration["deploymentCircuitBreaker"]["enable"] == true;
        out.strategy = strategy(&configuration);
        out.bake_minutes = number(&configuration["bakeTimeInMinutes"], 0);
        let alarmed = configuration["alarms"]["enable"] == true;
        out.alarm_bake = if alarmed {
            timing::ALARM_BAKE_SECONDS
        } else {
            0
        };
        out.desired = s
            .deployment
            .map_or(number(&asked("desiredCount"), 1), |d| d.desired);
        out.stop_timeout = self
            .stop_timeouts
            .get(&s.task_definition)
            .copied()
            .unwrap_or(30);
        out
    }

    /// Deployments and deletions begun at or after `since`: (service ARN, what, when).
    pub fn since(&self, since: Instant) -> Vec<(String, &'static str, Instant)> {
        self.log
            .iter()
            .filter(|(_, _, at)| *at >= since)
            .cloned()
            .collect()
    }
}

fn action_name(began: Began) -> &'static str {
    match began {
        Began::Created => "CreateService",
        Began::Updated | Began::Switched => "UpdateService",
    }
}

/// The strategy of a `deploymentConfiguration` as asked (ECS's defaults for what is not):
/// a linear deployment's steps are `ceil(100 / stepPercent)`.
fn strategy(configuration: &Value) -> Strategy {
    let minutes = |v: &Value, or: u64| v.as_u64().unwrap_or(or) as u32;
    match configuration["strategy"].as_str() {
        Some("BLUE_GREEN") => Strategy::BlueGreen,
        Some("CANARY") => Strategy::Canary {
            bake_minutes: minutes(
                &configuration["canaryConfiguration"]["canaryBakeTimeInMinutes"],
                10,
            ),
        },
        Some("LINEAR") => {
            let linear = &configuration["linearConfiguration"];
            let step = linear["stepPercent"].as_f64().unwrap_or(10.0).max(1.0);
            Strategy::Linear {
                steps: (100.0 / step).ceil() as u32,
                bake_minutes: minutes(&linear["stepBakeTimeInMinutes"], 6),
            }
        }
        _ => Strategy::Rolling,
    }
}
