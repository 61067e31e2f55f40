//! `prod-e deploy` (issue #27): UpdateStack with the stack's template and every parameter as
//! it was but the image, played by the test world's CloudFormation (the Update it sends, the
//! rollback on FAILED); the CLI follows the stack to its end and exits with its outcome.

use serde_json::{json, Value};

use crate::support::aws_rules::Rule;
use crate::support::call::{Call, Fields};
use crate::support::cloudformation::update_stack;
use crate::support::proxy::Proxy;
use crate::support::rollout::{Rollout, Startup};
use crate::support::{clients, moto, unique, Harness, Stack, LAMBDA_TIME};
use prod_e::aws::Clients;
use prod_e::cli::deploy::Deploy;
use prod_e::cli::{exit, Output};

fn deploy(stack: &Stack, image: &str) -> Deploy {
    Deploy {
        stack: stack.id.clone(),
        image: image.to_string(),
        parameter: "Image".to_string(),
        timeout: std::time::Duration::from_secs(600),
    }
}

/// The operator's clients: through a proxy of their own in `h`'s account (their calls are not
/// the provider's, so the policy judgement leaves them out) that answers for the stacks the
/// test plays.
async fn operator(h: &Harness) -> (Proxy, Clients) {
    let proxy = Proxy::start_in(moto::endpoint(), &h.proxy).await;
    proxy.not_the_provider();
    proxy.rules.set(Rule::CloudFormation, true);
    let c = clients(&proxy.endpoint).await;
    (proxy, c)
}

/// Runs `prod-e deploy` beside CloudFormation's side of the UpdateStack it makes; its outcome,
/// the custom resource's answer, and the UpdateStack it made.
async fn deployed(h: &Harness, stack: &Stack, image: &str) -> (prod_e::cli::Outcome, Value, Call) {
    let (proxy, c) = operator(h).await;
    let cli = deploy(stack, image);
    let invoke = |event: Value| async move {
        let out = h.invoke_directly(event, LAMBDA_TIME).await;
        out.response.unwrap_or_default()
    };
    let (outcome, response) =
        tokio::join!(cli.run(&c, Output::Json), update_stack::play(stack, invoke));
    let calls = proxy.calls();
    let update = calls.into_iter().find(|c| c.action == "UpdateStack");
    (
        outcome.expect("the deploy ran"),
        response,
        update.expect("an UpdateStack"),
    )
}

/// The image the set's service runs now, as moto has it.
async fn running_image(h: &Harness, cluster: &str) -> String {
    let svc = crate::inspect::service(&h.clients, cluster, "prod-e-service").await;
    crate::inspect::task_definition(&h.clients, &svc.task_definition)
        .await
        .image
}

#[tokio::test]
async fn deploy_updates_the_image_parameter_alone_and_reports_a_rollback() {
    let h = Harness::new().await;
    let stack = Stack::new("deploy");
    let cluster = format!("deploy-{}", unique());
    let props =
        h.properties(json!({"ClusterName": cluster, "Image": "nginx:1", "DesiredCount": 1}));
    h.invoke(stack.create(&props)).await.assert_success();
    let parameters = [("Image", "Image"), ("DesiredCount", "DesiredCount")];
    update_stack::deployed(&stack.id, &stack.logical_id, &props, &parameters);
    let (outcome, response, update) = deployed(&h, &stack, "nginx:2").await;
    assert_eq!(outcome.code, exit::OK, "{}", outcome.text);
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(outcome.json["status"], "UPDATE_COMPLETE");
    let form = Fields::of(&update);
    assert_eq!(form.get("UsePreviousTemplate").as_deref(), Some("true"));
    let given: Vec<(String, String)> = (1..=2)
        .map(|i| {
            let field = |k: &str| form.get(&format!("Parameters.member.{i}.{k}"));
            let value =
                field("ParameterValue").or(field("UsePreviousValue").map(|_| "previous".into()));
            (
                field("ParameterKey").unwrap_or_default(),
                value.unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        given.contains(&("Image".into(), "nginx:2".into())),
        "{given:?}"
    );
    assert!(
        given.contains(&("DesiredCount".into(), "previous".into())),
        "{given:?}"
    );
    assert!(
        update.body.contains("CAPABILITY_AUTO_EXPAND"),
        "{}",
        update.body
    );
    assert_eq!(running_image(&h, &cluster).await, "nginx:2");
    // A crashing image: ECS rolls it back, prod-e answers FAILED, CloudFormation rolls back.
    h.proxy.rollouts.crash_image("nginx:crash");
    let (outcome, response, _) = deployed(&h, &stack, "nginx:crash").await;
    assert_eq!(response["Status"], "FAILED");
    assert_eq!(outcome.code, exit::FAILED, "{}", outcome.text);
    assert_eq!(outcome.json["status"], "UPDATE_ROLLBACK_COMPLETE");
    let reason = outcome.json["reason"].as_str().unwrap_or_default();
    assert_eq!(reason, response["Reason"].as_str().unwrap_or_default());
    assert!(outcome.text.contains(reason), "{}", outcome.text);
    assert_eq!(running_image(&h, &cluster).await, "nginx:2");
    // A parameter the stack does not have, and a deploy while the stack is busy: refused
    // before anything is asked.
    let mut unknown = deploy(&stack, "nginx:3");
    unknown.parameter = "ImageUri".into();
    let (_proxy, c) = operator(&h).await;
    let refused = unknown.run(&c, Output::Json).await;
    assert_eq!(refused.expect_err("refused").code, exit::USAGE);
    stack.show("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", None);
    let busy = deploy(&stack, "nginx:3").run(&c, Output::Json).await;
    let message = busy.expect_err("refused").message;
    assert!(
        message.contains("wait for its operation to end"),
        "{message}"
    );
}

#[tokio::test]
async fn deploy_shows_a_native_deployments_stage_and_the_bake_time_left() {
    let h = Harness::new().await;
    let stack = Stack::new("deploy-bake");
    let cluster = format!("deploy-bake-{}", unique());
    // Bakes long enough (20 minutes each, 12 s played) that every stage is read several times
    // however slowly the machine runs.
    let props = h.properties(json!({"ClusterName": cluster, "Image": "nginx:1",
        "DeploymentStrategy": "CANARY", "BakeTimeInMinutes": 20,
        "CanaryConfiguration": {"CanaryBakeTimeInMinutes": 20}}));
    h.invoke(stack.create(&props)).await.assert_success();
    update_stack::deployed(&stack.id, &stack.logical_id, &props, &[("Image", "Image")]);
    // The image's deployment as the timed model plays it: the canary's shift, then the bake.
    h.proxy
        .rollouts
        .set_for_all(Rollout::Timed(Startup::TYPICAL));
    let (outcome, response, _) = deployed(&h, &stack, "nginx:2").await;
    assert_eq!(response["Status"], "SUCCESS");
    assert_eq!(outcome.code, exit::OK, "{}", outcome.text);
    let progress: Vec<&str> = outcome.json["progress"]
        .as_array()
        .map(|p| p.iter().filter_map(|l| l.as_str()).collect())
        .unwrap_or_default();
    // The canary's 10 % (prod-e's default) during its bake, then all of it during the bake,
    // counted down from at most 20 minutes.
    let seen = |stage: &str, traffic: [&str; 2]| {
        progress
            .iter()
            .any(|l| l.contains(&format!("stage {stage}")) && traffic.iter().any(|t| l.contains(t)))
    };
    let canary = ["traffic 90 % / 10 %", "traffic 10 % / 90 %"];
    assert!(seen("PRODUCTION_TRAFFIC_SHIFT", canary), "{progress:#?}");
    let all = ["traffic 100 % / 0 %", "traffic 0 % / 100 %"];
    assert!(seen("BAKE_TIME", all), "{progress:#?}");
    let counted = progress
        .iter()
        .any(|l| (1..=20).any(|m| l.contains(&format!("bake: at most {m} min left"))));
    assert!(counted, "{progress:#?}");
}
