//! The operator CLI `prod-e`, run as a process against moto: plan, status, teardown (dry run,
//! typed yes and no on a terminal, --yes, refusal without a terminal), orphans.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::{json, Value};

use crate::inspect;
use crate::support::patience::PATIENCE;
use crate::support::{operator_endpoint, unique, Harness, Stack};

/// Runs `prod-e ARGS` with moto as AWS; returns (exit code, stdout, stderr).
pub(crate) fn prod_e(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_prod-e"))
        .args(args)
        .envs(aws_env())
        .stdin(Stdio::null())
        .output()
        .expect("run prod-e");
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// What `prod-e teardown` asks on a terminal before it deletes anything.
const ASKS: &str = "Type yes to delete these";

/// Runs `prod-e ARGS` on a pseudo-terminal (util-linux `script`), typing `input` once it
/// has asked `prompt` (however long it takes to get there; at most [`PATIENCE`]).
fn prod_e_on_terminal(args: &[&str], prompt: &str, input: &str) -> (i32, String) {
    let command = std::iter::once(env!("CARGO_BIN_EXE_prod-e").to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .envs(aws_env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run script (util-linux)");
    let mut stdout = child.stdout.take().expect("script stdout");
    let (sent, output) = mpsc::channel();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut chunk) {
            if sent.send(chunk[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let (mut out, deadline) = (Vec::<u8>::new(), Instant::now() + PATIENCE);
    while !String::from_utf8_lossy(&out).contains(prompt) {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(chunk) = output.recv_timeout(left) else {
            let _ = child.kill();
            panic!(
                "prod-e never asked {prompt:?}: {}",
                String::from_utf8_lossy(&out)
            );
        };
        out.extend(chunk);
    }
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    out.extend(output.iter().flatten());
    let status = child.wait().expect("script");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out).to_string(),
    )
}

pub(crate) fn aws_env() -> Vec<(&'static str, String)> {
    vec![
        // moto, through the tests' own proxy (CloudWatch's CBOR, scalable targets' tags).
        ("AWS_ENDPOINT_URL", operator_endpoint().to_string()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
    ]
}

/// A live deployment to look at.
pub(crate) async fn deployed(name: &str) -> (Harness, Stack, Value, String) {
    let h = Harness::new().await;
    let stack = Stack::new(name);
    let props = h.properties(json!({"ClusterName": format!("{name}-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    (h, stack, props, id)
}

pub(crate) fn write_properties(props: &Value) -> String {
    let path = std::env::temp_dir().join(format!("prod-e-props-{}.json", unique()));
    std::fs::write(&path, props.to_string()).expect("write properties");
    path.display().to_string()
}

#[test]
fn plan_shows_the_create_graph_and_the_update() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/events/properties.yaml");
    let (code, out, _) = prod_e(&[
        "plan",
        "--properties",
        sample,
        "--stack-id",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1",
    ]);
    assert_eq!(code, 0, "{out}");
    let stack = crate::support::Stack {
        id: "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1".into(),
        logical_id: "ProdEService".into(),
    };
    let yaml = std::fs::read_to_string(sample).expect("sample");
    let id = stack.deployment(&serde_norway::from_str(&yaml).expect("yaml"));
    assert!(
        out.contains(&format!("PhysicalResourceId: {}", id.physical_id())),
        "{out}"
    );
    for line in [
        format!("  1. IAM role {} (trusted by ecs-tasks.amazonaws.com, write its log group within its permissions boundary, SecretsKmsKeyArn none)", id.execution_role()),
        format!("IAM role {} (trusted by ecs-tasks.amazonaws.com, TaskRolePolicyArns none, TaskRolePolicy none, task role's permissions boundary set)", id.task_role()),
        format!("target group {} (ip, port 80, TargetProtocol HTTP, ProtocolVersion HTTP1, HealthCheck path / every 10 s, timeout 5 s, healthy 2, unhealthy 3, codes 200, DeregistrationDelaySeconds 30, SlowStartSeconds 0, LoadBalancingAlgorithm round_robin, Stickiness off)", id.target_group()),
        "  2. task definition (Fargate, awsvpc, TaskFamily prod-e-task, ContainerName dummy-container, Image public.ecr.aws/docker/library/node:16, ContainerPort 80, Cpu 256, Memory 512".to_string(),
        "  4. ECS service prod-e-service (DesiredCount 1, EnableExecuteCommand false, CapacityProviderStrategy FARGATE launch type".to_string(),
        format!("  3. CloudWatch alarms {0}-cpu-high, {0}-memory-high, {0}-target-5xx, {0}-unhealthy-targets", id.physical_id()),
        "  5. listener rule (PathPatterns /*, HostHeaders none, HttpHeader none, QueryString none) → the target group".to_string(),
    ] {
        assert!(out.contains(&line), "{line:?} not in:\n{out}");
    }
    let mut new: Value =
        serde_norway::from_str(&std::fs::read_to_string(sample).expect("sample")).expect("yaml");
    new["Image"] = json!("nginx");
    let new_path = write_properties(&new);
    let (code, out, _) = prod_e(&["plan", "--properties", &new_path, "--old", sample]);
    assert_eq!(code, 0);
    assert!(out.contains("Update in place, same PhysicalResourceId:\n  task definition: register a new revision (Image)"), "{out}");
    new["ClusterName"] = json!("other");
    let new_path = write_properties(&new);
    let (_, out, _) = prod_e(&[
        "plan",
        "--properties",
        &new_path,
        "--old",
        sample,
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["update"]["replacement"], true);
    assert_eq!(
        report["update"]["replacement_because"],
        json!(["ClusterName"])
    );
}

#[test]
fn plan_reports_every_validation_error_as_the_lambda_would() {
    let bad = json!({"VpcId": 1, "SubnetIds": [], "Cpu": 256, "Memory": 4096, "Colour": "x"});
    let (code, out, _) = prod_e(&["plan", "--properties", &write_properties(&bad)]);
    assert_eq!(code, 3);
    let lambda = prod_e::spec::Spec::parse(&bad)
        .expect_err("invalid")
        .to_string();
    assert_eq!(out.trim(), lambda);
    let (code, _, err) = prod_e(&["plan", "--properties", "/nonexistent.yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("reading /nonexistent.yaml"), "{err}");
}

#[tokio::test]
async fn status_shows_a_live_deployment_and_flags_drift() {
    let (_h, stack, props, id) = deployed("cli-status").await;
    let (code, out, err) = prod_e(&["status", "--physical-id", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("deployment {id}")), "{out}");
    assert!(
        out.contains("ECS service           prod-e-service"),
        "{out}"
    );
    assert!(
        out.contains("service: running 1 / desired 1 / pending 0"),
        "{out}"
    );
    let priority = prod_e::preflight::priority::derived(&stack.deployment(&props));
    assert!(
        out.contains(&format!("rule: priority {priority}, path /*")),
        "{out}"
    );
    assert!(!out.contains("missing"), "{out}");
    // By stack name, with the properties it should match: all as specified.
    let stack_name = stack.id.split('/').nth(1).expect("stack name");
    let (code, _, err) = prod_e(&[
        "status",
        "--stack",
        stack_name,
        "--properties",
        &write_properties(&props),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut drifted = props.clone();
    drifted["DesiredCount"] = json!(3);
    drifted["RulePriority"] = json!(7);
    drifted["EnableExecuteCommand"] = json!(true);
    drifted["HealthCheck"] = json!({"Path": "/ready"});
    drifted["CpuArchitecture"] = json!("ARM64");
    drifted["StopTimeout"] = json!(45);
    drifted["TaskRolePolicyArns"] = json!(["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
    drifted["TaskRolePolicy"] =
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}});
    let (code, out, _) = prod_e(&[
        "status",
        "--physical-id",
        &id,
        "--properties",
        &write_properties(&drifted),
    ]);
    assert_eq!(code, 5);
    assert!(
        out.contains("! DesiredCount is 1, the properties say 3"),
        "{out}"
    );
    assert!(
        out.contains("! EnableExecuteCommand is false, the properties say true"),
        "{out}"
    );
    assert!(
        out.contains("! CpuArchitecture is X86_64, the properties say ARM64"),
        "{out}"
    );
    assert!(
        out.contains("! StopTimeout is 10, the properties say 45"),
        "{out}"
    );
    assert!(
        out.contains(
            "! TaskRolePolicyArns is none, the properties say arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
        ),
        "{out}"
    );
    assert!(
        out.contains(r#"! TaskRolePolicy is none, the properties say {"Statement":{"Action"#),
        "{out}"
    );
    assert!(
        out.contains("! HealthCheck is path / every 10 s, timeout 5 s, healthy 2, unhealthy 3, codes 200, the properties say path /ready every"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "! RulePriority is {priority}, the properties say 7"
        )),
        "{out}"
    );
}

/// Through the proxy, which plays the service's tasks (rule 11 of the AWS rules); on two
/// threads, so that the proxy serves while the test waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_running_tasks_per_zone() {
    let h = Harness::new().await;
    let stack = Stack::new("cli-zones");
    let props =
        h.properties(json!({"ClusterName": format!("zones-{}", unique()), "DesiredCount": 3}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    // The operator's calls, not the function's: out of the policy judgement.
    let status = h.proxy.as_operator(|| {
        Command::new(env!("CARGO_BIN_EXE_prod-e"))
            .args(["status", "--physical-id", &out.physical_id()])
            .envs(aws_env())
            .env("AWS_ENDPOINT_URL", &h.proxy.endpoint)
            .output()
            .expect("run prod-e")
    });
    let text = String::from_utf8_lossy(&status.stdout);
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(
        text.contains("running tasks per zone: us-east-1a 2, us-east-1b 1"),
        "{text}{err}"
    );
    // The deployment settings as ECS shows them (the proxy plays what moto drops, rule 12).
    let mut drifted = props.clone();
    drifted["MinimumHealthyPercent"] = json!(50);
    drifted["CircuitBreaker"] = json!(false);
    drifted["DeploymentAlarms"] = json!(["api-5xx"]);
    drifted["ContainerInsights"] = json!("enhanced");
    let properties = write_properties(&drifted);
    let status = h.proxy.as_operator(|| {
        Command::new(env!("CARGO_BIN_EXE_prod-e"))
            .args(["status", "--physical-id", &out.physical_id()])
            .args(["--properties", &properties])
            .envs(aws_env())
            .env("AWS_ENDPOINT_URL", &h.proxy.endpoint)
            .output()
            .expect("run prod-e")
    });
    let text = String::from_utf8_lossy(&status.stdout);
    let gate = format!("{0}-target-5xx,{0}-unhealthy-targets", out.physical_id());
    for drift in [
        "! MinimumHealthyPercent is 100, the properties say 50",
        "! CircuitBreaker is true, the properties say false",
        &format!("! DeploymentAlarms is {gate}, the properties say api-5xx"),
        // A cluster created without the setting reports the default, as ECS does.
        "! ContainerInsights is disabled, the properties say enhanced",
    ] {
        assert!(text.contains(drift), "{drift} missing:\n{text}");
    }
    assert!(!text.contains("MaximumPercent"), "{text}");
    h.invoke(stack.delete(&out.physical_id(), &props))
        .await
        .assert_success();
}

#[tokio::test]
async fn plan_check_prints_the_preflight_checklist() {
    let h = Harness::new().await;
    let stack = "arn:aws:cloudformation:us-east-1:123456789012:stack/check/1";
    let good = write_properties(&h.properties(json!({})));
    let (code, out, err) = prod_e(&[
        "plan",
        "--properties",
        &good,
        "--check",
        "--stack-id",
        stack,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("  ✓ VPC {} exists", h.network.vpc_id)),
        "{out}"
    );
    assert!(out.contains("  ✓ rule priority"), "{out}");
    assert!(!out.contains('✗'), "{out}");
    let isolated = h.network.isolated_subnet(&h.clients, 9, "us-east-1b").await;
    let first = &h.network.subnet_ids[0];
    let bad = write_properties(&h.properties(json!({"SubnetIds": [first, isolated]})));
    let (code, out, _) = prod_e(&["plan", "--properties", &bad, "--check"]);
    assert_eq!(code, 6, "{out}");
    assert!(
        out.contains(&format!(
            "  ✗ tasks in subnet {isolated} can reach the image registry"
        )),
        "{out}"
    );
    assert!(out.ends_with("1 check(s) failed.\n"), "{out}");
    let (code, json_out, _) =
        prod_e(&["--output", "json", "plan", "--properties", &bad, "--check"]);
    assert_eq!(code, 6);
    let parsed: Value = serde_json::from_str(&json_out).expect("json");
    let failed = parsed["preflight"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| !c["problem"].is_null())
        .count();
    assert_eq!(failed, 1, "{json_out}");
}

#[tokio::test]
async fn teardown_dry_run_and_declined_delete_nothing() {
    let (h, _stack, props, id) = deployed("cli-keep").await;
    let (code, out, _) = prod_e(&["teardown", "--physical-id", &id, "--dry-run"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("13 resource(s) to delete, in this order:\n   1. ECS service prod-e-service"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing deleted"), "{out}");
    let (code, _, err) = prod_e(&["teardown", "--physical-id", &id]);
    assert_eq!(code, 4);
    assert!(
        err.contains("refusing to delete without a terminal to confirm on: pass --yes"),
        "{err}"
    );
    let (code, out) = prod_e_on_terminal(&["teardown", "--physical-id", &id], ASKS, "no\n");
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("Type yes to delete these 13 resources:"),
        "{out}"
    );
    assert!(out.contains("nothing deleted"), "{out}");
    inspect::assert_one_set(&h, &id, &props).await;
}

#[tokio::test]
async fn teardown_with_a_typed_yes_deletes_everything() {
    let (h, _stack, props, id) = deployed("cli-yes").await;
    let (code, out) = prod_e_on_terminal(&["teardown", "--physical-id", &id], ASKS, "yes\n");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("done: deleting ECS service (prod-e-service)"),
        "{out}"
    );
    assert!(out.contains("deleted 13 resource(s) in"), "{out}");
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test]
async fn teardown_with_yes_flag_deletes_everything_found_by_tags() {
    let (h, _stack, props, id) = deployed("cli-flag").await;
    let (code, out, err) = prod_e(&["teardown", "--physical-id", &id, "--yes"]);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("done: ")).collect();
    assert_eq!(lines.len(), 13, "{out}");
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test]
async fn orphans_lists_deployments_whose_stack_is_gone() {
    let h = Harness::new().await;
    let stacks = h.clients.cloudformation.clone();
    let template = r#"{"Resources":{"H":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}"#;
    let mut ids = Vec::new();
    for (name, priority) in [("orphan-gone", 10), ("orphan-live", 20)] {
        let made = stacks
            .create_stack()
            .stack_name(format!("{name}-{}", unique()))
            .template_body(template)
            .send()
            .await
            .expect("stack");
        let stack = crate::support::Stack {
            id: made.stack_id().expect("id").to_string(),
            logical_id: "ProdEService".into(),
        };
        let props = h.properties(
            json!({"ClusterName": format!("{name}-{}", unique()), "RulePriority": priority}),
        );
        let out = h.invoke(stack.create(&props)).await;
        out.assert_success();
        ids.push((stack.id.clone(), out.physical_id()));
    }
    stacks
        .delete_stack()
        .stack_name(&ids[0].0)
        .send()
        .await
        .expect("delete stack");
    let (code, out, err) = prod_e(&["orphans"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "{} (stack {}, DELETE_COMPLETE",
            ids[0].1, ids[0].0
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  remove with: prod-e teardown --physical-id {}",
            ids[0].1
        )),
        "{out}"
    );
    assert!(out.contains("  ECS cluster orphan-gone-"), "{out}");
    assert!(
        !out.contains(&ids[1].1),
        "a live stack's deployment was listed:\n{out}"
    );
}

/// Without credentials, or without a region, every read fails the same way: one line says
/// what to set (the SDK's own message was 4,630 characters, once per read).
#[test]
fn without_credentials_or_a_region_the_cli_says_what_to_set_in_one_line() {
    let home = std::env::temp_dir().join(format!("prod-e-no-aws-{}", unique()));
    let run = |extra: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_prod-e"))
            .arg("orphans")
            .env_clear()
            .env("HOME", &home)
            // Nothing but loopback: no instance metadata, an endpoint nobody listens on.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run prod-e");
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.code(), stderr)
    };
    let (code, stderr) = run(&[("AWS_REGION", "us-east-1")]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "prod-e: no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for an emulator)\n"
    );
    let keys = [("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")];
    let (code, stderr) = run(&keys);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "prod-e: no AWS region: set AWS_REGION, or a region in AWS_PROFILE's profile\n"
    );
}

/// What people change by hand in the console: a revision with another image, size,
/// environment, command and entry point; the service's subnets, public IP and groups; a tag.
/// `status --properties` names each.
#[tokio::test]
async fn status_reports_drift_in_what_the_console_changes() {
    use aws_sdk_ecs::types::{AssignPublicIp, AwsVpcConfiguration, NetworkConfiguration, Tag};
    let (h, _stack, props, id) = deployed("console").await;
    let ecs = &h.clients.ecs;
    let (cluster, service) = (
        props["ClusterName"].as_str().expect("cluster"),
        "prod-e-service",
    );
    let found = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await;
    let running = found.expect("service").services()[0].clone();
    let revision = running.task_definition().expect("revision");
    let td = ecs
        .describe_task_definition()
        .task_definition(revision)
        .send()
        .await;
    let td = td
        .expect("revision")
        .task_definition()
        .cloned()
        .expect("definition");
    let mut container = td.container_definitions()[0].clone();
    container.image = Some("nginx:1.27".into());
    container.command = Some(vec!["nginx".into()]);
    container.entry_point = Some(vec!["/docker-entrypoint.sh".into()]);
    container.environment = Some(vec![]);
    let edited = ecs
        .register_task_definition()
        .family(td.family().expect("family"))
        .set_requires_compatibilities(Some(td.requires_compatibilities().to_vec()))
        .set_network_mode(td.network_mode().cloned())
        .cpu("512")
        .memory("1024")
        .set_execution_role_arn(td.execution_role_arn().map(str::to_string))
        .set_task_role_arn(td.task_role_arn().map(str::to_string))
        .container_definitions(container)
        .send()
        .await
        .expect("a revision made by hand");
    let arn = edited
        .task_definition()
        .and_then(|t| t.task_definition_arn());
    let vpc = AwsVpcConfiguration::builder()
        .subnets(&h.network.subnet_ids[0])
        .security_groups(&h.network.alb_security_group_id)
        .assign_public_ip(AssignPublicIp::Enabled)
        .build()
        .expect("network");
    let network = NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build();
    let update = ecs.update_service().cluster(cluster).service(service);
    let update = update
        .task_definition(arn.expect("arn"))
        .network_configuration(network);
    update.send().await.expect("the service changed by hand");
    let tag = Tag::builder().key("owner").value("someone").build();
    let tagged = ecs
        .tag_resource()
        .resource_arn(running.service_arn().expect("arn"));
    tagged.tags(tag).send().await.expect("a tag added by hand");
    let (code, out, err) = prod_e(&[
        "status",
        "--physical-id",
        &id,
        "--properties",
        &write_properties(&props),
    ]);
    assert_eq!(code, 5, "{out}{err}");
    let subnets = {
        let mut all = h.network.subnet_ids.clone();
        all.sort();
        all.join(",")
    };
    for line in [
        "! Image is nginx:1.27, the properties say public.ecr.aws/docker/library/node:16".into(),
        "! Cpu is 512, the properties say 256".into(),
        "! Memory is 1024, the properties say 512".into(),
        "! Command is nginx, the properties say node -e".into(),
        "! EntryPoint is /docker-entrypoint.sh, the properties say none\n".into(),
        "! Environment is none, the properties say PORT=80".into(),
        format!(
            "! SubnetIds is {}, the properties say {subnets}",
            h.network.subnet_ids[0]
        ),
        "! AssignPublicIp is true, the properties say false".into(),
        format!(
            "! SecurityGroupIds is {}, the properties say none\n",
            h.network.alb_security_group_id
        ),
        "! Tags is owner=someone, the properties say none\n".into(),
    ] {
        assert!(out.contains(&line), "{line:?} not in:\n{out}");
    }
}
