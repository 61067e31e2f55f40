//! Rule 11: a service's running tasks, which moto never launches (its ListTasks ignores
//! `serviceName`): ListTasks of a service lists one task per running task the proxy shows,
//! and DescribeTasks gives each an Availability Zone, spread round-robin over the zones of
//! the service's subnets as Fargate spreads them.
//!
//! Sources: ECS Developer Guide, "Amazon ECS task placement" ("Fargate will try its best to
//! spread tasks across accessible Availability Zones"); ECS API reference, `Task`
//! (`availabilityZone`), ListTasks (`serviceName`).

use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::{json, Value};

use super::ecs::cluster_of;
use super::wire::text;
use super::{AwsRules, Rule, Upstream, Verdict};

/// ListTasks with a `serviceName`: the service's running tasks.
pub async fn list(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    let service_name = body["serviceName"].as_str()?;
    if !rules.on(Rule::Tasks) {
        return None;
    }
    let cluster = cluster_of(body);
    let mut service = moto.service(&cluster, service_name).await?;
    moto.present(&mut service);
    let running = service["runningCount"].as_u64().unwrap_or(0) as usize;
    let subnets: Vec<String> = service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
        .as_array()
        .map(|s| s.iter().map(text).collect())
        .unwrap_or_default();
    let zones = moto.zones_of(&subnets).await;
    let arn = text(&service["serviceArn"]);
    let tasks: Vec<(String, String)> = (0..running)
        .map(|i| {
            let zone = zones
                .get(i % zones.len().max(1))
                .cloned()
                .unwrap_or_default();
            (task_arn(&cluster, &arn, i), zone)
        })
        .collect();
    let arns: Vec<&String> = tasks.iter().map(|(a, _)| a).collect();
    let answer = json!({"taskArns": arns}).to_string();
    rules.with(|s| s.tasks.extend(tasks));
    Some(Verdict::Answer(answer))
}

/// DescribeTasks of tasks [`list`] listed: each RUNNING in its zone.
pub fn describe(rules: &AwsRules, body: &Value) -> Option<Verdict> {
    let asked: Vec<String> = body["tasks"].as_array()?.iter().map(text).collect();
    let known = rules.with(|s| {
        asked
            .iter()
            .map(|a| s.tasks.get(a).map(|zone| (a.clone(), zone.clone())))
            .collect::<Option<Vec<_>>>()
    })?;
    let tasks: Vec<Value> = known
        .iter()
        .map(|(arn, zone)| {
            json!({"taskArn": arn, "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
                   "launchType": "FARGATE", "availabilityZone": zone})
        })
        .collect();
    Some(Verdict::Answer(
        json!({"tasks": tasks, "failures": []}).to_string(),
    ))
}

/// A task ARN, stable for a service and index (32 hex digits, as ECS task ids).
fn task_arn(cluster: &str, service_arn: &str, i: usize) -> String {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (service_arn, i, salt).hash(&mut h);
        h.finish()
    };
    format!(
        "arn:aws:ecs:us-east-1:123456789012:task/{cluster}/{:016x}{:016x}",
        half(0),
        half(1)
    )
}
