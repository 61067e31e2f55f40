//! `prod-e status --properties` reads back what people change by hand beyond the revision and
//! the service: a scaling policy's target, a scheduled action, the target group's
//! deregistration delay, the load balancer's outbound rule, an outbound rule of the tasks'
//! group, and the execution role's KMS grant. Each is edited out of band; status names each.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_ec2::types::{IpPermission, IpRange};
use aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute;
use prod_e::naming::Deployment;
use prod_e::resources::{role, security_group_rule};
use serde_json::json;

use crate::cli::{prod_e, write_properties};
use crate::support::{unique, Harness, Stack};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

#[tokio::test]
async fn status_reports_drift_in_scaling_network_and_grants_edited_by_hand() {
    let h = Harness::new().await;
    let stack = Stack::new("drift");
    let https = json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"});
    let props = h.properties(json!({
        "ClusterName": format!("drift-{}", unique()),
        "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 3, "CpuTarget": 60},
        "ScheduledActions": [{"ScheduledActionName": "night",
                              "Schedule": "cron(0 22 * * ? *)", "MaxCapacity": 1}],
        "LoadBalancerEgress": "managed",
        "Egress": [https],
        "Secrets": {"DB_PASSWORD": SECRET},
        "SecretsKmsKeyArn": KEY,
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let d = stack.deployment(&props);
    let cluster = props["ClusterName"].as_str().expect("cluster");
    edit_scaling(&h, &d, &format!("service/{cluster}/prod-e-service")).await;
    edit_delay(&h, &out.data("TargetGroupArn")).await;
    edit_network(&h, &out.data("SecurityGroupId")).await;
    edit_grant(&h, &d.execution_role()).await;
    let path = write_properties(&props);
    let id = out.physical_id();
    let (code, out, err) = prod_e(&["status", "--physical-id", &id, "--properties", &path]);
    assert_eq!(code, 5, "{out}{err}");
    for line in [
        "! AutoScaling is bounds as ScheduledActions set them, ECSServiceAverageCPUUtilization 80 \
         (cooldowns in 300 s, out 60 s), the properties say bounds as ScheduledActions set them, \
         ECSServiceAverageCPUUtilization 60 (cooldowns in 300 s, out 60 s)\n",
        "! ScheduledActions is none, the properties say night cron(0 22 * * ? *) Etc/UTC max 1\n",
        "! DeregistrationDelaySeconds is 120, the properties say 30\n",
        "! LoadBalancerEgress is none, the properties say managed (tcp/80)\n",
        "! Egress is tcp 443-443 to 0.0.0.0/0,tcp 5432-5432 to 10.0.0.0/16, the properties say \
         tcp 443-443 to 0.0.0.0/0\n",
        &format!("! SecretsKmsKeyArn is none, the properties say {KEY}\n"),
    ] {
        assert!(out.contains(line), "{line:?} not in:\n{out}");
    }
}

/// The set's CPU policy retargeted to 80 % (its cooldowns as they were), its night's action
/// deleted.
async fn edit_scaling(h: &Harness, d: &Deployment, resource_id: &str) {
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
        .build()
        .expect("metric");
    let tracking = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(80.0)
        .scale_in_cooldown(300)
        .scale_out_cooldown(60)
        .predefined_metric_specification(metric)
        .build()
        .expect("tracking");
    let scaling = &h.clients.scaling;
    scaling
        .put_scaling_policy()
        .policy_name(d.scaling_policy("cpu"))
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(tracking)
        .send()
        .await
        .expect("a policy changed by hand");
    scaling
        .delete_scheduled_action()
        .scheduled_action_name(d.scheduled_action("night"))
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .send()
        .await
        .expect("a scheduled action deleted by hand");
}

/// The target group's deregistration delay set to 120 s.
async fn edit_delay(h: &Harness, target_group_arn: &str) {
    let delay = TargetGroupAttribute::builder()
        .key("deregistration_delay.timeout_seconds")
        .value("120")
        .build();
    let elb = &h.clients.elb;
    let modify = elb.modify_target_group_attributes();
    let modify = modify.target_group_arn(target_group_arn).attributes(delay);
    modify.send().await.expect("a delay changed by hand");
}

/// The load balancer's outbound rule to the tasks revoked; a way out to PostgreSQL added to
/// the tasks' group.
async fn edit_network(h: &Harness, tasks: &str) {
    let (ec2, alb) = (&h.clients.ec2, &h.network.alb_security_group_id);
    let made = security_group_rule::find_made(ec2, alb, tasks).await;
    let made: Vec<String> = made.expect("the rule").into_iter().map(|m| m.id).collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let revoke = ec2.revoke_security_group_egress().group_id(alb);
    let revoke = revoke.set_security_group_rule_ids(Some(made));
    revoke
        .send()
        .await
        .expect("the load balancer's rule revoked by hand");
    let postgres = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(5432)
        .to_port(5432)
        .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/16").build())
        .build();
    let authorize = ec2.authorize_security_group_egress().group_id(tasks);
    let authorize = authorize.ip_permissions(postgres);
    authorize.send().await.expect("a way out added by hand");
}

/// The execution role's secrets policy without its KMS grant.
async fn edit_grant(h: &Harness, execution_role: &str) {
    let grant = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [SECRET]}]});
    let policy = (role::SECRETS_POLICY_NAME, grant.to_string());
    role::put_policy(&h.clients.iam, execution_role, policy.0, &policy.1)
        .await
        .expect("a grant changed by hand");
}

/// `TaskDefinitionOverrides` and `ServiceOverrides` as deployed are no drift; a member changed
/// by hand (a new revision registered without the container's label, the service moved onto
/// it) is named.
#[tokio::test]
async fn status_compares_the_members_overrides_set() {
    let h = Harness::new().await;
    let stack = Stack::new("drift-ovr");
    let container = json!({"name": "dummy-container", "dockerLabels": {"team": "payments"},
        "ulimits": [{"name": "nofile", "softLimit": 4096, "hardLimit": 8192}]});
    let props = h.properties(json!({
        "ClusterName": format!("drift-ovr-{}", unique()),
        "TaskDefinitionOverrides": {"containerDefinitions": [container]},
        "ServiceOverrides": {"platformVersion": "1.4.0"},
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let path = write_properties(&props);
    let id = out.physical_id();
    let (code, text, err) = prod_e(&["status", "--physical-id", &id, "--properties", &path]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(!text.contains("Overrides is"), "{text}");
    let cluster = out.data("ClusterName");
    let service = h
        .clients
        .ecs
        .update_service()
        .cluster(&cluster)
        .service(out.data("ServiceName"));
    service
        .platform_version("LATEST")
        .send()
        .await
        .expect("edited by hand");
    let (code, text, err) = prod_e(&["status", "--physical-id", &id, "--properties", &path]);
    assert_eq!(code, 5, "{text}{err}");
    let line = "! ServiceOverrides is {\"platformVersion\":\"LATEST\"}, the properties say \
                {\"platformVersion\":\"1.4.0\"}\n";
    assert!(text.contains(line), "{line:?} not in:\n{text}");
}
