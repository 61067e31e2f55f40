//! Health checks, platform and hardening (issue #14): created as asked, each changed in
//! place with only its own write.

use serde_json::{json, Value};

use crate::support::{unique, Harness, Stack};

/// The target group as ELBv2 has it.
async fn target_group(
    h: &Harness,
    arn: &str,
) -> aws_sdk_elasticloadbalancingv2::types::TargetGroup {
    let out = h
        .clients
        .elb
        .describe_target_groups()
        .target_group_arns(arn)
        .send()
        .await;
    out.expect("describe target group").target_groups()[0].clone()
}

#[tokio::test]
async fn health_checks_platform_and_hardening_are_created_and_changed_in_place() {
    let h = Harness::new().await;
    let (c, stack) = (&h.clients, Stack::new("health"));
    let props = h.properties(json!({
        "ClusterName": format!("health-{}", unique()),
        "HealthCheck": {"Path": "/health", "IntervalSeconds": 10, "TimeoutSeconds": "4",
                        "HealthyThresholdCount": 2, "Matcher": "200-299"},
        "DeregistrationDelaySeconds": 15,
        "HealthCheckGracePeriodSeconds": 120,
        "ContainerHealthCheck": {"Command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                                 "StartPeriod": 10},
        "CpuArchitecture": "ARM64",
        "ReadonlyRootFilesystem": true,
        "StopTimeout": 60,
        "EphemeralStorageGiB": 30,
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let tg_arn = out.data("TargetGroupArn");
    let tg = target_group(&h, &tg_arn).await;
    assert_eq!(
        (
            tg.health_check_path(),
            tg.health_check_interval_seconds(),
            tg.health_check_timeout_seconds()
        ),
        (Some("/health"), Some(10), Some(4))
    );
    assert_eq!(
        (tg.healthy_threshold_count(), tg.unhealthy_threshold_count()),
        (Some(2), Some(3))
    );
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200-299"));
    let delay = |attrs: &[aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute]| {
        attrs
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value().map(str::to_string))
    };
    let attrs = c
        .elb
        .describe_target_group_attributes()
        .target_group_arn(&tg_arn)
        .send()
        .await
        .expect("attrs");
    assert_eq!(delay(attrs.attributes()).as_deref(), Some("15"));
    // Asked of ECS (moto drops the grace period from what it returns).
    assert_eq!(
        h.last_request("CreateService")["healthCheckGracePeriodSeconds"],
        120
    );
    let registered = h.last_request("RegisterTaskDefinition");
    assert_eq!(
        registered["runtimePlatform"],
        json!({"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"})
    );
    assert_eq!(registered["ephemeralStorage"], json!({"sizeInGiB": 30}));
    let container = &registered["containerDefinitions"][0];
    assert_eq!(
        (
            &container["readonlyRootFilesystem"],
            &container["stopTimeout"]
        ),
        (&json!(true), &json!(60))
    );
    assert_eq!(
        container["healthCheck"],
        json!({"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
               "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 10})
    );
    let td = c
        .ecs
        .describe_task_definition()
        .task_definition(out.data("TaskDefinitionArn"))
        .send()
        .await
        .expect("td");
    let platform = td
        .task_definition()
        .and_then(|t| t.runtime_platform())
        .expect("runtime platform");
    assert_eq!(
        platform.cpu_architecture().map(|a| a.as_str()),
        Some("ARM64")
    );

    // Each change in place writes where it lives, and only there.
    let id = out.physical_id();
    let mut old = props.clone();
    for (change, want) in [
        (
            json!({"HealthCheck": {"Path": "/ready", "IntervalSeconds": 10, "TimeoutSeconds": 4,
                                "HealthyThresholdCount": 2, "Matcher": "200-299"}}),
            vec!["ModifyTargetGroup"],
        ),
        (
            json!({"DeregistrationDelaySeconds": 0}),
            vec!["ModifyTargetGroupAttributes"],
        ),
        (
            json!({"HealthCheckGracePeriodSeconds": 30}),
            vec!["UpdateService"],
        ),
        (
            json!({"CpuArchitecture": "X86_64"}),
            vec![
                "RegisterTaskDefinition",
                "UpdateService",
                "DeregisterTaskDefinition",
            ],
        ),
    ] {
        let mut new = old.clone();
        if let (Some(n), Value::Object(change)) = (new.as_object_mut(), change) {
            n.extend(change);
        }
        let writes = h.writes_of(stack.update(&id, &old, &new)).await;
        assert_eq!(writes, want, "{new}");
        old = new;
    }
    assert_eq!(
        target_group(&h, &tg_arn).await.health_check_path(),
        Some("/ready")
    );
    assert_eq!(
        h.last_request("UpdateService")["taskDefinition"]
            .as_str()
            .map(|s| s.contains("prod-e-task")),
        Some(true)
    );
    assert_eq!(
        h.last_request("RegisterTaskDefinition")["runtimePlatform"]["cpuArchitecture"],
        "X86_64"
    );
}

#[tokio::test]
async fn grpc_and_https_targets_deploy_with_their_health_checks() {
    let h = Harness::new().await;
    // An image that serves them: the default one's built-in server speaks HTTP/1.1 only.
    let image = "public.ecr.aws/docker/library/envoy:v1.31";
    let grpc = json!({"ClusterName": format!("grpc-{}", unique()), "ProtocolVersion": "GRPC",
                      "Image": image,
                      "HealthCheck": {"Path": "/grpc.health.v1.Health/Check", "GrpcCode": "0"}});
    let refused = h
        .invoke(Stack::new("grpc-http").create(&h.properties(grpc.clone())))
        .await;
    assert_eq!(refused.status(), "FAILED");
    assert!(
        refused
            .reason()
            .contains("ProtocolVersion GRPC needs an HTTPS listener"),
        "{}",
        refused.reason()
    );
    let listener = h.network.https_listener(&h.clients).await;
    let group = &h.network.alb_security_group_id;
    h.proxy.deploys_behind(&h.network.vpc_id, &listener, group);
    let mut props = h.properties(grpc);
    props["ListenerArn"] = json!(listener);
    let stack = Stack::new("grpc");
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let tg = target_group(&h, &out.data("TargetGroupArn")).await;
    let version = (tg.protocol_version(), tg.health_check_path());
    assert_eq!(
        version,
        (Some("GRPC"), Some("/grpc.health.v1.Health/Check"))
    );
    let matcher = tg.matcher().map(|m| (m.grpc_code(), m.http_code()));
    assert_eq!(
        matcher,
        Some((Some("0"), None)),
        "a gRPC group matches gRPC codes"
    );
    let mut changed = props.clone();
    changed["HealthCheck"]["GrpcCode"] = json!("0-2");
    let id = out.physical_id();
    let updated = h.invoke(stack.update(&id, &props, &changed)).await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), id, "a health check changes in place");
    // The request as ELBv2 takes it (moto drops the gRPC codes of a ModifyTargetGroup; the
    // proxy shows them to the provider's reads: rule 12b).
    let calls = h.proxy.calls();
    let modified = calls.iter().filter(|c| c.action == "ModifyTargetGroup");
    let bodies: Vec<&str> = modified.map(|c| c.body.as_str()).collect();
    let [body] = bodies[..] else {
        panic!("one ModifyTargetGroup: {bodies:?}");
    };
    assert!(
        body.contains("Matcher.GrpcCode=0-2") && !body.contains("HttpCode"),
        "{body}"
    );
    // HTTPS to the tasks, checked over HTTPS, behind the plain HTTP listener.
    let https = json!({"ClusterName": format!("tls-{}", unique()), "TargetProtocol": "HTTPS",
                       "Image": image});
    let out = h
        .invoke(Stack::new("tls").create(&h.properties(https)))
        .await;
    out.assert_success();
    let tg = target_group(&h, &out.data("TargetGroupArn")).await;
    let protocols = (
        tg.protocol(),
        tg.health_check_protocol(),
        tg.protocol_version(),
    );
    let https = Some(&aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Https);
    assert_eq!(protocols, (https, https, Some("HTTP1")));
    assert_eq!(tg.matcher().and_then(|m| m.http_code()), Some("200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_exec_is_turned_on_and_off_in_place() {
    let h = Harness::new().await;
    let (c, stack) = (&h.clients, Stack::new("exec"));
    let props = h.properties(
        json!({"ClusterName": format!("exec-{}", unique()), "EnableExecuteCommand": true}),
    );
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let d = stack.deployment(&props);
    let doc = c
        .iam
        .get_role_policy()
        .role_name(d.task_role())
        .policy_name("prod-e-ecs-exec")
        .send()
        .await
        .expect("the task role's ECS Exec policy");
    let doc: Value =
        serde_json::from_str(&crate::support::http::percent_decode(doc.policy_document()))
            .expect("policy JSON");
    assert_eq!(
        doc["Statement"][0]["Action"],
        json!([
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel"
        ])
    );
    assert_eq!(
        h.last_request("CreateService")["enableExecuteCommand"],
        true
    );
    // The operator's view (through the proxy, which plays the tasks): the command to run.
    let status = h.proxy.as_operator(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_prod-e"))
            .args(["status", "--physical-id", &out.physical_id()])
            .env("AWS_ENDPOINT_URL", &h.proxy.endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .output()
            .expect("run prod-e")
    });
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("ECS Exec: aws ecs execute-command --cluster exec-"),
        "{text}"
    );
    assert!(
        text.contains("--container dummy-container --interactive --command \"/bin/sh\""),
        "{text}"
    );
    // Off again: the policy goes, and new tasks run without it.
    let mut off = props.clone();
    off["EnableExecuteCommand"] = json!(false);
    let mut writes = h
        .writes_of(stack.update(&out.physical_id(), &props, &off))
        .await;
    writes.sort();
    assert_eq!(writes, ["DeleteRolePolicy", "UpdateService"]);
    let asked = h.last_request("UpdateService");
    assert_eq!(
        (&asked["enableExecuteCommand"], &asked["forceNewDeployment"]),
        (&json!(false), &json!(true))
    );
    let left = c
        .iam
        .list_role_policies()
        .role_name(d.task_role())
        .send()
        .await
        .expect("policies");
    assert!(left.policy_names().is_empty());
}
