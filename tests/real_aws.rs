//! The provider under the AWS rules layer (`support::aws_rules`): one test for each way the
//! provider failed on a real account although moto accepted it (issue #11), each failing on
//! the code before the fix, plus the rules' consequences for Delete, client tokens and
//! DRAINING names.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::inspect;
use crate::support::patience::{releasing, PATIENCE};
use crate::support::proxy::{Call, Proxy};
use crate::support::{moto, unique, Harness, Stack};

/// A drain held open until the test ends it (`draining_for(ZERO)`), however slow the machine.
const HELD: Duration = Duration::from_secs(600);

/// The actions of `calls`, in order (for assertion messages).
fn actions(calls: &[Call]) -> Vec<String> {
    calls.iter().map(|c| c.action.clone()).collect()
}

fn position(calls: &[Call], action: &str, body_has: &str) -> Option<usize> {
    calls
        .iter()
        .position(|c| c.action == action && !c.faulted && c.body.contains(body_has))
}

/// Failure 1 of the issue: ECS refuses a target group no listener forwards to: the rule exists
/// (matching no request) before CreateService, and matches the path only after the steady wait.
#[tokio::test]
async fn the_target_group_joins_the_listener_before_the_service_and_gets_traffic_once_steady() {
    let h = Harness::new().await;
    let stack = Stack::new("order");
    let props = h.properties(json!({"ClusterName": format!("order-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let calls = h.proxy.calls();
    let tg = out.data("TargetGroupArn");
    let rule = position(&calls, "CreateRule", "host-header").expect("an unrouted CreateRule");
    let service = position(&calls, "CreateService", "").expect("CreateService");
    let routed = position(&calls, "ModifyRule", "path-pattern").expect("a routing ModifyRule");
    assert!(rule < service && service < routed, "{:?}", actions(&calls));
    let steady_read = calls[service..routed]
        .iter()
        .rposition(|c| c.action == "DescribeServices" && !c.faulted)
        .map(|i| service + i)
        .expect("a steady-state read between CreateService and the routing ModifyRule");
    let d = stack.deployment(&props);
    let found = prod_e::resources::listener_rule::find(&h.clients.elb, &h.network.listener_arn, &d)
        .await
        .expect("rules")
        .expect("our rule");
    let routing = prod_e::spec::routing::Routing {
        path_patterns: vec!["/*".into()],
        ..Default::default()
    };
    assert!(found.routes_only(&routing, &tg), "{found:?}");
    println!("FIGURE order: rule (unrouted) at call {rule}, CreateService at {service}, last steady read {steady_read}, routed at {routed}");
}

/// Failure 2 of the issue: The default image's command is the Node REPL, which exits at once: with
/// no Command, the container runs the built-in server, which answers 200 on the health-check path.
#[tokio::test]
async fn the_default_container_runs_a_server_that_answers_the_health_check() {
    let h = Harness::new().await;
    let other = moto::free_port();
    for (extra, path) in [
        (json!({}), "/"),
        (
            json!({"ContainerPort": other, "HealthCheckPath": "/health"}),
            "/health",
        ),
        // The former default image, named explicitly (as older sample events did).
        (json!({"Image": "node:16"}), "/"),
    ] {
        let stack = Stack::new("default-app");
        let mut props = h.properties(extra);
        props["ClusterName"] = json!(format!("app-{}", unique()));
        let out = h.invoke(stack.create(&props)).await;
        out.assert_success();
        let def = inspect::task_definition(&h.clients, &out.data("TaskDefinitionArn")).await;
        assert_eq!(def.command[..2], ["node", "-e"]);
        let port = def.environment.get("PORT").expect("PORT").clone();
        assert_eq!(port, def.port.to_string());
        assert_eq!(serve(&def.command, &port, path).await, 200, "port {port}");
        h.invoke(stack.delete(&out.physical_id(), &props))
            .await
            .assert_success();
    }
}

/// Runs `command` with this machine's Node and `PORT`, then GETs `path` (status code) from the
/// server once it listens (a server that exited — e.g. port 80 taken or not allowed — fails,
/// and so does one that never answers within [`PATIENCE`]).
async fn serve(command: &[String], port: &str, path: &str) -> u16 {
    let mut child = std::process::Command::new(&command[0])
        .args(&command[1..])
        .env("PORT", port)
        .spawn()
        .expect("node (Debian's nodejs; make test installs it)");
    let url = format!("http://127.0.0.1:{port}{path}");
    let http = prod_e::aws::http_client_builder()
        .no_proxy()
        .build()
        .expect("client");
    let deadline = Instant::now() + PATIENCE;
    let answered = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Some(exited) = child.try_wait().expect("node process") {
            break Err(format!("the server exited ({exited}) on port {port}"));
        }
        if let Ok(resp) = http.get(&url).send().await {
            break Ok(resp.status().as_u16());
        }
        if Instant::now() > deadline {
            break Err(format!(
                "the server never answered on port {port} in {PATIENCE:?}"
            ));
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    answered.unwrap_or_else(|e| panic!("{e}"))
}

/// Failure 3 of the issue: An image whose tasks crash: the circuit breaker rolls back to the
/// previous revision, which completes. The Update is FAILED with the service's events, and the
/// previous revision is still registered for CloudFormation's rollback Update.
#[tokio::test]
async fn an_update_rolled_back_by_the_circuit_breaker_is_failed() {
    let h = Harness::new().await;
    let stack = Stack::new("crash");
    let props = h.properties(json!({
        "ClusterName": format!("crash-{}", unique()),
        "Image": "nginx:1.27",
    }));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let (id, before) = (created.physical_id(), created.data("TaskDefinitionArn"));
    h.proxy.rollouts.crash_image("example/crashes:1");
    let mut new = props.clone();
    new["Image"] = json!("example/crashes:1");
    let out = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(out.status(), "FAILED", "{}", out.response());
    assert_eq!(out.physical_id(), id);
    assert!(
        out.reason().contains("rolling back to deployment"),
        "{}",
        out.reason()
    );
    assert_eq!(
        inspect::task_definition(&h.clients, &before).await.status,
        "ACTIVE"
    );
    let rollback = h.invoke(stack.update(&id, &new, &props)).await;
    rollback.assert_success();
    assert_eq!(
        inspect::task_definition(&h.clients, &before).await.status,
        "INACTIVE",
        "retired once the rollback Update is steady"
    );
}

/// Failure 4 of the issue: A new account has no ECS service-linked role and the function may not
/// rely on CreateCluster to make it: prod-e makes it (once per account).
#[tokio::test]
async fn a_fresh_account_gets_the_ecs_service_linked_role_once() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    for (name, priority) in [("slr-a", 100), ("slr-b", 101)] {
        let stack = Stack::new(name);
        let props = h.properties(json!({
            "ClusterName": format!("{name}-{}", unique()),
            "RulePriority": priority,
        }));
        h.invoke(stack.create(&props)).await.assert_success();
    }
    let made: Vec<Call> = proxy
        .calls()
        .into_iter()
        .filter(|c| c.action == "CreateServiceLinkedRole")
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].body.contains("AWSServiceName=ecs.amazonaws.com"));
}

/// Failure 5 of the issue: Lambda keeps a minimum of the account's concurrency unreserved (10 on
/// new accounts whose quota may be 10): the template reserves none unless its parameter asks.
/// IAM refuses a role whose inline policies together exceed 10,240 characters, and a managed
/// policy over 6,144 (whitespace not counted; IAM User Guide, "IAM and AWS STS quotas"): the
/// deploy would fail where moto accepts it. Measured with the default parameters and a
/// realistic network; the figures are in the message.
#[test]
fn the_function_policies_fit_iams_size_quotas() {
    use crate::support::template::{policies, policy_size, Parameters};
    let listener = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:listener/app/\
                    production-load-balancer/0123456789abcdef/0123456789abcdef";
    let parameters = Parameters {
        vpc_id: Some("vpc-0123456789abcdef0"),
        listener_arn: Some(listener),
        load_balancer_security_group_id: Some("sg-0123456789abcdef0"),
        task_role_allowed_policy_arns: Some(&[]),
        role_tag_keys: None,
        name_prefix: None,
    };
    let sizes: Vec<(String, usize)> = policies(&parameters)
        .iter()
        .map(|(name, statements)| (name.clone(), policy_size(statements)))
        .collect();
    let inline: usize = sizes
        .iter()
        .filter(|(n, _)| n == "inline")
        .map(|(_, s)| s)
        .sum();
    assert!(inline <= 10_240, "inline policies: {sizes:?}");
    assert!(
        sizes.iter().all(|(n, s)| n == "inline" || *s <= 6_144),
        "{sizes:?}"
    );
    println!("FIGURE function policies (characters): {sizes:?}");
}

#[test]
fn the_template_reserves_no_concurrency_unless_asked() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bootstrap-template.yaml");
    let text = std::fs::read_to_string(path).expect("template");
    let template: serde_norway::Value = serde_norway::from_str(&text).expect("yaml");
    let parameter = &template["Parameters"]["ReservedConcurrency"];
    assert_eq!(parameter["Default"].as_str(), Some(""));
    let setting =
        &template["Resources"]["ProvisionerFunction"]["Properties"]["ReservedConcurrentExecutions"];
    let serde_norway::Value::Tagged(choice) = setting else {
        panic!("ReservedConcurrentExecutions must depend on the parameter: {setting:?}");
    };
    assert_eq!(choice.tag, "If");
    assert_eq!(choice.value[0].as_str(), Some("HasReservedConcurrency"));
    let tagged = |v: &serde_norway::Value| match v {
        serde_norway::Value::Tagged(t) => (t.tag.to_string().replace('!', ""), t.value.clone()),
        other => panic!("not an intrinsic: {other:?}"),
    };
    let (tag, value) = tagged(&choice.value[1]);
    assert_eq!(
        (tag.as_str(), value.as_str()),
        ("Ref", Some("ReservedConcurrency"))
    );
    let (tag, value) = tagged(&choice.value[2]);
    assert_eq!(
        (tag.as_str(), value.as_str()),
        ("Ref", Some("AWS::NoValue"))
    );
    // Set only when the parameter is not empty.
    let (tag, not) = tagged(&template["Conditions"]["HasReservedConcurrency"]);
    assert_eq!(tag, "Not");
    let (tag, equals) = tagged(&not[0]);
    assert_eq!(tag, "Equals");
    assert_eq!(equals[1].as_str(), Some(""));
}

/// A Delete of something that is not a prod-e deployment never blocks a stack's deletion,
/// whatever the event's resource type; any `Custom::` name is served.
#[tokio::test]
async fn a_delete_of_a_foreign_id_succeeds_and_any_custom_type_is_served() {
    let h = Harness::new().await;
    let stack = Stack::new("types");
    let props = h.properties(json!({}));
    let mut odd = stack.delete("some-other-resource-id", &props);
    odd["ResourceType"] = json!("AWS::S3::Bucket");
    let out = h.invoke(odd).await;
    out.assert_success();
    assert_eq!(out.physical_id(), "some-other-resource-id");
    let mut custom = stack.create(&props);
    custom["ResourceType"] = json!("Custom::MyWebService");
    let created = h.invoke(custom).await;
    created.assert_success();
    h.invoke(stack.delete(&created.physical_id(), &props))
        .await
        .assert_success();
    crate::emulator::assert_nothing_left(&h, &created.physical_id(), &props).await;
}

/// The same set created again after a Delete gets a new ECS client token (a reused one is
/// "not idempotent" on AWS), and a name still held by a DRAINING service is waited for.
#[tokio::test]
async fn a_set_created_again_gets_a_new_client_token_and_waits_for_its_draining_name() {
    let h = Harness::new().await;
    let stack = Stack::new("again");
    let props = h.properties(json!({
        "ClusterName": format!("again-{}", unique()),
        "Image": "nginx:1.27",
    }));
    let first = h.invoke(stack.create(&props)).await;
    first.assert_success();
    let (cluster, name) = (first.data("ClusterName"), first.data("ServiceName"));
    h.proxy.rules.draining_for(HELD);
    someone_deletes(&h, &cluster, &name).await;
    // ECS lets the name go once the Create was refused it and has read the DRAINING service
    // twice since, however fast or slow the machine.
    let from = h.proxy.calls().len();
    let again = releasing(
        h.invoke(stack.create(&props)),
        "the Create to be refused the DRAINING name and to read the service twice",
        || read_twice_after_refusal(&h.proxy.calls()[from..]),
        || h.proxy.rules.draining_for(Duration::ZERO),
    )
    .await;
    again.assert_success();
    let calls = h.proxy.calls();
    let deleted = position(&calls, "DeleteService", "").expect("DeleteService");
    // Create tries CreateService first; ECS refuses the DRAINING name, which is then waited
    // for before the CreateService that makes the service.
    let created = calls
        .iter()
        .rposition(|c| c.action == "CreateService")
        .expect("created");
    let polls = calls[deleted..created]
        .iter()
        .filter(|c| c.action == "DescribeServices")
        .count();
    assert!(
        polls >= 2,
        "the DRAINING name was not waited for: {polls} read(s)"
    );
    // One token per Create: the second Create's refused first try and its retry share one.
    let mut tokens: Vec<String> = calls
        .iter()
        .filter(|c| c.action == "CreateService" && !c.faulted)
        .filter_map(|c| token_of(&c.body))
        .collect();
    tokens.dedup();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    assert_ne!(tokens[0], tokens[1]);
    assert_eq!(
        inspect::service(&h.clients, &cluster, &name).await.desired,
        1
    );
}

/// Someone scales service `name` to 0 and deletes it, in the account of `h`'s proxy.
async fn someone_deletes(h: &Harness, cluster: &str, name: &str) {
    let ecs = crate::support::clients(&h.proxy.endpoint).await.ecs;
    ecs.update_service()
        .cluster(cluster)
        .service(name)
        .desired_count(0)
        .send()
        .await
        .expect("scale down");
    ecs.delete_service()
        .cluster(cluster)
        .service(name)
        .send()
        .await
        .expect("someone deletes the service");
}

/// Whether `calls`, made while a DRAINING service holds the name (ECS refuses every
/// CreateService of it), read services at least twice after the first (not delayed)
/// CreateService: the name is being waited for.
fn read_twice_after_refusal(calls: &[Call]) -> bool {
    let Some(tried) = position(calls, "CreateService", "") else {
        return false;
    };
    let reads = calls[tried..]
        .iter()
        .filter(|c| c.action == "DescribeServices");
    reads.count() >= 2
}

fn token_of(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    v["clientToken"].as_str().map(str::to_string)
}

/// Every read-after-write delay of the rules layer, twice each, is waited out.
#[tokio::test]
async fn resources_not_yet_visible_after_their_create_are_waited_out() {
    let proxy = Proxy::start(moto::endpoint()).await;
    proxy.rules.fresh_reads(2);
    let h = Harness::through(&proxy).await;
    let stack = Stack::new("fresh");
    let props = h.properties(json!({"ClusterName": format!("fresh-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let delayed: Vec<String> = proxy
        .calls()
        .iter()
        .filter(|c| c.faulted)
        .map(|c| c.action.clone())
        .collect();
    for action in [
        "AuthorizeSecurityGroupIngress",
        "CreateService",
        "DescribeServices",
        "RegisterTaskDefinition",
    ] {
        assert!(
            delayed.iter().any(|a| a == action),
            "{action} not delayed: {delayed:?}"
        );
    }
    inspect::assert_one_set(&h, &out.physical_id(), &props).await;
}

/// `Command` and `EntryPoint` reach the container definition as given, and change in place.
#[tokio::test]
async fn command_and_entry_point_reach_the_container_and_change_in_place() {
    let h = Harness::new().await;
    let stack = Stack::new("command");
    let props = h.properties(json!({
        "ClusterName": format!("command-{}", unique()),
        "Image": "nginx:1.27",
        "Command": ["nginx", "-g", "daemon off;"],
        "EntryPoint": ["/docker-entrypoint.sh"],
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let def = inspect::task_definition(&h.clients, &out.data("TaskDefinitionArn")).await;
    assert_eq!(def.command, ["nginx", "-g", "daemon off;"]);
    assert_eq!(def.entry_point, ["/docker-entrypoint.sh"]);
    let mut new = props.clone();
    new["Command"] = json!(["nginx-debug", "-g", "daemon off;"]);
    let updated = h
        .invoke(stack.update(&out.physical_id(), &props, &new))
        .await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), out.physical_id());
    let def = inspect::task_definition(&h.clients, &updated.data("TaskDefinitionArn")).await;
    assert_eq!(def.command[0], "nginx-debug");
}
