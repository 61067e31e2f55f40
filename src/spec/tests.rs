//! Unit tests of the Properties: defaults, coercion, every bad input named, the schema and the
//! documents generated from it.

use std::collections::BTreeSet;

use super::checks::fargate_size;
use super::schema::Effect;
use super::*;
use serde_json::json;

fn required() -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "VpcId": "vpc-0abc",
        "SubnetIds": ["subnet-a1", "subnet-b2"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/2",
        "LoadBalancerSecurityGroupId": "sg-0alb",
    })
}

#[test]
fn defaults_are_the_production_values() {
    let spec = Spec::parse(&required()).unwrap();
    assert_eq!(spec.cluster_name, "prod-e-cluster");
    assert_eq!(spec.service_name, "prod-e-service");
    assert_eq!(spec.task_family, "prod-e-task");
    assert_eq!(spec.container_name, "dummy-container");
    assert_eq!(spec.image, "public.ecr.aws/docker/library/node:16");
    assert_eq!((spec.container_port, spec.cpu, spec.memory), (80, 256, 512));
    assert_eq!((spec.desired_count, spec.assign_public_ip), (1, false));
    assert_eq!(
        (spec.health_check.path.as_str(), spec.path_patterns.clone()),
        ("/", vec!["/*".to_string()])
    );
    assert_eq!((spec.rule_priority, spec.log_retention_days), (None, 30));
    assert_eq!(spec.routing().to_string(), "path /*");
    assert!(!spec.allow_single_az);
}

#[test]
fn strings_and_numbers_mean_the_same() {
    let mut a = required();
    let mut b = required();
    for (k, s, n) in [
        ("DesiredCount", json!("2"), json!(2)),
        ("Cpu", json!("512"), json!(512)),
        ("Memory", json!("1024"), json!(1024)),
        ("AssignPublicIp", json!("true"), json!(true)),
    ] {
        a[k] = s;
        b[k] = n;
    }
    assert_eq!(Spec::parse(&a).unwrap(), Spec::parse(&b).unwrap());
}

#[test]
fn every_problem_is_named_at_once() {
    let bad = json!({
        "SubnetIds": [],
        "ListenerArn": 5,
        "LoadBalancerSecurityGroupId": "sg-1",
        "Cpu": "256", "Memory": "4096",
        "RulePriority": 0,
        "ContainerPort": "70000",
        "Colour": "blue",
    });
    let err = Spec::parse(&bad).unwrap_err();
    let named: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
    for want in [
        "Colour",
        "VpcId",
        "SubnetIds",
        "ListenerArn",
        "ContainerPort",
        "RulePriority",
        "Cpu/Memory",
    ] {
        assert!(named.contains(&want), "{want} missing from {err}");
    }
    assert_eq!(named.len(), 7, "{err}");
    assert!(err
        .to_string()
        .starts_with("invalid properties: Colour: unknown property; VpcId: is required"));
}

#[test]
fn command_and_entry_point_are_lists_of_strings() {
    let mut props = required();
    props["Command"] = json!(["node", "server.js"]);
    props["EntryPoint"] = json!(["/bin/sh", "-c"]);
    let spec = Spec::parse(&props).unwrap();
    assert_eq!(spec.command, ["node", "server.js"]);
    assert_eq!(spec.entry_point, ["/bin/sh", "-c"]);
    props["Command"] = json!("node server.js");
    props["EntryPoint"] = json!([1]);
    let err = Spec::parse(&props).unwrap_err().to_string();
    assert!(err.contains("Command: must be a list of strings"), "{err}");
    assert!(
        err.contains("EntryPoint: must be a list of strings"),
        "{err}"
    );
}

#[test]
fn fargate_pairs() {
    assert!(fargate_size(256, 2048).is_ok());
    assert!(fargate_size(256, 4096).is_err());
    assert!(fargate_size(1024, 3072).is_ok());
    assert!(fargate_size(8192, 20480).is_ok());
    assert!(fargate_size(8192, 17408).is_err());
    assert!(fargate_size(300, 512).is_err());
}

#[test]
fn diff_classifies_changes() {
    let old = Spec::parse(&required()).unwrap();
    let mut new = old.clone();
    new.image = "nginx".into();
    new.desired_count = 2;
    let diff = old.diff(&new);
    assert_eq!(diff.changed, BTreeSet::from(["Image", "DesiredCount"]));
    assert!(diff.needs_replacement().is_empty());
    new.container_port = 8080;
    assert_eq!(old.diff(&new).needs_replacement(), vec!["ContainerPort"]);
    assert!(old.diff(&old).is_empty());
}

#[test]
fn the_fingerprint_changes_exactly_with_a_replacement_property() {
    let old = Spec::parse(&required()).unwrap();
    let fp = old.fingerprint();
    assert_eq!(fp.len(), FINGERPRINT_LEN);
    assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
    let mut in_place = old.clone();
    in_place.image = "nginx".into();
    in_place.desired_count = 3;
    in_place.wait_for_steady_state = false;
    assert_eq!(in_place.fingerprint(), fp);
    let mut port = old.clone();
    port.container_port = 8080;
    let mut cluster = old.clone();
    cluster.cluster_name = "other".into();
    assert_ne!(port.fingerprint(), fp);
    assert_ne!(cluster.fingerprint(), fp);
    assert_ne!(cluster.fingerprint(), port.fingerprint());
}

#[test]
fn locator_survives_invalid_properties() {
    let loc = Locator::from_properties(
        &json!({"ClusterName": 7, "ServiceName": "svc", "ListenerArn": "nope"}),
    );
    assert_eq!(loc.cluster_name, "prod-e-cluster");
    assert_eq!(loc.service_name, "svc");
    assert_eq!(loc.listener_arn, None);
}

/// Property sets that must each be refused with the named problem (merged into [`required`]).
fn bad_properties() -> Vec<(Value, &'static str)> {
    vec![
        (json!({"VpcId": null}), "VpcId: is required"),
        (
            json!({"MinimumHealthyPercent": 100, "MaximumPercent": 100}),
            "MaximumPercent: with DesiredCount 1, MinimumHealthyPercent 100 and MaximumPercent \
             100 a rolling deployment can neither start a new task (1 at most) nor stop an old \
             one (1 must run)",
        ),
        (
            // ECS rounds: one task, 150 % is still one, 50 % still needs one.
            json!({"MinimumHealthyPercent": 50, "MaximumPercent": 150}),
            "MaximumPercent: with DesiredCount 1, MinimumHealthyPercent 50 and MaximumPercent 150",
        ),
        (
            json!({"MinimumHealthyPercent": 101}),
            "MinimumHealthyPercent: 101 is out of range 0–100",
        ),
        (
            json!({"TaskRolePolicyArns": ["arn:aws:s3:::bucket"]}),
            "TaskRolePolicyArns: \"arn:aws:s3:::bucket\" must be a managed policy ARN",
        ),
        (
            json!({"TaskRolePolicy": {"Statement": {"Effect": "Allow"}}}),
            "TaskRolePolicy: must have \"Version\": \"2012-10-17\"",
        ),
        (
            json!({"AutoScaling": {"MinCapacity": 3, "MaxCapacity": 2, "CpuTarget": 50}}),
            "AutoScaling: MinCapacity 3 is above MaxCapacity 2",
        ),
        (
            json!({"AutoScaling": {"MinCapacity": 1, "MaxCapacity": 2}}),
            "AutoScaling: needs at least one of CpuTarget, MemoryTarget, RequestsPerTarget",
        ),
        (
            json!({"AutoScaling": {"MaxCapacity": 2, "CpuTarget": 50}}),
            "AutoScaling: needs MinCapacity and MaxCapacity",
        ),
        (
            json!({"ScheduledActions": [{"ScheduledActionName": "n", "Schedule": "rate(1 day)",
                                         "MinCapacity": 1}]}),
            "ScheduledActions: needs AutoScaling",
        ),
        (
            json!({"AutoScaling": {"MinCapacity": 1, "MaxCapacity": 2, "CpuTarget": 50},
                   "ScheduledActions": [{"ScheduledActionName": "a/b", "Schedule": "daily"}]}),
            "ScheduledActions: item 1: ScheduledActionName: \"a/b\"",
        ),
        (
            json!({"AutoScaling": {"MinCapacity": 1, "MaxCapacity": 2, "CpuTarget": 50},
                   "ScheduledActions": [{"ScheduledActionName": "a", "Schedule": "daily"}]}),
            "ScheduledActions: item 1: Schedule: \"daily\" is not",
        ),
        (
            json!({"AutoScaling": {"MinCapacity": 1, "MaxCapacity": 2, "CpuTarget": 50},
                   "ScheduledActions": [{"ScheduledActionName": "a", "Schedule": "rate(1 day)"}]}),
            "ScheduledActions: item 1: needs MinCapacity or MaxCapacity",
        ),
        (
            json!({"Alarms": false, "DeploymentAlarms": ["prod-e:target-5xx"]}),
            "DeploymentAlarms: prod-e:target-5xx needs Alarms: true",
        ),
        (
            json!({"Alarms": true, "DeploymentAlarms": ["prod-e:latency"]}),
            "DeploymentAlarms: prod-e:latency is not a baseline alarm",
        ),
        (json!({"VpcId": 5}), "VpcId: must be a string"),
        (
            json!({"VpcId": "subnet-1"}),
            "VpcId: \"subnet-1\" is not a valid id",
        ),
        (
            json!({"VpcId": "vpc-"}),
            "VpcId: \"vpc-\" is not a valid id",
        ),
        (json!({"SubnetIds": null}), "SubnetIds: is required"),
        (
            json!({"SubnetIds": []}),
            "SubnetIds: must list at least one subnet",
        ),
        (json!({"SubnetIds": ""}), "SubnetIds: is required"),
        (
            json!({"SubnetIds": [1, 2]}),
            "SubnetIds: must be a list of subnet ids",
        ),
        (
            json!({"SubnetIds": ["sg-1"]}),
            "SubnetIds: \"sg-1\" is not a subnet id",
        ),
        (
            json!({"SubnetIds": (0..17).map(|i| format!("subnet-{i}")).collect::<Vec<_>>()}),
            "SubnetIds: lists more than 16 subnets",
        ),
        (
            json!({"SubnetIds": {"a": "b"}}),
            "SubnetIds: must be a list of subnet ids",
        ),
        (
            json!({"ListenerArn": "arn:aws:s3:::bucket"}),
            "ListenerArn: \"arn:aws:s3:::bucket\" is not an ELBv2 listener ARN",
        ),
        (
            json!({"ListenerArn": ["x"]}),
            "ListenerArn: must be a string",
        ),
        (
            json!({"LoadBalancerSecurityGroupId": "vpc-1"}),
            "LoadBalancerSecurityGroupId: \"vpc-1\" is not a valid id",
        ),
        (
            json!({"ClusterName": "has space"}),
            "ClusterName: \"has space\" must be 1–255 letters",
        ),
        (json!({"ClusterName": "x".repeat(256)}), "ClusterName:"),
        (
            json!({"ServiceName": "a/b"}),
            "ServiceName: \"a/b\" must be 1–255 letters",
        ),
        (
            json!({"TaskFamily": "fam:1"}),
            "TaskFamily: \"fam:1\" must be 1–255 letters",
        ),
        (
            json!({"ContainerName": 7}),
            "ContainerName: must be a string",
        ),
        (
            json!({"Image": "x".repeat(256)}),
            "Image: must be an image reference",
        ),
        (
            json!({"Image": "node 16"}),
            "Image: must be an image reference",
        ),
        (
            json!({"ContainerPort": 0}),
            "ContainerPort: 0 is out of range 1–65535",
        ),
        (
            json!({"ContainerPort": "http"}),
            "ContainerPort: must be a whole number",
        ),
        (
            json!({"ContainerPort": 80.5}),
            "ContainerPort: must be a whole number",
        ),
        (
            json!({"Cpu": 300}),
            "Cpu/Memory: Cpu 300 is not a Fargate size",
        ),
        (
            json!({"Cpu": 512, "Memory": 512}),
            "Cpu/Memory: Cpu 512 allows Memory 1024–4096",
        ),
        (
            json!({"Cpu": "4096", "Memory": "4096"}),
            "Cpu/Memory: Cpu 4096 allows Memory 8192–30720",
        ),
        (json!({"Memory": -1}), "Memory: -1 is out of range"),
        (
            json!({"DesiredCount": -1}),
            "DesiredCount: -1 is out of range 0–5000",
        ),
        (
            json!({"DesiredCount": "1e3"}),
            "DesiredCount: must be a whole number",
        ),
        (
            json!({"DesiredCount": 5001}),
            "DesiredCount: 5001 is out of range",
        ),
        (
            json!({"AssignPublicIp": "yes"}),
            "AssignPublicIp: must be true or false",
        ),
        (
            json!({"AssignPublicIp": 1}),
            "AssignPublicIp: must be true or false",
        ),
        (
            json!({"RulePriority": 50001}),
            "RulePriority: 50001 is out of range 1–50000",
        ),
        (
            json!({"RulePriority": "first"}),
            "RulePriority: must be a whole number",
        ),
        (
            json!({"PathPattern": "x".repeat(129)}),
            "must be 1–128 characters",
        ),
        (
            json!({"PathPattern": "/a b"}),
            "PathPatterns: \"/a b\" must be 1–128 characters",
        ),
        (
            json!({"PathPattern": "/a", "PathPatterns": ["/b"]}),
            "PathPatterns: give PathPatterns or its old name PathPattern, not both",
        ),
        (
            json!({"PathPatterns": ["/a", "/b", "/c", "/d"]}),
            "PathPatterns: 4 values; ALB allows 3 per condition",
        ),
        (
            json!({"PathPatterns": [1]}),
            "PathPatterns: must be a list of strings",
        ),
        (
            json!({"HostHeaders": ["api_example.com"]}),
            "HostHeaders: \"api_example.com\" must be a host name",
        ),
        (
            json!({"HostHeaders": ["localhost"]}),
            "HostHeaders: \"localhost\" must be a host name",
        ),
        (
            json!({"TestHostHeaders": ["test.example.com"]}),
            "TestHostHeaders: a test listener rule is ECS's, for BLUE_GREEN, CANARY or LINEAR",
        ),
        (
            json!({"DeploymentStrategy": "CANARY", "TestPathPatterns": ["/*"]}),
            "TestPathPatterns: the test listener rule would match exactly the requests",
        ),
        (
            json!({"DeploymentStrategy": "CANARY", "TestHostHeaders": ["a_b.example.com"]}),
            "TestHostHeaders: \"a_b.example.com\" must be a host name",
        ),
        (
            json!({"HttpHeader": {"HttpHeaderName": "X-Env"}}),
            "HttpHeader: must be {\"HttpHeaderName\": string, \"Values\": [strings]}",
        ),
        (
            json!({"HttpHeader": {"HttpHeaderName": "X Env", "Values": ["a"]}}),
            "HttpHeader: \"X Env\" must be an HTTP header name",
        ),
        (
            json!({"HttpHeader": {"HttpHeaderName": "X-Env", "Values": []}}),
            "HttpHeader: Values must list at least one value",
        ),
        (
            json!({"QueryString": [{"Key": "v"}]}),
            "QueryString: must be a list of {\"Key\": string (optional), \"Value\": string}",
        ),
        (
            json!({"QueryString": {"Key": "v", "Value": "2"}}),
            "QueryString: must be a list of",
        ),
        (
            json!({"HostHeaders": ["a.example.com", "b.example.com", "c.example.com"],
                   "PathPatterns": ["/a", "/b", "/c"]}),
            "listener rule conditions: 6 condition values in all; ALB allows 5 per rule",
        ),
        (
            json!({"HostHeaders": ["*.a.com", "*.b.com"], "PathPatterns": ["/*/x*", "/y?*"]}),
            "listener rule conditions: 6 wildcards in all; ALB allows 5 per rule",
        ),
        (
            json!({"PathPatterns": []}),
            "listener rule conditions: a rule needs at least one condition",
        ),
        (
            json!({"AllowSingleAz": "sometimes"}),
            "AllowSingleAz: must be true or false",
        ),
        (
            json!({"HealthCheck": {"IntervalSeconds": 4}}),
            "HealthCheck: IntervalSeconds: 4 is out of range 5–300",
        ),
        (
            json!({"HealthCheck": {"IntervalSeconds": "30", "TimeoutSeconds": 30}}),
            "HealthCheck: TimeoutSeconds (30) must be less than IntervalSeconds (30)",
        ),
        (
            json!({"HealthCheck": {"Matcher": "200-600"}}),
            "HealthCheck: Matcher: \"200-600\" must be codes 200–499",
        ),
        (
            json!({"HealthCheck": {"Colour": 1}}),
            "HealthCheck: unknown key \"Colour\" (known: Path, IntervalSeconds",
        ),
        (
            json!({"HealthCheck": "fast"}),
            "HealthCheck: must be an object",
        ),
        (
            json!({"HealthCheck": {"Path": "/x"}, "HealthCheckPath": "/y"}),
            "HealthCheck: give HealthCheck.Path or its old name HealthCheckPath, not both",
        ),
        (
            json!({"HealthCheckPath": "health"}),
            "HealthCheck: Path: \"health\" must start with / and have at most 1024 characters",
        ),
        (
            json!({"ContainerHealthCheck": {"Command": ["curl", "x"]}}),
            "ContainerHealthCheck: Command: must start with \"CMD\" or \"CMD-SHELL\"",
        ),
        (
            json!({"ContainerHealthCheck": {"Interval": 30}}),
            "ContainerHealthCheck: Command: is required",
        ),
        (
            json!({"ContainerHealthCheck": {"Command": ["CMD", "true"], "Timeout": 61}}),
            "ContainerHealthCheck: Timeout: 61 is out of range 2–60",
        ),
        (
            json!({"HealthCheckGracePeriodSeconds": -1}),
            "HealthCheckGracePeriodSeconds: -1 is out of range 0–2147483647",
        ),
        (
            json!({"DeregistrationDelaySeconds": 3601}),
            "DeregistrationDelaySeconds: 3601 is out of range 0–3600",
        ),
        (
            json!({"CpuArchitecture": "arm"}),
            "CpuArchitecture: \"arm\" must be X86_64 or ARM64",
        ),
        (
            json!({"EphemeralStorageGiB": 20}),
            "EphemeralStorageGiB: 20 is out of range 21–200",
        ),
        (
            json!({"StopTimeout": 121}),
            "StopTimeout: 121 is out of range 2–120",
        ),
        (
            json!({"ReadonlyRootFilesystem": "yes"}),
            "ReadonlyRootFilesystem: must be true or false",
        ),
        (
            json!({"EnableExecuteCommand": true, "ReadonlyRootFilesystem": true}),
            "EnableExecuteCommand: ECS Exec does not work with ReadonlyRootFilesystem: true",
        ),
        (
            json!({"CapacityProviderStrategy": [{"CapacityProvider": "EC2", "Weight": 1}]}),
            "CapacityProviderStrategy: item 1: CapacityProvider: \"EC2\" must be FARGATE or",
        ),
        (
            json!({"CapacityProviderStrategy": [{"Weight": 1}]}),
            "CapacityProviderStrategy: every item needs its CapacityProvider",
        ),
        (
            json!({"CapacityProviderStrategy": [{"CapacityProvider": "FARGATE"}]}),
            "CapacityProviderStrategy: at least one capacity provider needs a Weight above 0",
        ),
        (
            json!({"CapacityProviderStrategy": [
                {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
                {"CapacityProvider": "FARGATE_SPOT", "Base": 2, "Weight": 1}]}),
            "CapacityProviderStrategy: only one capacity provider may have a Base",
        ),
        (
            json!({"CapacityProviderStrategy": [
                {"CapacityProvider": "FARGATE", "Weight": 1},
                {"CapacityProvider": "FARGATE", "Weight": 2}]}),
            "CapacityProviderStrategy: names a capacity provider twice",
        ),
        (
            json!({"CapacityProviderStrategy": [
                {"CapacityProvider": "FARGATE", "Weight": 1},
                {"CapacityProvider": "FARGATE_SPOT", "Weight": 1},
                {"CapacityProvider": "FARGATE", "Weight": 1}]}),
            "CapacityProviderStrategy: lists 3 items; at most 2 are allowed",
        ),
        (
            json!({"Secrets": {"DB": "arn:aws:s3:::bucket/key"}}),
            "Secrets: \"arn:aws:s3:::bucket/key\" must be a Secrets Manager secret ARN",
        ),
        (
            json!({"Secrets": {"DB": "db-password"}}),
            "Secrets: \"db-password\" must be a Secrets Manager secret ARN",
        ),
        (
            json!({"SecretsKmsKeyArn": "alias/mine"}),
            "SecretsKmsKeyArn: \"alias/mine\" must be a KMS key ARN",
        ),
        (
            json!({"CapacityProviderStrategy": {"CapacityProvider": "FARGATE"}}),
            "CapacityProviderStrategy: must be a list of objects",
        ),
        (
            json!({"LogRetentionDays": 4}),
            "LogRetentionDays: 4 is not one of",
        ),
        (
            json!({"LogRetentionDays": 0}),
            "LogRetentionDays: 0 is out of range",
        ),
        (
            json!({"Environment": ["A=1"]}),
            "Environment: must be a map of string to string",
        ),
        (
            json!({"Environment": {"A": {"nested": 1}}}),
            "Environment: value of \"A\" must be a string",
        ),
        (
            json!({"Tags": {"prod-e:physical-id": "x"}}),
            "Tags: tag key \"prod-e:physical-id\" uses the reserved prefix",
        ),
        (
            json!({"Tags": {"aws:cloudformation:stack-name": "x"}}),
            "Tags: tag key \"aws:cloudformation:stack-name\" uses the reserved prefix",
        ),
        (
            json!({"Tags": {"AWS:Owner": "x"}}),
            "Tags: tag key \"AWS:Owner\" uses the reserved prefix",
        ),
        (
            json!({"Tags": {"Prod-E:physical-id": "x"}}),
            "Tags: tag key \"Prod-E:physical-id\" uses the reserved prefix",
        ),
        (
            json!({"Tags": (0..41)
                .map(|i| (format!("k{i}"), json!("v")))
                .collect::<serde_json::Map<_, _>>()}),
            "Tags: at most 40 tags",
        ),
        (
            json!({"Tags": "team=a"}),
            "Tags: must be a map of string to string",
        ),
        (
            json!({"Tags": {"team": "a".repeat(257)}}),
            "Tags: tag value \"aaaaaaaaaaaaaaaaaaaa\"… is longer than 256 characters",
        ),
        (
            json!({"Tags": {"team": "a&b"}}),
            "Tags: tag value \"a&b\" has '&', but tags take only letters, digits, spaces and",
        ),
        (
            json!({"Tags": {"cost#centre": "x"}}),
            "Tags: tag key \"cost#centre\" has '#'",
        ),
        (
            json!({"Tags": {"team": "a\tb"}}),
            "Tags: tag value \"a\\tb\" has '\\t'",
        ),
        (json!({"Colour": "blue"}), "Colour: unknown property"),
        (json!({"vpcid": "vpc-1"}), "vpcid: unknown property"),
    ]
}

#[test]
fn every_bad_input_is_refused_with_its_problem_named() {
    let cases = bad_properties();
    for (extra, want) in &cases {
        let mut props = required();
        if let (Some(p), Value::Object(extra)) = (props.as_object_mut(), extra) {
            p.extend(extra.clone());
        }
        let err = Spec::parse(&props)
            .expect_err(&extra.to_string())
            .to_string();
        assert!(err.contains(want), "{extra}: {err:?} lacks {want:?}");
    }
    assert!(cases.len() >= 52, "{} cases", cases.len());
}

#[test]
fn routing_conditions_are_read_as_alb_takes_them() {
    let mut props = required();
    props["PathPattern"] = json!("/api/*");
    props["HostHeaders"] = json!("api.example.com");
    props["HttpHeader"] = json!({"HttpHeaderName": "X-Env", "Values": ["blue"]});
    props["QueryString"] = json!([{"Key": "v", "Value": "2"}, {"Value": "beta"}]);
    let spec = Spec::parse(&props).unwrap();
    assert_eq!(spec.path_patterns, ["/api/*"]);
    assert_eq!(spec.host_headers, ["api.example.com"]);
    assert_eq!(
        spec.routing().to_string(),
        "host api.example.com path /api/* header X-Env=blue query v=2,*=beta"
    );
    let mut renamed = props.clone();
    renamed.as_object_mut().unwrap().remove("PathPattern");
    renamed["PathPatterns"] = json!(["/api/*"]);
    assert_eq!(Spec::parse(&renamed).unwrap(), spec);
    assert_eq!(spec.rule_priority, None);
    props["RulePriority"] = json!("7");
    assert_eq!(Spec::parse(&props).unwrap().rule_priority, Some(7));
}

#[test]
fn health_checks_take_cloudformation_strings_and_the_old_path_property() {
    let mut props = required();
    props["HealthCheckPath"] = json!("/health");
    props["HealthCheck"] = json!({"IntervalSeconds": "10", "HealthyThresholdCount": "2"});
    props["ContainerHealthCheck"] = json!({"Command": ["CMD-SHELL", "true"], "StartPeriod": "5"});
    let spec = Spec::parse(&props).unwrap();
    assert_eq!(
        spec.health_check.to_string(),
        "path /health every 10 s, timeout 5 s, healthy 2, unhealthy 3, codes 200"
    );
    let container = spec
        .container_health_check
        .clone()
        .expect("container check");
    assert_eq!(container.command, ["CMD-SHELL", "true"]);
    assert_eq!((container.interval, container.start_period), (30, Some(5)));
    let plain = Spec::parse(&required()).unwrap();
    assert_eq!(plain.container_health_check, None);
    assert_eq!(
        (plain.cpu_architecture.as_str(), plain.stop_timeout),
        ("X86_64", 10)
    );
    assert_eq!(plain.ephemeral_storage_gib, None);
}

#[test]
fn moving_to_or_from_capacity_providers_is_a_replacement_and_changing_them_is_not() {
    let plain = Spec::parse(&required()).unwrap();
    let mut props = required();
    props["CapacityProviderStrategy"] = json!([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]);
    let spot = Spec::parse(&props).unwrap();
    props["CapacityProviderStrategy"] = json!([{"CapacityProvider": "FARGATE", "Weight": 2}]);
    let on_demand = Spec::parse(&props).unwrap();
    assert_ne!(plain.fingerprint(), spot.fingerprint());
    assert_eq!(spot.fingerprint(), on_demand.fingerprint());
    assert_eq!(
        plain.diff(&spot).needs_replacement(),
        ["CapacityProviderStrategy"]
    );
    assert!(spot.diff(&on_demand).needs_replacement().is_empty());
    assert!(spot.diff(&on_demand).any(Effect::Capacity));
    // Sets made before the property existed keep their ids.
    assert_eq!(
        plain.fingerprint(),
        Spec::parse(&required()).unwrap().fingerprint()
    );
}

#[test]
fn an_empty_string_means_not_set() {
    let mut props = required();
    for name in [
        "ClusterName",
        "Image",
        "PathPattern",
        "Cpu",
        "AssignPublicIp",
        "Command",
        "Tags",
    ] {
        props[name] = json!("");
    }
    assert_eq!(
        Spec::parse(&props).unwrap(),
        Spec::parse(&required()).unwrap()
    );
    props["VpcId"] = json!("");
    let err = Spec::parse(&props).unwrap_err().to_string();
    assert_eq!(err, "invalid properties: VpcId: is required");
}

#[test]
fn every_property_of_the_table_is_a_field_of_the_spec() {
    let spec = Spec::parse(&required()).unwrap();
    let fields: BTreeSet<String> = as_map(&spec).keys().cloned().collect();
    let table: BTreeSet<String> = PROPERTIES.iter().map(|p| p.name.to_string()).collect();
    assert_eq!(fields, table);
}

#[test]
fn the_readme_table_is_the_schema() {
    let readme = include_str!("../../README.md");
    let begin = readme.find("<!-- properties:begin").expect("begin marker");
    let table = &readme[begin..];
    let table = &table[table.find('\n').expect("marker line") + 1..];
    let end = table.find("<!-- properties:end -->").expect("end marker");
    assert_eq!(
        table[..end].trim(),
        documents::markdown_table().trim(),
        "README's table differs from src/spec/schema/: paste `prod-e plan --properties-table`"
    );
}

#[test]
fn the_shipped_json_schema_is_the_schema() {
    let shipped: Value =
        serde_json::from_str(include_str!("../../schema/prod-e-service.schema.json"))
            .expect("schema/prod-e-service.schema.json is JSON");
    assert_eq!(
        shipped,
        documents::json_schema(),
        "schema/prod-e-service.schema.json differs: regenerate it with `prod-e plan --schema`"
    );
}

#[test]
fn missing_required_properties_are_all_named() {
    let err =
        Spec::parse(&json!({"ServiceToken": "arn:aws:lambda:us-east-1:1:function:x"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid properties: VpcId: is required; SubnetIds: is required; ListenerArn: is required; \
         LoadBalancerSecurityGroupId: is required"
    );
}

#[test]
fn scaling_keeps_the_scalers_count_and_seeds_new_services() {
    use super::scaling::{count_change, starting_count};
    let spec = Spec::parse(&json!({
        "VpcId": "vpc-1", "SubnetIds": ["subnet-1"],
        "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/lb/1/2",
        "LoadBalancerSecurityGroupId": "sg-1",
        "AutoScaling": {"MinCapacity": 2, "MaxCapacity": 6, "CpuTarget": "60"},
    }))
    .expect("valid");
    let auto = spec.auto_scaling.as_ref();
    // DesiredCount 1 is below the bounds; a replacement starts at the old count, bounded.
    assert_eq!(starting_count(auto, 1, None), 2);
    assert_eq!(starting_count(auto, 1, Some(5)), 5);
    assert_eq!(starting_count(auto, 1, Some(9)), 6);
    assert_eq!(starting_count(None, 1, Some(5)), 1);
    // Scaling on: never, whatever DesiredCount (new bounds move the count themselves).
    assert_eq!(count_change((true, true), (1, true), 5), None);
    assert_eq!(count_change((false, true), (3, true), 1), None);
    // Scaling off again: DesiredCount takes over; never scaled: only a change is applied.
    assert_eq!(count_change((true, false), (3, false), 5), Some(3));
    assert_eq!(count_change((true, false), (5, false), 5), None);
    assert_eq!(count_change((false, false), (3, false), 5), None);
    assert_eq!(count_change((false, false), (3, true), 5), Some(3));
}
