//! Rule 14: Application Auto Scaling keeps a scalable target's tags, takes its policies and
//! scheduled actions with it when it is deregistered, and says `ObjectNotFoundException` for
//! what does not exist (moto drops the tags, answers 500 to ListTagsForResource, keeps the
//! policies, and says `ValidationException`).

use std::collections::HashMap;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};

use super::{cluster, described, refusal, service, task_definition, Account};

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
    let made = a
        .aws
        .scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(dimension.clone())
        .resource_id(&id)
        .min_capacity(1)
        .max_capacity(3)
        .set_tags(Some(tags.clone()))
        .send()
        .await
        .expect("registered");
    let arn = made.scalable_target_arn().expect("arn").to_string();
    // Tags are for a new target only; new bounds move the service's count into them.
    let again = a
        .aws
        .scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(dimension.clone())
        .resource_id(&id)
        .min_capacity(2)
        .max_capacity(3)
        .set_tags(Some(tags.clone()))
        .send()
        .await;
    assert_eq!(refusal(again).0, "ValidationException");
    a.aws
        .scaling
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(dimension.clone())
        .resource_id(&id)
        .min_capacity(2)
        .max_capacity(3)
        .send()
        .await
        .expect("new bounds");
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
