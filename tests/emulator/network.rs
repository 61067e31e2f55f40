//! The network side of a set's settings: security group, target group, rules, scaling and
//! alarms as lines.

use std::collections::BTreeMap;
use std::fmt::Debug;

use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_ec2::types::{IpPermission, SecurityGroup};
use aws_sdk_elasticloadbalancingv2::types::{Rule, TargetGroup};
use prod_e::aws::Clients;

use super::facts::Found;
use super::reads::*;
use super::*;

pub(super) fn security_group_facts(f: &mut Found, sg: Option<&SecurityGroup>) {
    let Some(sg) = sg else {
        return f.text("security group", "missing");
    };
    f.id(sg.group_id(), "<security-group>");
    for (way, all) in [
        ("ingress", sg.ip_permissions()),
        ("egress", sg.ip_permissions_egress()),
    ] {
        for rule in all {
            f.text(format!("security group {way}"), &permission(rule));
        }
    }
}

/// One permission: protocol, ports, then its sources or destinations, each kind sorted.
pub(super) fn permission(p: &IpPermission) -> String {
    let groups: Vec<_> = p
        .user_id_group_pairs()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    let cidrs: Vec<_> = p.ip_ranges().iter().filter_map(|r| r.cidr_ip()).collect();
    let v6: Vec<_> = p
        .ipv6_ranges()
        .iter()
        .filter_map(|r| r.cidr_ipv6())
        .collect();
    let lists: Vec<_> = p
        .prefix_list_ids()
        .iter()
        .filter_map(|l| l.prefix_list_id())
        .collect();
    let ports = (p.ip_protocol(), p.from_port(), p.to_port());
    let to = (sorted(&groups), sorted(&cidrs), sorted(&v6), sorted(&lists));
    format!("{ports:?} groups, cidrs, ipv6, prefix lists {to:?}")
}

pub(super) async fn target_group_facts(c: &Clients, tg: Option<&TargetGroup>, f: &mut Found) {
    let Some(tg) = tg else {
        return f.text("target group", "missing");
    };
    let arn = tg.target_group_arn().unwrap_or_default();
    f.id(Some(arn), "<target-group>");
    // Its CloudWatch dimension (`targetgroup/<name>/<hash>`), in alarms and scaling labels.
    f.id(
        arn.find(":targetgroup/").map(|i| &arn[i + 1..]),
        "<target-group-dimension>",
    );
    let kind = (
        tg.protocol(),
        tg.port(),
        tg.target_type(),
        tg.protocol_version(),
        tg.vpc_id(),
    );
    f.fact("target group", &kind);
    let check = (
        tg.health_check_enabled(),
        tg.health_check_protocol(),
        tg.health_check_port(),
    );
    f.fact(
        "target group health check",
        &(check, tg.health_check_path(), tg.matcher()),
    );
    let timing = (
        tg.health_check_interval_seconds(),
        tg.health_check_timeout_seconds(),
    );
    let thresholds = (tg.healthy_threshold_count(), tg.unhealthy_threshold_count());
    f.fact("target group health timing", &(timing, thresholds));
    f.fact(
        "target group load balancers",
        &sorted(tg.load_balancer_arns()),
    );
    let out = c
        .elb
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await;
    for a in out.expect("describe target group attributes").attributes() {
        f.fact("target group attribute", &(a.key(), a.value()));
    }
}

pub(super) fn rule_facts(f: &mut Found, rules: &[Rule]) {
    if rules.is_empty() {
        f.text("listener rule", "missing");
    }
    for rule in rules {
        f.id(rule.rule_arn(), "<rule>");
        f.fact("listener rule conditions", &sorted_debug(rule.conditions()));
        f.fact("listener rule actions", &rule.actions());
    }
}

pub(super) async fn scaling_facts(c: &Clients, resource_id: &str, f: &mut Found) {
    let Some(t) = scalable_target(c, resource_id).await else {
        return f.text("scalable target", "none");
    };
    f.fact(
        "scalable target",
        &(t.min_capacity(), t.max_capacity(), t.suspended_state()),
    );
    for p in policies(c, resource_id).await {
        let config = (
            p.policy_type(),
            p.target_tracking_scaling_policy_configuration(),
        );
        f.fact(format!("scaling policy {}", p.policy_name()), &config);
    }
    for a in scheduled_actions(c, resource_id).await {
        let name = a.scheduled_action_name();
        let when = (a.schedule(), a.timezone(), a.start_time(), a.end_time());
        f.fact(format!("scheduled action {name}"), &when);
        f.fact(
            format!("scheduled action {name} sets"),
            &a.scalable_target_action(),
        );
    }
}

pub(super) fn alarm_facts(f: &mut Found, alarms: &[MetricAlarm]) {
    for a in alarms {
        let dims: BTreeMap<_, _> = a
            .dimensions()
            .iter()
            .map(|d| (d.name(), d.value()))
            .collect();
        let name = a.alarm_name().unwrap_or_default();
        let mut fact = |k: &str, v: &dyn Debug| f.fact(format!("alarm {name} {k}"), v);
        fact(
            "metric",
            &(
                a.namespace(),
                a.metric_name(),
                a.statistic(),
                a.extended_statistic(),
            ),
        );
        fact("dimensions", &dims);
        fact(
            "periods",
            &(a.period(), a.evaluation_periods(), a.datapoints_to_alarm()),
        );
        fact(
            "threshold",
            &(
                a.threshold(),
                a.comparison_operator(),
                a.treat_missing_data(),
            ),
        );
        let actions = (
            a.alarm_actions(),
            a.ok_actions(),
            a.insufficient_data_actions(),
        );
        fact("actions", &(a.actions_enabled(), actions));
        fact("description", &a.alarm_description());
    }
}
