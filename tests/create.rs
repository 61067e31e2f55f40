//! Create: every resource exists as specified, and the response's Data describes them.

use serde_json::json;

use crate::inspect;
use crate::support::{Harness, Stack};

#[tokio::test]
async fn create_provisions_the_whole_set() {
    let h = Harness::new().await;
    let stack = Stack::new("create");
    let cluster = format!("c-{}", crate::support::unique());
    let props = h.properties(json!({
        "ClusterName": cluster,
        "Environment": {"MODE": "prod", "WORKERS": 4},
        "Tags": {"team": "payments"},
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    assert!(id.starts_with("prod-e-"), "{id}");
    let c = &h.clients;
    let inv = inspect::everything(c, &id, &props).await;

    // Roles: trusted by ECS tasks only.
    let exec = inv.execution_role.expect("execution role");
    let task = inv.task_role.expect("task role");
    for name in [&exec.name, &task.name] {
        let (trust, _) = inspect::role(c, name).await;
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"], "ecs-tasks.amazonaws.com",
            "{name}"
        );
        assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    }
    // No managed policy: the execution role's inline policy writes its log group (the default
    // image is not in ECR).
    assert!(inspect::role(c, &exec.name).await.1.is_empty());
    assert!(inspect::role(c, &task.name).await.1.is_empty());
    // The stack's Tags stay off the roles (their sessions' principal tags) by default.
    assert_eq!(exec.tags.get("team"), None);
    assert_eq!(task.tags.get("team"), None);
    assert_eq!(exec.tags.get("prod-e:physical-id"), Some(&id));
    assert_eq!(exec.tags.get("prod-e:stack-id"), Some(&stack.id));

    // Security group: one ingress rule, the container port from the ALB's group.
    let sg = inv.security_group.expect("security group");
    assert_eq!(
        sg.ingress,
        vec![(80, h.network.alb_security_group_id.clone())]
    );

    // Log group with retention.
    let logs = inv.log_group.expect("log group");
    assert_eq!(logs.tags.get("team").map(String::as_str), Some("payments"));
    assert_eq!(logs.retention_days, Some(30));

    // Task definition.
    let td = inspect::task_definition(c, &out.data("TaskDefinitionArn")).await;
    assert_eq!((td.cpu.as_str(), td.memory.as_str()), ("256", "512"));
    assert_eq!(td.network_mode, "awsvpc");
    assert_eq!(td.compatibilities, vec!["FARGATE"]);
    assert_eq!(
        (td.execution_role_arn.as_str(), td.task_role_arn.as_str()),
        (exec.arn.as_str(), task.arn.as_str())
    );
    assert_eq!(
        (td.image.as_str(), td.container_name.as_str(), td.port),
        (prod_e::default_server::DEFAULT_IMAGE, "dummy-container", 80)
    );
    assert_eq!(td.log_driver, "awslogs");
    assert_eq!(td.log_options.get("awslogs-group"), Some(&logs.name));
    assert_eq!(
        td.log_options.get("awslogs-region").map(String::as_str),
        Some("us-east-1")
    );
    assert_eq!(td.environment.get("WORKERS").map(String::as_str), Some("4"));

    // Target group and rule.
    let tg = inv.target_group.expect("target group");
    let spec = prod_e::spec::Spec::parse(&props).expect("valid");
    assert_eq!(tg.health_check, spec.target_health_check());
    assert_eq!(
        tg.health_check.to_string(),
        "path / every 10 s, timeout 5 s, healthy 2, unhealthy 3, codes 200"
    );
    let rule = inv.listener_rule.expect("listener rule");
    // No RulePriority given: the one derived for this stack resource, free on the listener.
    let derived = prod_e::preflight::priority::derived(&stack.deployment(&props));
    assert_eq!(rule.priority, derived.to_string());
    assert_eq!(rule.routing.path_patterns, vec!["/*"]);
    assert_eq!(rule.target_group_arns, vec![tg.arn.clone()]);

    // Service.
    let svc = inspect::service(c, &cluster, "prod-e-service").await;
    assert_eq!(
        (
            svc.launch_type.as_str(),
            svc.scheduling.as_str(),
            svc.desired
        ),
        ("FARGATE", "REPLICA", 1)
    );
    assert_eq!(svc.subnets, h.network.subnet_ids);
    assert_eq!(svc.security_groups, vec![sg.id.clone()]);
    assert_eq!(svc.public_ip, "DISABLED");
    assert_eq!(
        (
            svc.target_group_arn.as_str(),
            svc.container_name.as_str(),
            svc.container_port
        ),
        (tg.arn.as_str(), "dummy-container", 80)
    );
    assert_eq!(svc.task_definition, out.data("TaskDefinitionArn"));

    // Data for Fn::GetAtt.
    let (_, cluster_arn, cluster_tags) = inspect::cluster(c, &cluster).await;
    let lbs = c.elb.describe_load_balancers();
    let lbs = lbs
        .load_balancer_arns(&h.network.load_balancer_arn)
        .send()
        .await;
    let dns = lbs.expect("load balancer").load_balancers()[0]
        .dns_name()
        .map(str::to_string);
    // The listener is HTTP on 80 and the rule matches any host on /*.
    let url = format!("http://{}/", dns.unwrap_or_default());
    assert_eq!(cluster_tags.get("prod-e:physical-id"), Some(&id));
    let expected = [
        ("ClusterArn", cluster_arn.as_str()),
        ("ClusterName", cluster.as_str()),
        (
            "ServiceArn",
            inv.service.as_ref().map(|s| s.arn.as_str()).unwrap_or(""),
        ),
        ("ServiceName", "prod-e-service"),
        ("TargetGroupArn", tg.arn.as_str()),
        ("ListenerRuleArn", rule.arn.as_str()),
        ("ListenerRulePriority", rule.priority.as_str()),
        ("SecurityGroupId", sg.id.as_str()),
        ("ExecutionRoleArn", exec.arn.as_str()),
        ("TaskRoleArn", task.arn.as_str()),
        ("LogGroupName", logs.name.as_str()),
        ("Url", url.as_str()),
    ];
    for (key, want) in expected {
        assert_eq!(out.data(key), want, "Data.{key}");
    }
    // And the four alarms' names: the alarm gate is on for a new set.
    assert_eq!(
        out.response()["Data"].as_object().map(|d| d.len()),
        Some(17)
    );
}

#[tokio::test]
async fn strings_and_numbers_give_the_same_deployment() {
    let h = Harness::new().await;
    let mut seen = Vec::new();
    for (n, extra) in [
        (
            1,
            json!({"DesiredCount": "2", "Cpu": "512", "Memory": "1024", "AssignPublicIp": "true", "ContainerPort": "8080", "RulePriority": "7"}),
        ),
        (
            2,
            json!({"DesiredCount": 2, "Cpu": 512, "Memory": 1024, "AssignPublicIp": true, "ContainerPort": 8080, "RulePriority": 8}),
        ),
    ] {
        let cluster = format!("typed{n}-{}", crate::support::unique());
        let mut extra = extra;
        extra["ClusterName"] = json!(cluster);
        let props = h.properties(extra);
        let out = h.invoke(Stack::new("typed").create(&props)).await;
        out.assert_success();
        let svc = inspect::service(&h.clients, &cluster, "prod-e-service").await;
        let td = inspect::task_definition(&h.clients, &svc.task_definition).await;
        seen.push((
            svc.desired,
            svc.public_ip,
            svc.container_port,
            td.cpu,
            td.memory,
            td.port,
        ));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(
        seen[0],
        (
            2,
            "ENABLED".to_string(),
            8080,
            "512".to_string(),
            "1024".to_string(),
            8080
        )
    );
}

#[tokio::test]
async fn a_redelivered_create_adopts_what_it_made() {
    let h = Harness::new().await;
    let stack = Stack::new("again");
    let cluster = format!("again-{}", crate::support::unique());
    let props = h.properties(json!({"ClusterName": cluster}));
    let first = h.invoke(stack.create(&props)).await;
    first.assert_success();
    let second = h.invoke(stack.create(&props)).await;
    second.assert_success();
    assert_eq!(first.physical_id(), second.physical_id());
    for key in [
        "ServiceArn",
        "TargetGroupArn",
        "ListenerRuleArn",
        "ListenerRulePriority",
        "SecurityGroupId",
        "TaskDefinitionArn",
    ] {
        assert_eq!(first.data(key), second.data(key), "{key}");
    }
    let inv = inspect::everything(&h.clients, &first.physical_id(), &props).await;
    assert_eq!(inv.task_definitions.len(), 1);
    let sg_name = prod_e::naming::Deployment::parse(&first.physical_id())
        .expect("id")
        .security_group();
    assert_eq!(
        h.network.security_groups_named(&h.clients, &sg_name).await,
        1
    );
}

#[tokio::test]
async fn roles_carry_only_the_tag_keys_the_operator_allows() {
    let mut h = Harness::new().await;
    h.provider.clients.roles.tag_keys = vec!["team".into()];
    let stack = Stack::new("role-tags");
    let props = h.properties(json!({
        "ClusterName": format!("rt-{}", crate::support::unique()),
        "Tags": {"team": "payments", "tier": "admin"},
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let inv = inspect::everything(&h.clients, &out.physical_id(), &props).await;
    for role in [inv.execution_role, inv.task_role] {
        let tags = role.expect("role").tags;
        assert_eq!(tags.get("team").map(String::as_str), Some("payments"));
        assert_eq!(tags.get("tier"), None, "a key the operator did not allow");
    }
    let group = inv.security_group.expect("security group");
    assert_eq!(group.tags.get("tier").map(String::as_str), Some("admin"));
    // A role an older prod-e tagged with every stack tag loses the others at the next Update,
    // whatever it changes.
    let task_role = prod_e::naming::Deployment::parse(&out.physical_id())
        .expect("id")
        .task_role();
    let legacy = aws_sdk_iam::types::Tag::builder()
        .key("tier")
        .value("admin")
        .build();
    let tag = h
        .clients
        .iam
        .tag_role()
        .role_name(&task_role)
        .tags(legacy.expect("tag"));
    tag.send().await.expect("an older prod-e's tag");
    let mut more = props.clone();
    more["DesiredCount"] = json!(2);
    let id = out.physical_id();
    h.invoke(stack.update(&id, &props, &more))
        .await
        .assert_success();
    let inv = inspect::everything(&h.clients, &id, &more).await;
    let tags = inv.task_role.expect("task role").tags;
    assert_eq!(tags.get("tier"), None, "a user tag left on a role");
    assert_eq!(tags.get("team").map(String::as_str), Some("payments"));
    let props = more;
    let mut retagged = props.clone();
    retagged["Tags"] = json!({"team": "billing"});
    let updated = h.invoke(stack.update(&id, &props, &retagged)).await;
    updated.assert_success();
    let inv = inspect::everything(&h.clients, &id, &retagged).await;
    let role = inv.task_role.expect("task role");
    assert_eq!(role.tags.get("team").map(String::as_str), Some("billing"));
    h.invoke(stack.delete(&out.physical_id(), &retagged))
        .await
        .assert_success();
}
