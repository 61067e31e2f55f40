//! The function's IAM policy in `bootstrap-template.yaml` is least privilege, judged against
//! what the code really calls in one whole life of a stack resource: every call (recorded by
//! the proxy, with the resource it acts on) is allowed by a statement for that resource whose
//! conditions hold, and every action of every statement is used (`support::iam`). `make test`
//! also judges every call of the whole suite (`examples/policy.rs`).

use std::time::Duration;

use serde_json::json;

use crate::support::patience::{releasing, SHORT_LAMBDA_TIME};
use crate::support::proxy::{Fault, Proxy};
use crate::support::rollout::Rollout;
use crate::support::{iam, moto, ownership, unique, Harness, Stack, LAMBDA_TIME};

/// The stack's one `TaskRoleAllowedPolicyArns`.
const ALLOWED_POLICY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";

#[tokio::test]
async fn the_function_policy_allows_exactly_what_the_code_calls() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let mut h = Harness::through(&proxy).await;
    // RoleTagKeys "a" and "b": the Update of Tags from {"a": "1"} to {"b": "2"} retags the roles
    // too.
    h.provider.clients.roles.tag_keys = vec!["a".into(), "b".into()];
    proxy.probe(ownership::probe(h.clients.clone(), proxy.rules.clone()));
    // A whole life: a Create whose rollout outlasts its invocation (so that it goes on in
    // another), an Update of every in-place group, a failed deployment alarm and smoke check
    // and their rollbacks, a replacement cut short and rolled back, a
    // replacement rolled back after it succeeded, a replacement, CloudFormation's cleanup
    // Delete of the replaced set, the stack's Delete.
    let stack = Stack::new("policy");
    let props = h.properties(
        json!({"ClusterName": format!("policy-{}", unique()), "Tags": {"a": "1"},
            "CapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1}],
            "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 3, "CpuTarget": 60},
            "ScheduledActions": [{"ScheduledActionName": "night",
                                  "Schedule": "cron(0 22 * * ? *)", "MaxCapacity": 1}],
            "Alarms": true, "LoadBalancerEgress": "managed"}),
    );
    // The rollout completes once the Create has handed over to another invocation.
    proxy.rollouts.set_for_new(Rollout::Stuck);
    let queued = proxy.invocations().len();
    let (created, invocations) = releasing(
        h.invoke_to_the_end(stack.create(&props), SHORT_LAMBDA_TIME),
        "the Create to hand over to another invocation",
        || proxy.invocations().len() > queued,
        || proxy.rollouts.set_for_all(Rollout::Done),
    )
    .await;
    created.assert_success();
    assert!(
        invocations >= 2,
        "the Create did not continue in another invocation"
    );
    let id = created.physical_id();
    // A task role an older prod-e named after its set (found, after the replacement that takes
    // it over, by listing), made before permissions boundaries like the execution role: the
    // Update gives each its boundary before granting it more.
    let d = stack.deployment(&props);
    crate::task_role::as_an_older_version_named_it(&h, &d).await;
    for role in [d.legacy_task_role(), d.execution_role()] {
        h.clients
            .iam
            .delete_role_permissions_boundary()
            .role_name(role)
            .send()
            .await
            .expect("boundary removed");
    }
    let other_sg = h.network.another_security_group(&h.clients).await;
    let mut new = props.clone();
    for (k, v) in [
        ("Image", json!("nginx")),
        ("DesiredCount", json!(2)),
        ("HealthCheckPath", json!("/h")),
        ("RulePriority", json!(5)),
        ("PathPattern", json!("/x/*")),
        ("LogRetentionDays", json!(7)),
        ("Tags", json!({"b": "2"})),
        ("LoadBalancerSecurityGroupId", json!(other_sg)),
        ("AssignPublicIp", json!(true)),
        ("EnableExecuteCommand", json!(true)),
        (
            "HealthCheck",
            json!({"IntervalSeconds": 10, "HealthyThresholdCount": 2}),
        ),
        ("DeregistrationDelaySeconds", json!(10)),
        ("HealthCheckGracePeriodSeconds", json!(30)),
        ("CpuArchitecture", json!("ARM64")),
        (
            "CapacityProviderStrategy",
            json!([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]),
        ),
        (
            "Secrets",
            json!({"TOKEN": "arn:aws:ssm:us-east-1:123456789012:parameter/app/token"}),
        ),
        ("TaskRolePolicyArns", json!([ALLOWED_POLICY])),
        ("ContainerInsights", json!("enhanced")),
        ("DeploymentAlarms", json!(["api-5xx"])),
        ("DeploymentStrategy", json!("BLUE_GREEN")),
        ("MigrationCommand", json!(["./migrate"])),
        ("TestHostHeaders", json!(["test.example.com"])),
        ("SmokeChecks", json!([{"Path": "/x/health"}])),
        ("MaximumPercent", json!(150)),
        (
            "AutoScaling",
            json!({"MinCapacity": 2, "MaxCapacity": 4, "MemoryTarget": 70}),
        ),
        ("ScheduledActions", json!([])),
        (
            "Egress",
            json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]),
        ),
        (
            "TaskRolePolicy",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
        ),
    ] {
        new[k] = v;
    }
    // prod-e may change the outbound rules of the template's load balancer group only: with
    // another group the Update stops managing it, and removes the rule it made.
    new.as_object_mut()
        .expect("object")
        .remove("LoadBalancerEgress");
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    // A deployment a deployment alarm fails (its alarms are read), then the rollback Update.
    proxy.rollouts.set_for_all(Rollout::Alarm("api-5xx".into()));
    let mut alarmed = new.clone();
    alarmed["Image"] = json!("nginx:slow");
    let failed = h.invoke(stack.update(&id, &new, &alarmed)).await;
    assert_eq!(failed.status(), "FAILED");
    proxy.rollouts.set_for_all(Rollout::Done);
    h.invoke(stack.update(&id, &alarmed, &new))
        .await
        .assert_success();
    // A smoke check the new image fails (its answer read from the task's output), then the
    // rollback Update, whose paused deployment goes on unchecked.
    proxy.rules.smoke_answers("nginx:bad", "/x/health", "503");
    let mut bad = new.clone();
    bad["Image"] = json!("nginx:bad");
    let failed = h.invoke(stack.update(&id, &new, &bad)).await;
    assert!(
        failed.reason().contains("answered 503"),
        "{}",
        failed.reason()
    );
    h.invoke(stack.update(&id, &bad, &new))
        .await
        .assert_success();
    // An operator added an inline policy to our role: Delete must remove it first.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    h.clients
        .iam
        .put_role_policy()
        .role_name(d.legacy_task_role())
        .policy_name("extra")
        .policy_document(doc)
        .send()
        .await
        .expect("inline policy");
    // A replacement cut short half-way, then CloudFormation's rollback Update.
    let mut broken = new.clone();
    broken["ContainerName"] = json!("web");
    proxy.fail_first("CreateService", 1, Fault::Hang);
    let failed = h
        .invoke_with_time(stack.update(&id, &new, &broken), Duration::from_secs(8))
        .await;
    assert_eq!(failed.status(), "FAILED");
    proxy.calm();
    h.invoke(stack.update(&id, &broken, &new))
        .await
        .assert_success();
    let mut replaced = new.clone();
    replaced["ContainerPort"] = json!(8080);
    let out = h.invoke(stack.update(&id, &new, &replaced)).await;
    out.assert_success();
    let new_id = out.physical_id();
    // Another resource of the stack fails: CloudFormation rolls the replacement back to the
    // original set (confirmed by the stack's events) and removes the new one in its cleanup;
    // then the same replacement again, for good.
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&new_id),
    );
    let back = stack.update(&new_id, &replaced, &new);
    h.invoke_directly(back, LAMBDA_TIME).await.assert_success();
    let cleanup = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS";
    stack.show(cleanup, "UPDATE_COMPLETE", Some(&id));
    let removed = stack.delete(&new_id, &replaced);
    h.invoke_directly(removed, LAMBDA_TIME)
        .await
        .assert_success();
    let out = h.invoke(stack.update(&id, &new, &replaced)).await;
    assert_eq!(out.assert_success().physical_id(), new_id);
    // An Update that hands over while its migration runs: the Delete stops the task.
    proxy.rules.one_offs_run_for(u32::MAX);
    let mut left_running = replaced.clone();
    left_running["Image"] = json!("nginx:3");
    let migrating = stack.update(&new_id, &replaced, &left_running);
    let handed_over = h.invoke_with_time(migrating, SHORT_LAMBDA_TIME).await;
    assert!(handed_over.response.is_none(), "{:?}", handed_over.response);
    h.invoke(stack.delete(&id, &new)).await.assert_success();
    crate::emulator::assert_nothing_left(&h, &id, &new).await;
    h.invoke(stack.delete(&new_id, &replaced))
        .await
        .assert_success();
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;

    let statements = iam::statements(&iam::Parameters {
        vpc_id: Some(&h.network.vpc_id),
        listener_arn: Some(&h.network.listener_arn),
        load_balancer_security_group_id: Some(&h.network.alb_security_group_id),
        task_role_allowed_policy_arns: Some(&[ALLOWED_POLICY]),
        role_tag_keys: Some(&["a", "b"]),
        name_prefix: None,
    });
    let calls = proxy.calls();
    let probed = calls.iter().filter(|c| c.probed.owner.is_some()).count();
    assert!(
        probed >= 20,
        "only {probed} calls on resources seen carrying the ownership tag"
    );
    let verdict = iam::judge(&statements, &calls);
    assert!(
        verdict.denied.is_empty(),
        "calls the policy does not allow:\n{}",
        verdict.denied.into_iter().collect::<Vec<_>>().join("\n")
    );
    assert!(
        verdict.unused.is_empty(),
        "permissions no call used:\n{}",
        verdict.unused.join("\n")
    );
}
