//! Rule 27c: a `PAUSE` lifecycle hook stops a blue/green deployment after its test traffic
//! shift, in progress with the hook `AWAITING_ACTION`, until ContinueServiceDeployment: CONTINUE
//! goes on (production traffic moves), ROLLBACK rolls it back (it stays), and a hook that is
//! not awaiting action is refused.

use aws_sdk_ecs::types::{
    DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookAction,
    DeploymentLifecycleHookTargetType, DeploymentStrategy, ServiceDeploymentStatus,
};

use super::strategy::{blue_green, deploy, weights, BlueGreen};
use super::{error, refusal, Account};

/// The deployment of service `web` in `cluster` waiting at a pause hook: (its ARN, the hook).
async fn paused(a: &Account, cluster: &str) -> Option<(String, String)> {
    let ecs = &a.aws.ecs;
    let listed = ecs
        .list_service_deployments()
        .cluster(cluster)
        .service("web");
    let listed = listed
        .status(ServiceDeploymentStatus::InProgress)
        .send()
        .await;
    let arns: Vec<String> = listed
        .expect("listed")
        .service_deployments()
        .iter()
        .filter_map(|d| d.service_deployment_arn().map(String::from))
        .collect();
    let described = ecs
        .describe_service_deployments()
        .set_service_deployment_arns(Some(arns));
    let described = described.send().await.expect("described");
    let d = described.service_deployments().first()?;
    assert_eq!(
        d.lifecycle_stage().map(|s| s.as_str()),
        Some("POST_TEST_TRAFFIC_SHIFT")
    );
    let hook = d.lifecycle_hook_details().first()?;
    assert_eq!(
        hook.target_type(),
        Some(&DeploymentLifecycleHookTargetType::Pause)
    );
    assert_eq!(hook.status().map(|s| s.as_str()), Some("AWAITING_ACTION"));
    Some((
        d.service_deployment_arn()?.to_string(),
        hook.hook_id()?.to_string(),
    ))
}

#[tokio::test]
async fn a_pause_hook_waits_for_continue_service_deployment() {
    let a = Account::with_ecs_role().await;
    let BlueGreen {
        cluster,
        blue,
        green,
        production,
        ..
    } = blue_green(&a).await;
    let pause = DeploymentLifecycleHook::builder()
        .target_type(DeploymentLifecycleHookTargetType::Pause)
        .lifecycle_stages("POST_TEST_TRAFFIC_SHIFT".into())
        .build();
    let deployments = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .lifecycle_hooks(pause)
        .build();
    let deploy = |image: &'static str| deploy(&a, &cluster, &deployments, image);
    let answer = |arn: String, hook: String, action| {
        let continued = a.aws.ecs.continue_service_deployment();
        let continued = continued.service_deployment_arn(arn).hook_id(hook);
        continued.action(action).send()
    };
    let state = || async {
        let found = super::described(&a.aws, &cluster, "web")
            .await
            .expect("service");
        let state = found.deployments()[0]
            .rollout_state()
            .map(|s| s.as_str().to_string());
        state.unwrap_or_default()
    };

    deploy("nginx:1.28").await;
    assert_eq!(state().await, "IN_PROGRESS");
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [1, 0]);
    let (arn, hook) = paused(&a, &cluster).await.expect("paused");
    let wrong = answer(
        arn.clone(),
        "ecs-pause-0".into(),
        DeploymentLifecycleHookAction::Continue,
    );
    let message = "The lifecycle hook ecs-pause-0 is not awaiting action.";
    assert_eq!(
        refusal(wrong.await),
        error("InvalidParameterException", message)
    );
    answer(
        arn.clone(),
        hook.clone(),
        DeploymentLifecycleHookAction::Continue,
    )
    .await
    .expect("continued");
    assert_eq!(state().await, "COMPLETED");
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [0, 1]);
    let again = answer(arn, hook.clone(), DeploymentLifecycleHookAction::Continue);
    let message = format!("The lifecycle hook {hook} is not awaiting action.");
    assert_eq!(
        refusal(again.await),
        error("InvalidParameterException", &message)
    );

    deploy("nginx:1.29").await;
    let (arn, hook) = paused(&a, &cluster).await.expect("paused");
    answer(arn, hook, DeploymentLifecycleHookAction::Rollback)
        .await
        .expect("rolled back");
    assert_eq!(state().await, "FAILED");
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [0, 1]);
}
