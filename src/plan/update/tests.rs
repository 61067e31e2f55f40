//! Update writes only what the diff calls for: [`write`] against an in-memory AWS
//! ([`crate::fake_aws`]), one changed property at a time.

use serde_json::{json, Value};

use super::existing::Set;
use super::{write, Change};
use crate::fake_aws::FakeAws;
use crate::naming::Tags;
use crate::plan::set::Parts;
use crate::plan::Owner;
use crate::resources::target_group::TargetGroup;
use crate::resources::{log_group, service};
use crate::spec::Spec;

/// The revision an Update registers.
const REVISION: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-e-task:2";

/// The properties of the set before each change (its alarms off, so that turning them on is a
/// change).
fn properties() -> Value {
    json!({
        "Alarms": false,
        "VpcId": "vpc-0abc",
        "SubnetIds": ["subnet-a1", "subnet-b2"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/2",
        "LoadBalancerSecurityGroupId": "sg-0alb",
    })
}

/// A set as an Update finds it: every part present, the service running two tasks of a
/// revision that is not ours (so that no retirement or retagging of revisions is due).
fn set() -> Set {
    let service = service::Service {
        name: "prod-e-service".into(),
        arn: "arn:aws:ecs:us-east-1:123456789012:service/c/prod-e-service".into(),
        desired_count: 2,
        task_definition: "arn:aws:ecs:us-east-1:123456789012:task-definition/f:1".into(),
        ..Default::default()
    };
    Set {
        parts: Parts {
            target_group: TargetGroup {
                arn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/1".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        logs: log_group::LogGroup::default(),
        service,
        revisions: Vec::new(),
        scalable_target: None,
        alarms: Vec::new(),
        alternate_target_group: None,
        test_listener_rules: Vec::new(),
        traffic_role: None,
    }
}

/// The writes of an Update from the default properties to the default ones with `changes`.
async fn writes_for(changes: Value) -> Vec<String> {
    let old = Spec::parse(&properties()).expect("old properties");
    let mut new_properties = properties();
    for (name, value) in changes.as_object().into_iter().flatten() {
        new_properties[name] = value.clone();
    }
    let new = Spec::parse(&new_properties).expect("new properties");
    let diff = old.diff(&new);
    let registered = json!({"taskDefinition": {"taskDefinitionArn": REVISION}});
    let aws = FakeAws::new(vec![("RegisterTaskDefinition", registered.to_string())]);
    let c = aws.clients();
    let owner = Owner::new(
        "arn:aws:cloudformation:us-east-1:1:stack/s/1",
        "Svc",
        "0a1b2c3d",
    );
    let change = Change {
        c: &c,
        owner: &owner,
        d: &owner.deployment,
        old: &old,
        new: &new,
        diff: &diff,
        old_tags: Tags::new(),
        new_tags: Tags::new(),
        registered: None,
        rolling_back: false,
    };
    write(&change, &set()).await.expect("the writes");
    aws.writes()
}

#[tokio::test]
async fn each_change_writes_only_what_it_calls_for() {
    let cases = [
        (json!({}), vec![]),
        (json!({"DesiredCount": 3}), vec!["UpdateService"]),
        (json!({"LogRetentionDays": 90}), vec!["PutRetentionPolicy"]),
        (
            json!({"HealthCheck": {"Path": "/ready"}}),
            vec!["ModifyTargetGroup"],
        ),
        (
            json!({"DeregistrationDelaySeconds": 5}),
            vec!["ModifyTargetGroupAttributes"],
        ),
        (json!({"PathPatterns": ["/v2/*"]}), vec!["ModifyRule"]),
        (
            json!({"Image": "nginx:1.27"}),
            vec!["RegisterTaskDefinition", "UpdateService"],
        ),
        (json!({"MinimumHealthyPercent": 50}), vec!["UpdateService"]),
        // CloudWatch speaks RPC v2 CBOR; with DeploymentAlarms left out, the gate comes too.
        (
            json!({"Alarms": true}),
            [vec!["PutMetricAlarm"; 4], vec!["UpdateService"]].concat(),
        ),
        (
            json!({"Alarms": true, "DeploymentAlarms": []}),
            vec!["PutMetricAlarm"; 4],
        ),
    ];
    for (changes, expected) in cases {
        let writes = writes_for(changes.clone()).await;
        assert_eq!(writes, expected, "{changes}");
    }
}
