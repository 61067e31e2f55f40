//! `TaskDefinitionOverrides` and `ServiceOverrides` (issue 28): a free field reaches AWS in
//! the request prod-e sends and changes in place; a field prod-e owns or a property sets is
//! refused, naming it, before anything is written.

use serde_json::{json, Value};

use crate::migration::requests;
use crate::support::{unique, Harness, Stack};

#[tokio::test]
async fn overrides_reach_aws_and_fields_prod_e_owns_are_refused_naming_them() {
    let h = Harness::new().await;
    let refused = [
        (
            json!({"TaskDefinitionOverrides": {"taskRoleArn": "arn:aws:iam::1:role/x"}}),
            "taskRoleArn is prod-e's own",
        ),
        (
            json!({"TaskDefinitionOverrides": {"containerDefinitions":
            [{"name": "dummy-container", "image": "evil"}]}}),
            "containerDefinitions[0].image is set by the property Image",
        ),
        (
            json!({"TaskDefinitionOverrides": {"containerDefinitions": [{"name": "other"}]}}),
            "containerDefinitions names other",
        ),
        (
            json!({"ServiceOverrides": {"loadBalancers": []}}),
            "loadBalancers is not one ServiceOverrides may set",
        ),
        (
            json!({"ServiceOverrides": {"volumeConfigurations": []}}),
            "volumeConfigurations is not one ServiceOverrides may set",
        ),
        // CloudFormation's object: its numbers arrive as strings.
        (
            json!({"TaskDefinitionOverrides": {"containerDefinitions": [{"name": "dummy-container",
                "ulimits": [{"name": "nofile", "softLimit": "4096", "hardLimit": "8192"}]}]}}),
            "containerDefinitions[0].ulimits[0].hardLimit is a number or a boolean as a string",
        ),
        (
            json!({"ServiceOverrides": {"serviceConnectConfiguration": {"enabled": true,
                "services": [{"portName": "web", "tls": {"roleArn": "arn:aws:iam::1:role/x"}}]}}}),
            "tls.roleArn passes a role",
        ),
    ];
    for (extra, reason) in refused {
        let out = h
            .invoke(Stack::new("ovr-bad").create(&h.properties(extra.clone())))
            .await;
        assert_eq!(out.status(), "FAILED", "{extra}");
        assert!(out.reason().contains(reason), "{extra}: {}", out.reason());
    }
    assert!(h.writes_since(0).is_empty(), "a refused override wrote");
    let container = json!({"name": "dummy-container", "dockerLabels": {"team": "payments"},
        "ulimits": [{"name": "nofile", "softLimit": 4096, "hardLimit": 8192}]});
    let props = h.properties(json!({
        "ClusterName": format!("ovr-{}", unique()),
        "TaskDefinitionOverrides": {"containerDefinitions": [container]},
        "ServiceOverrides": {"platformVersion": "1.4.0"},
    }));
    let stack = Stack::new("ovr");
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    // Each attempt (a fresh role may be refused at first) carries the overrides.
    let registered = requests(&h, 0, "RegisterTaskDefinition");
    assert!(!registered.is_empty(), "no RegisterTaskDefinition");
    for (_, body) in &registered {
        let sent = &body["containerDefinitions"][0];
        assert_eq!(sent["ulimits"], container["ulimits"]);
        assert_eq!(sent["dockerLabels"], container["dockerLabels"]);
        assert!(
            sent["image"].is_string() && sent["logConfiguration"].is_object(),
            "{sent}"
        );
    }
    let created = requests(&h, 0, "CreateService");
    assert!(!created.is_empty(), "no CreateService");
    for (_, body) in &created {
        assert_eq!(body["platformVersion"], "1.4.0");
        assert!(
            body["loadBalancers"].is_array(),
            "prod-e's members stay: {body}"
        );
    }
    // In place: the service's member by UpdateService, the container's by a new revision.
    let mut changed = props.clone();
    changed["ServiceOverrides"] = json!({"platformVersion": "LATEST"});
    changed["TaskDefinitionOverrides"]["containerDefinitions"][0]["dockerLabels"] =
        json!({"team": "billing"});
    // As a JSON string (what keeps a CloudFormation template's numbers numbers).
    let as_string = changed["TaskDefinitionOverrides"].to_string();
    changed["TaskDefinitionOverrides"] = json!(as_string);
    let before = h.proxy.calls().len();
    let id = out.physical_id();
    let updated = h.invoke(stack.update(&id, &props, &changed)).await;
    updated.assert_success();
    assert_eq!(updated.physical_id(), id, "overrides change in place");
    let label = |b: &Value| b["containerDefinitions"][0]["dockerLabels"]["team"].clone();
    let registered = requests(&h, before, "RegisterTaskDefinition");
    let labels: Vec<Value> = registered.iter().map(|(_, b)| label(b)).collect();
    let limits = registered
        .iter()
        .map(|(_, b)| &b["containerDefinitions"][0]["ulimits"]);
    assert!(
        limits.clone().all(|l| *l == container["ulimits"]),
        "typed: {registered:?}"
    );
    assert!(
        !labels.is_empty() && labels.iter().all(|l| l == "billing"),
        "{labels:?}"
    );
    let updates = requests(&h, before, "UpdateService");
    let versions: Vec<&Value> = updates.iter().map(|(_, b)| &b["platformVersion"]).collect();
    assert!(versions.contains(&&json!("LATEST")), "{versions:?}");
}
