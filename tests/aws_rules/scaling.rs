//! Rule 14: Application Auto Scaling keeps a scalable target's tags, takes its policies and
//! scheduled actions with it when it is deregistered, and says `ObjectNotFoundException` for
//! what does not exist (moto drops the tags, answers 500 to ListTagsForResource, keeps the
//! policies, and says `ValidationException`).

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::{cluster, described, error, refusal, service, task_definition, Account};

#[tokio::test]
async fn a_scalable_target_keeps_its_tags_and_takes_its_policies_with_it() {
    let a = Account::with_ecs_role().await;
    let cluster = cluster(&a.moto).await;
    let td = task_definition(&a.moto, "nginx:1.27").await;
    service(&a.moto, &cluster, "web", &td)
        .send()
        .await
        .expect("service");
    let id = format!("service/{cluster}/web");
    let dimension = ScalableDimension::EcsServiceDesiredCount;
    let tags = HashMap::from([("prod-e:physical-id".to_string(), "prod-e-x".to_string())]);
    let register = |min: i32, tags: Option<HashMap<String, String>>| {
        let registering = a.aws.scaling.register_scalable_target();
        let registering = registering
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension.clone())
            .resource_id(&id);
        registering
            .min_capacity(min)
            .max_capacity(3)
            .set_tags(tags)
            .send()
    };
    let made = register(1, Some(tags.clone())).await.expect("registered");
    let arn = made.scalable_target_arn().expect("arn").to_string();
    // Tags are for a new target only; new bounds move the service's count into them.
    let again = register(2, Some(tags.clone())).await;
    assert_eq!(refusal(again).0, "ValidationException");
    register(2, None).await.expect("new bounds");
    let count = described(&a.moto, &cluster, "web").await;
    assert_eq!(count.map(|s| s.desired_count()), Some(2));
    let listed = a
        .aws
        .scaling
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await;
    assert_eq!(listed.expect("tags").tags(), Some(&tags));
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
        .build()
        .expect("metric");
    let tracking = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(60.0)
        .predefined_metric_specification(metric)
        .build()
        .expect("tracking");
    a.aws
        .scaling
        .put_scaling_policy()
        .policy_name("cpu")
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(dimension.clone())
        .resource_id(&id)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(tracking)
        .send()
        .await
        .expect("policy");
    let deregister = || {
        a.aws
            .scaling
            .deregister_scalable_target()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(dimension.clone())
            .resource_id(&id)
            .send()
    };
    deregister().await.expect("deregistered");
    let left = a
        .moto
        .scaling
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(&id)
        .send()
        .await
        .expect("policies");
    assert!(
        left.scaling_policies().is_empty(),
        "{:?}",
        left.scaling_policies()
    );
    assert_eq!(refusal(deregister().await).0, "ObjectNotFoundException");
    let gone = a
        .aws
        .scaling
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await;
    assert_eq!(refusal(gone).0, "ResourceNotFoundException");
}

/// Rule 15: DeleteAlarms naming a missing alarm deletes none of them.
/// A PutMetricAlarm of an ECS CPU alarm called `name`.
fn cpu_alarm(
    a: &Account,
    name: &str,
) -> aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder {
    let operator = aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold;
    a.aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/ECS")
        .metric_name("CPUUtilization")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(60)
        .evaluation_periods(1)
        .threshold(80.0)
        .comparison_operator(operator)
}

#[tokio::test]
async fn deleting_a_missing_alarm_deletes_nothing() {
    let a = Account::new().await;
    let name = format!("rules-{}", crate::support::unique());
    cpu_alarm(&a, &name).send().await.expect("alarm");
    let both = a
        .aws
        .cloudwatch
        .delete_alarms()
        .alarm_names(&name)
        .alarm_names("missing");
    assert_eq!(refusal(both.send().await).0, "ResourceNotFound");
    let found = a
        .aws
        .cloudwatch
        .describe_alarms()
        .alarm_names(&name)
        .send()
        .await;
    assert_eq!(
        found.expect("alarms").metric_alarms().len(),
        1,
        "nothing was deleted"
    );
    let one = a
        .aws
        .cloudwatch
        .delete_alarms()
        .alarm_names(&name)
        .send()
        .await;
    one.expect("deleted");
}

#[tokio::test]
async fn an_alarm_notifies_topics_of_its_own_region_only() {
    let a = Account::new().await;
    let put = |topic: &str| {
        let name = format!("rules-{}", crate::support::unique());
        cpu_alarm(&a, &name).alarm_actions(topic).send()
    };
    put("arn:aws:sns:us-east-1:123456789012:pager")
        .await
        .expect("a topic of the alarm's region");
    let message = "Invalid region eu-west-1 specified. Only us-east-1 is supported.";
    let elsewhere = put("arn:aws:sns:eu-west-1:123456789012:pager").await;
    assert_eq!(refusal(elsewhere), error("ValidationError", message));
}
