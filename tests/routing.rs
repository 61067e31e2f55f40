//! Routing on a shared listener (issue #13): host, path, header and query-string conditions
//! created and changed in place; a priority derived per stack resource, stable across
//! updates, probing past one a concurrent stack took; several stacks on one listener at once;
//! no rule that would take another owner's traffic (issue #25), on Create or in place.

use serde_json::json;

use prod_e::resources::listener_rule::{self, ListenerRule};

use crate::support::{unique, Harness, Stack};

/// The rule `arn` on the harness's listener, as ELBv2 now has it.
async fn rule_now(h: &Harness, arn: &str) -> ListenerRule {
    let rules = listener_rule::find_all(&h.clients.elb, &h.network.listener_arn)
        .await
        .expect("rules");
    rules.into_iter().find(|r| r.arn == arn).expect("the rule")
}

#[tokio::test]
async fn conditions_are_created_and_changed_in_place() {
    let h = Harness::new().await;
    let stack = Stack::new("route");
    let props = h.properties(json!({
        "ClusterName": format!("route-{}", unique()),
        "HostHeaders": ["api.example.com", "*.api.example.com"],
        "PathPattern": "/v1/*",
        "HttpHeader": {"HttpHeaderName": "X-Env", "Values": ["blue"]},
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let rule = rule_now(&h, &out.data("ListenerRuleArn")).await;
    assert_eq!(
        rule.routing.to_string(),
        "host api.example.com,*.api.example.com path /v1/* header X-Env=blue"
    );
    assert_eq!(rule.priority, out.data("ListenerRulePriority"));
    let mut new = props.clone();
    new.as_object_mut().expect("object").remove("PathPattern");
    new["PathPatterns"] = json!(["/v2/*", "/v3/*"]);
    new["HttpHeader"] = json!("");
    new["QueryString"] = json!([{"Key": "beta", "Value": "1"}]);
    let before = h.proxy.calls().len();
    let updated = h
        .invoke(stack.update(&out.physical_id(), &props, &new))
        .await;
    updated.assert_success();
    let writes = h.writes_since(before);
    assert_eq!(
        writes,
        ["ModifyRule"],
        "one write for a change of conditions"
    );
    let rule = rule_now(&h, &out.data("ListenerRuleArn")).await;
    assert_eq!(
        rule.routing.to_string(),
        "host api.example.com,*.api.example.com path /v2/*,/v3/* query beta=1"
    );
    assert_eq!(
        updated.data("ListenerRulePriority"),
        out.data("ListenerRulePriority")
    );
}

#[tokio::test]
async fn a_given_priority_moves_the_rule_and_a_dropped_one_stays() {
    let h = Harness::new().await;
    let stack = Stack::new("prio");
    let props = h.properties(json!({"ClusterName": format!("prio-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let derived = prod_e::preflight::priority::derived(&stack.deployment(&props));
    assert_eq!(out.data("ListenerRulePriority"), derived.to_string());
    let id = out.physical_id();
    let mut given = props.clone();
    given["RulePriority"] = json!(42);
    let moved = h.invoke(stack.update(&id, &props, &given)).await;
    moved.assert_success();
    assert_eq!(moved.data("ListenerRulePriority"), "42");
    let dropped = h.invoke(stack.update(&id, &given, &props)).await;
    dropped.assert_success();
    assert_eq!(
        dropped.data("ListenerRulePriority"),
        "42",
        "no priority given: it stays"
    );
    let rule = rule_now(&h, &out.data("ListenerRuleArn")).await;
    assert_eq!(rule.priority, "42");
}

/// Two logical ids of one stack whose derived priorities are the same.
fn colliding(stack_id: &str) -> (String, String) {
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..5000 {
        let logical = format!("Web{i}");
        let d = prod_e::naming::Deployment::new(stack_id, &logical, "00000000");
        if let Some(first) = seen.insert(prod_e::preflight::priority::derived(&d), logical.clone())
        {
            return (first, logical);
        }
    }
    panic!("no two derived priorities collide in 5000 logical ids");
}

#[tokio::test]
async fn stacks_created_concurrently_on_one_listener_never_collide() {
    let h = Harness::new().await;
    let base = Stack::new("shared");
    let (a, b) = colliding(&base.id);
    let stacks: Vec<Stack> = [a, b, "Api".to_string(), "Admin".to_string()]
        .into_iter()
        .map(|logical_id| Stack {
            id: base.id.clone(),
            logical_id,
        })
        .collect();
    let props: Vec<_> = stacks
        .iter()
        .map(|s| h.properties(json!({"ClusterName": format!("{}-{}", s.logical_id, unique())})))
        .collect();
    let creates = stacks
        .iter()
        .zip(&props)
        .map(|(s, p)| h.invoke(s.create(p)));
    let outs = futures::future::join_all(creates).await;
    let mut priorities = Vec::new();
    for out in &outs {
        out.assert_success();
        priorities.push(out.data("ListenerRulePriority"));
    }
    let distinct: std::collections::BTreeSet<_> = priorities.iter().collect();
    assert_eq!(distinct.len(), stacks.len(), "{priorities:?}");
    let start = prod_e::preflight::priority::derived(&stacks[0].deployment(&props[0]));
    assert!(
        priorities[..2].contains(&start.to_string()),
        "{priorities:?}"
    );
    let probed = h
        .proxy
        .calls()
        .iter()
        .filter(|c| c.action == "CreateRule")
        .count();
    println!(
        "FIGURE {} CreateRule calls for {} stacks",
        probed,
        stacks.len()
    );
    // Deleting them all leaves the listener as it was.
    for ((s, p), out) in stacks.iter().zip(&props).zip(&outs) {
        h.invoke(s.delete(&out.physical_id(), p))
            .await
            .assert_success();
    }
    let left = listener_rule::find_all(&h.clients.elb, &h.network.listener_arn)
        .await
        .expect("rules");
    assert!(left.is_empty(), "{left:?}");
}

/// Another owner's rule on the harness's listener: `host` at `priority`, answering itself.
pub(crate) async fn host_rule(h: &Harness, host: &str, priority: i32) -> String {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, FixedResponseActionConfig, HostHeaderConditionConfig, RuleCondition,
    };
    let answer = FixedResponseActionConfig::builder()
        .status_code("200")
        .build();
    let config = HostHeaderConditionConfig::builder().values(host).build();
    let condition = RuleCondition::builder()
        .field("host-header")
        .host_header_config(config);
    let action = Action::builder().r#type(ActionTypeEnum::FixedResponse);
    let made = h
        .clients
        .elb
        .create_rule()
        .listener_arn(&h.network.listener_arn)
        .priority(priority)
        .conditions(condition.build())
        .actions(action.fixed_response_config(answer).build())
        .send()
        .await
        .expect("another owner's rule");
    made.rules()[0].rule_arn().expect("arn").to_string()
}

#[tokio::test]
async fn a_rule_that_would_take_another_owners_traffic_is_refused_naming_it() {
    let h = Harness::new().await;
    let api = host_rule(&h, "api.example.com", 500).await;
    let cluster = || format!("take-{}", unique());
    // `/*` ahead of it would take every request for api.example.com.
    let greedy = h.properties(json!({"ClusterName": cluster(), "RulePriority": 2}));
    let reason = crate::preflight::refused(&h, &greedy, &[&api, "(priority 500)"]).await;
    assert!(reason.contains("ShadowedRuleArns"), "{reason}");
    // The same stack with its own host deploys; a derived priority goes behind a `*` host rule.
    let everything = host_rule(&h, "*.example.com", 45000).await;
    let own =
        json!({"ClusterName": cluster(), "RulePriority": 2, "HostHeaders": ["www.example.org"]});
    let derived = json!({"ClusterName": cluster(), "HostHeaders": ["web.example.com"]});
    let mut made = Vec::new();
    for (name, props) in [("own", own), ("derived", derived)] {
        let (stack, props) = (Stack::new(name), h.properties(props));
        let out = h.invoke(stack.create(&props)).await;
        out.assert_success();
        made.push((stack, props, out));
    }
    // Named, they may be shadowed (the derived stack's rule is another owner's too).
    let shadowed = [api.clone(), everything, made[1].2.data("ListenerRuleArn")];
    let accepted =
        json!({"ClusterName": cluster(), "RulePriority": 3, "ShadowedRuleArns": shadowed});
    let (stack, props) = (Stack::new("accepted"), h.properties(accepted));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    made.push((stack, props, out));
    let priority: u32 = made[1]
        .2
        .data("ListenerRulePriority")
        .parse()
        .expect("number");
    assert!(priority > 45000, "derived {priority}, behind *.example.com");
    // In place: dropping the host would take api.example.com's requests; nothing changes.
    let (stack, props, out) = &made[0];
    let mut wider = props.clone();
    wider.as_object_mut().expect("object").remove("HostHeaders");
    let from = h.proxy.calls().len();
    let refused = h
        .invoke(stack.update(&out.physical_id(), props, &wider))
        .await;
    assert_eq!(refused.status(), "FAILED", "{:?}", refused.response);
    assert!(refused.reason().contains(&api), "{}", refused.reason());
    assert_eq!(h.writes_since(from), Vec::<String>::new());
    let rule = rule_now(&h, &out.data("ListenerRuleArn")).await;
    assert_eq!(rule.routing.host_headers, ["www.example.org"]);
    for (stack, props, out) in &made {
        h.invoke(stack.delete(&out.physical_id(), props))
            .await
            .assert_success();
    }
}
