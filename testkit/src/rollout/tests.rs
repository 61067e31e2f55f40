//! Unit tests of the rollouts the proxy plays: completed, stuck, timed, crashing.

use super::*;

fn service(arn: &str, task_definition: &str) -> Value {
    json!({
        "serviceArn": arn, "serviceName": "web", "status": "ACTIVE", "desiredCount": 2,
        "taskDefinition": task_definition,
        "deployments": [{"status": "PRIMARY", "rolloutState": "IN_PROGRESS", "taskDefinition": task_definition}],
    })
}

#[test]
fn a_service_rolls_out_completed_by_default() {
    let rollouts = Rollouts::default();
    let mut s = service("arn:svc/a", "arn:td/f:1");
    rollouts.present(&mut s);
    assert_eq!(s["deployments"][0]["rolloutState"], "COMPLETED");
    assert_eq!(s["runningCount"], 2);
    assert!(rollouts.is_steady("arn:svc/a"));
}

#[test]
fn a_stuck_rollout_never_completes() {
    let rollouts = Rollouts::default();
    rollouts.set_for_new(Rollout::Stuck);
    let mut s = service("arn:svc/b", "arn:td/f:1");
    rollouts.present(&mut s);
    assert_eq!(s["deployments"][0]["rolloutState"], "IN_PROGRESS");
    assert_eq!(s["deployments"].as_array().map(Vec::len), Some(2));
    assert!(!rollouts.is_steady("arn:svc/b"));
}

fn http(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_timed_rollout_lasts_what_the_configuration_says() {
    let rollouts = Rollouts::default();
    rollouts.set_for_new(Rollout::Timed(Startup::TYPICAL));
    let since = Instant::now();
    let group = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1";
    let made = format!("<R><TargetGroupArn>{group}</TargetGroupArn></R>");
    let form = "Action=CreateTargetGroup&HealthCheckIntervalSeconds=10&HealthyThresholdCount=2";
    rollouts.after("CreateTargetGroup", form, http(&made));
    let attributes = format!(
        "Action=ModifyTargetGroupAttributes&TargetGroupArn={}&Attributes.member.1.Key=\
         deregistration_delay.timeout_seconds&Attributes.member.1.Value=30",
        group.replace(':', "%3A").replace('/', "%2F")
    );
    rollouts.after("ModifyTargetGroupAttributes", &attributes, http("<R/>"));
    let td =
        json!({"containerDefinitions": [{"name": "app", "image": "nginx", "stopTimeout": 10}]});
    let registered = json!({"taskDefinition": {"taskDefinitionArn": "arn:td/f:1", "family": "f"}});
    rollouts.after(
        "RegisterTaskDefinition",
        &td.to_string(),
        http(&registered.to_string()),
    );
    let asked = json!({"taskDefinition": "arn:td/f:1", "desiredCount": 1,
        "healthCheckGracePeriodSeconds": 120, "loadBalancers": [{"targetGroupArn": group}],
        "deploymentConfiguration": {"minimumHealthyPercent": 100, "maximumPercent": 200}});
    let created = json!({"service": {"serviceArn": "arn:svc/t", "taskDefinition": "arn:td/f:1"}});
    rollouts.after(
        "CreateService",
        &asked.to_string(),
        http(&created.to_string()),
    );
    let mut s = service("arn:svc/t", "arn:td/f:1");
    rollouts.present(&mut s);
    assert_eq!(s["deployments"][0]["rolloutState"], "IN_PROGRESS");
    assert!(!rollouts.is_steady("arn:svc/t"));
    // 45 s to RUNNING, healthy at the first check 10 s later.
    let modeled = rollouts.modeled(since);
    assert_eq!(
        modeled,
        [("arn:svc/t".to_string(), "CreateService", Some(55.0))]
    );
    let deleted = json!({"service": {"serviceArn": "arn:svc/t"}});
    let drain = rollouts.draining_time("DeleteService", &http(&deleted.to_string()));
    assert_eq!(drain, Some(("arn:svc/t".to_string(), timing::played(40.0))));
    assert_eq!(rollouts.unhealthy_stops(), 0);
}

#[test]
fn a_repl_image_without_a_command_fails_its_create() {
    let rollouts = Rollouts::default();
    let registered = json!({"taskDefinition": {"taskDefinitionArn": "arn:td/f:1", "family": "f"}});
    let asked = json!({"containerDefinitions": [{"name": "app", "image": "node:16"}]});
    let reply = |v: &Value| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{v}",
            v.to_string().len()
        )
        .into_bytes()
    };
    rollouts.after(
        "RegisterTaskDefinition",
        &asked.to_string(),
        reply(&registered),
    );
    let created = json!({"service": {"serviceArn": "arn:svc/c", "taskDefinition": "arn:td/f:1"}});
    rollouts.after("CreateService", "{}", reply(&created));
    let mut s = service("arn:svc/c", "arn:td/f:1");
    rollouts.present(&mut s);
    assert_eq!(s["deployments"][0]["rolloutState"], "FAILED");
    assert_eq!(s["runningCount"], 0);
}
