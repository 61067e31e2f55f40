//! Rule 27: ECS's own blue/green deployments on an Application Load Balancer. An advanced
//! configuration needs both groups in its production rule and a role ECS may assume, and is
//! added only to a service with no deployment in progress; a
//! completed deployment of a new revision moves the rule's weights to the other group.
//! Rule 27b: its lifecycle hooks run stage by stage, and one that fails rolls it back.

use aws_sdk_ecs::types::{
    AdvancedConfiguration, DeploymentConfiguration, DeploymentLifecycleHook, DeploymentStrategy,
    LoadBalancer, ServiceDeploymentStatus,
};
use prod_e::aws::Clients;
use serde_json::json;

use super::elbv2::{modify_rule, rule, target_group};
use super::{cluster, error, refusal, service, task_definition, Account};
use crate::support::rollout::Rollout;
use crate::support::{unique, Network};

/// A role `principal` may assume: its ARN.
async fn role(c: &Clients, principal: &str) -> String {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let made = c.iam.create_role().role_name(format!("r-{}", unique()));
    let made = made.assume_role_policy_document(trust).send().await;
    made.expect("role").role().expect("role").arn().to_string()
}

/// The weights rule `arn` gives `groups`.
pub(super) async fn weights(c: &Clients, arn: &str, groups: [&str; 2]) -> [i32; 2] {
    let out = c
        .elb
        .describe_rules()
        .rule_arns(arn)
        .send()
        .await
        .expect("rule");
    let actions = out.rules()[0].actions().to_vec();
    let tuples = actions[0]
        .forward_config()
        .map(|f| f.target_groups().to_vec());
    let tuples = tuples.unwrap_or_default();
    let weight = |g: &str| {
        let t = tuples.iter().find(|t| t.target_group_arn() == Some(g));
        t.and_then(|t| t.weight()).unwrap_or(-1)
    };
    [weight(groups[0]), weight(groups[1])]
}

#[tokio::test]
async fn a_blue_green_load_balancer_needs_both_groups_and_moves_weights_when_deployed() {
    let a = Account::with_ecs_role().await;
    let net = Network::create(&a.moto).await;
    let (blue, green) = (
        target_group(&a.moto, &net.vpc_id).await,
        target_group(&a.moto, &net.vpc_id).await,
    );
    let production = rule(&a.moto, &net.listener_arn, &[(&blue, 1)]).await;
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let plain = LoadBalancer::builder().target_group_arn(&blue);
    let plain = plain.container_name("web").container_port(8080).build();
    service(&a.aws, &cluster, "web", &td)
        .load_balancers(plain)
        .send()
        .await
        .expect("a rolling service");
    let (tasks_role, ecs_role) = (
        role(&a.moto, "ecs-tasks.amazonaws.com").await,
        role(&a.moto, "ecs.amazonaws.com").await,
    );
    let advanced = |role: &str| {
        let config = AdvancedConfiguration::builder()
            .alternate_target_group_arn(&green)
            .production_listener_rule(&production)
            .role_arn(role)
            .build();
        let b = LoadBalancer::builder().target_group_arn(&blue);
        let b = b.container_name("web").container_port(8080);
        b.advanced_configuration(config).build()
    };
    let switch = |role: &str| {
        let update = a.aws.ecs.update_service().cluster(&cluster).service("web");
        update.load_balancers(advanced(role))
    };
    let message = format!(
        "The target group {green} is not associated with the production listener rule {production}."
    );
    let refused = switch(&ecs_role).send().await;
    assert_eq!(
        refusal(refused),
        error("InvalidParameterException", &message)
    );
    modify_rule(&a.moto, &production, &[(&blue, 1), (&green, 0)]).await;
    // Not while a deployment runs.
    let arn = format!("arn:aws:ecs:us-east-1:123456789012:service/{cluster}/web");
    a.proxy.rollouts.set_for(&arn, Rollout::Stuck);
    let busy = "The service has a deployment in progress: its deployment strategy cannot be \
                changed until the deployment completes.";
    let refused = switch(&ecs_role).send().await;
    assert_eq!(refusal(refused), error("InvalidParameterException", busy));
    a.proxy.rollouts.set_for(&arn, Rollout::Done);
    let message = format!("Amazon ECS was unable to assume the role {tasks_role}.");
    let refused = switch(&tasks_role).send().await;
    assert_eq!(
        refusal(refused),
        error("InvalidParameterException", &message)
    );
    switch(&ecs_role).send().await.expect("switched");
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [1, 0]);
    let next = task_definition(&a.aws, "nginx:1.28").await;
    let deploy = a.aws.ecs.update_service().cluster(&cluster).service("web");
    deploy.task_definition(next).send().await.expect("deployed");
    // The weights move once the deployment has completed, as a read of the service shows it.
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [1, 0]);
    // A read that shows the service (rule 8 may leave it out of the first ones).
    for _ in 0..10 {
        if super::described(&a.aws, &cluster, "web").await.is_some() {
            break;
        }
    }
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [0, 1]);
}

/// A blue/green service and what it stands on.
pub(super) struct BlueGreen {
    /// Its cluster (its service is `web`, on `nginx:1.27`).
    pub cluster: String,
    /// The group that serves first.
    pub blue: String,
    /// The alternate group.
    pub green: String,
    /// The production rule: all on blue.
    pub production: String,
    /// The role ECS shifts traffic with.
    pub role: String,
}

/// A blue/green service `web` in a new network and cluster of account `a`.
pub(super) async fn blue_green(a: &Account) -> BlueGreen {
    a.proxy.rules.fresh_reads(0);
    let net = Network::create(&a.moto).await;
    let (blue, green) = (
        target_group(&a.moto, &net.vpc_id).await,
        target_group(&a.moto, &net.vpc_id).await,
    );
    let production = rule(&a.moto, &net.listener_arn, &[(&blue, 1), (&green, 0)]).await;
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1.27").await,
    );
    let role = role(&a.moto, "ecs.amazonaws.com").await;
    let config = AdvancedConfiguration::builder()
        .alternate_target_group_arn(&green)
        .production_listener_rule(&production)
        .role_arn(&role)
        .build();
    let balancer = LoadBalancer::builder().target_group_arn(&blue);
    let balancer = balancer.container_name("web").container_port(8080);
    service(&a.aws, &cluster, "web", &td)
        .load_balancers(balancer.advanced_configuration(config).build())
        .send()
        .await
        .expect("a blue/green service");
    BlueGreen {
        cluster,
        blue,
        green,
        production,
        role,
    }
}

/// Deploys `image` to service `web` in `cluster` with `deployments`; the service then.
pub(super) async fn deploy(
    a: &Account,
    cluster: &str,
    deployments: &DeploymentConfiguration,
    image: &str,
) -> aws_sdk_ecs::types::Service {
    let next = task_definition(&a.aws, image).await;
    let update = a.aws.ecs.update_service().cluster(cluster).service("web");
    let update = update
        .task_definition(next)
        .deployment_configuration(deployments.clone());
    update.send().await.expect("deployed");
    super::described(&a.aws, cluster, "web")
        .await
        .expect("service")
}

#[tokio::test]
async fn lifecycle_hooks_run_stage_by_stage_and_one_that_fails_rolls_back() {
    let a = Account::with_ecs_role().await;
    let BlueGreen {
        cluster,
        blue,
        green,
        production,
        role: ecs_role,
    } = blue_green(&a).await;
    let check = "arn:aws:lambda:us-east-1:123456789012:function:check";
    let hook = DeploymentLifecycleHook::builder()
        .hook_target_arn(check)
        .role_arn(&ecs_role)
        .lifecycle_stages("POST_TEST_TRAFFIC_SHIFT".into())
        .lifecycle_stages("PRE_SCALE_UP".into())
        .build();
    let deployments = DeploymentConfiguration::builder()
        .strategy(DeploymentStrategy::BlueGreen)
        .lifecycle_hooks(hook)
        .build();
    let deploy = |image: &'static str| deploy(&a, &cluster, &deployments, image);
    // The role may not invoke the function: the deployment rolls back at the first stage.
    let failed = deploy("nginx:1.28").await;
    assert_eq!(
        failed.deployments()[0].rollout_state().map(|s| s.as_str()),
        Some("FAILED")
    );
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [1, 0]);
    let invoke = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [check]}]});
    let name = ecs_role.rsplit('/').next().expect("name");
    let put = a
        .moto
        .iam
        .put_role_policy()
        .role_name(name)
        .policy_name("hooks");
    put.policy_document(invoke.to_string())
        .send()
        .await
        .expect("policy");
    deploy("nginx:1.29").await;
    let stages: Vec<String> = a
        .proxy
        .rollouts
        .invocations()
        .iter()
        .map(|i| i.stage.clone())
        .collect();
    assert_eq!(
        stages,
        ["PRE_SCALE_UP", "PRE_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT"]
    );
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [0, 1]);
    // The function answers FAILED for this image: rolled back at its first stage.
    a.proxy.rollouts.fail_hook(check, "nginx:1.30");
    deploy("nginx:1.30").await;
    assert_eq!(weights(&a.moto, &production, [&blue, &green]).await, [0, 1]);
    let listing = || {
        let ecs = &a.aws.ecs;
        ecs.list_service_deployments()
            .cluster(&cluster)
            .service("web")
    };
    // Rolled back: none in progress.
    let running = listing()
        .status(ServiceDeploymentStatus::InProgress)
        .send()
        .await;
    assert!(running.expect("listed").service_deployments().is_empty());
    let listed = listing().send().await.expect("listed");
    let arns = listed
        .service_deployments()
        .iter()
        .filter_map(|d| d.service_deployment_arn());
    let described = a.aws.ecs.describe_service_deployments();
    let described = described.set_service_deployment_arns(Some(arns.map(String::from).collect()));
    let described = described.send().await.expect("described");
    let deployment = &described.service_deployments()[0];
    assert_eq!(
        deployment.lifecycle_stage().map(|s| s.as_str()),
        Some("PRE_SCALE_UP")
    );
    let detail = &deployment.lifecycle_hook_details()[0];
    assert_eq!(
        (detail.target_arn(), detail.status().map(|s| s.as_str())),
        (Some(check), Some("FAILED"))
    );
}
