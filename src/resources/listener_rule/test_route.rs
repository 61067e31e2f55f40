//! A native strategy's optional test listener rule (`TestHostHeaders`, `TestPathPatterns`):
//! the rule ECS names `advancedConfiguration.testListenerRule` and points at the new
//! revision's target group during a deployment, so that test traffic reaches the new revision
//! before production traffic does (ECS Developer Guide, "Amazon ECS blue/green service
//! deployments workflow": the TEST_TRAFFIC_SHIFT stage; ECS API Reference,
//! `AdvancedConfiguration.testListenerRule`). It carries the set's ownership tags and
//! [`TEST_TAG`], which tells it apart from the production rule.

use aws_sdk_elasticloadbalancingv2::Client;

use super::super::settings::Setting;
use super::{conditions, forward, ListenerRule};
use crate::error::Result;
use crate::naming::Tags;
use crate::spec::routing::Routing;
use crate::spec::Spec;

/// The tag (key, value) of a test rule; the production rule has no such key.
pub const TEST_TAG: (&str, &str) = ("prod-e:route", "test");

/// The test rule `spec` asks for, as [`super::find_both`] reads one (its ARN and forwards
/// empty); without a test route, one with no conditions, which any live test rule differs from.
pub fn expand_test(spec: &Spec) -> ListenerRule {
    ListenerRule {
        routing: spec.test_routing().unwrap_or_default(),
        routed: true,
        ..ListenerRule::default()
    }
}

/// The test rule's properties, by its flatten: the hosts and paths it matches (those of
/// `HostHeaders` / `PathPatterns` where the test ones are empty, in the rule and in
/// [`expand_test`] alike).
pub const TEST_SETTINGS: &[Setting<ListenerRule>] = &[
    Setting::new("TestHostHeaders", |r| r.routing.host_headers.join(",")),
    Setting::new("TestPathPatterns", |r| r.routing.path_patterns.join(",")),
];

/// Whether a rule with `tags` is a test rule.
pub fn is_test(tags: &Tags) -> bool {
    tags.get(TEST_TAG.0).map(String::as_str) == Some(TEST_TAG.1)
}

/// `tags` with [`TEST_TAG`]: what a test rule is created with.
pub fn test_tags(tags: &Tags) -> Tags {
    let mut tagged = tags.clone();
    tagged.insert(TEST_TAG.0.to_string(), TEST_TAG.1.to_string());
    tagged
}

/// Creates the test rule at `priority`, matching `routing` and forwarding to the groups of
/// `production` with their weights (ECS moves them as it moves the production rule's), tagged
/// `tags` and [`TEST_TAG`]. Errors: `PriorityInUse` if another rule holds `priority` (ELBv2
/// CreateRule reference).
pub async fn create_test(
    elb: &Client,
    (listener_arn, priority): (&str, u32),
    routing: &Routing,
    production: &ListenerRule,
    tags: &Tags,
) -> Result<ListenerRule> {
    let rule = ListenerRule {
        priority: priority.to_string(),
        routing: routing.clone(),
        target_group_arns: production.target_group_arns.clone(),
        weights: production.weights.clone(),
        routed: true,
        tags: test_tags(tags),
        ..ListenerRule::default()
    };
    let asked = (conditions::to_sdk(routing), forward::weighted(production));
    super::create(elb, listener_arn, rule, asked).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_rule_tagged_test_is_a_test_rule() {
        let tags = Tags::from([("prod-e:physical-id".to_string(), "x".to_string())]);
        assert!(!is_test(&tags));
        assert!(is_test(&test_tags(&tags)));
    }
}
