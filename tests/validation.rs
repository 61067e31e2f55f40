//! Invalid properties: one FAILED response names every bad property at once, nothing created.
//! (The corpus of single bad inputs is in `reliability.rs`.)

use serde_json::json;

use crate::inspect;
use crate::support::{Harness, Stack, LAMBDA_TIME};

#[tokio::test]
async fn every_bad_property_is_named_at_once() {
    let h = Harness::new().await;
    let stack = Stack::new("many-bad");
    let props = h.properties(json!({"Cpu": 256, "Memory": 4096, "RulePriority": 0, "ContainerPort": "70000", "Colour": "blue"}));
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(
        out.reason(),
        "invalid properties: Colour: unknown property; RulePriority: 0 is out of range 1–50000; \
         ContainerPort: 70000 is out of range 1–65535; Cpu/Memory: Cpu 256 allows Memory 512, 1024 or 2048, not 4096"
    );
    inspect::assert_nothing_of(&h.clients, &stack).await;
    // The rollback Delete of the failed resource succeeds and touches nothing.
    h.invoke(stack.delete(&out.physical_id(), &props))
        .await
        .assert_success();
}

/// The operator's caps (template parameters `MaxDesiredCount`, `MaxTaskCpu`, …,
/// `TaskFamilyPrefix`): a Create over one creates nothing; an Update is refused only what grows
/// over one.
#[tokio::test]
async fn what_is_over_the_operators_caps_is_refused_naming_the_cap() {
    let mut h = Harness::new().await;
    h.provider.clients.caps = prod_e::spec::caps::Caps {
        desired_count: Some(2),
        cpu: Some(1024),
        ..Default::default()
    };
    let stack = Stack::new("caps");
    let big = h.properties(json!({"DesiredCount": 3, "Cpu": 2048, "Memory": 4096}));
    let out = h.invoke(stack.create(&big)).await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(
        out.reason(),
        "DesiredCount 3 is over the operator's cap (MaxDesiredCount 2); Cpu 2048 is over the \
         operator's cap (MaxTaskCpu 1024); nothing was created"
    );
    assert!(h.writes_since(0).is_empty(), "{:?}", h.writes_since(0));
    inspect::assert_nothing_of(&h.clients, &stack).await;
    h.provider.clients.caps.task_family_prefix = Some("prod-e-".into());
    let theirs = h.properties(json!({"TaskFamily": "billing-web"}));
    let out = h.invoke(stack.create(&theirs)).await;
    assert_eq!(
        out.reason(),
        "TaskFamily \"billing-web\" is outside the operator's task families (TaskFamilyPrefix \
         \"prod-e-\"); nothing was created"
    );
    assert!(h.writes_since(0).is_empty(), "{:?}", h.writes_since(0));
    let fits = h.properties(json!({"DesiredCount": 2}));
    let created = h.invoke(stack.create(&fits)).await;
    created.assert_success();
    let mut more = fits.clone();
    more["DesiredCount"] = json!(5);
    let id = created.physical_id();
    let refused = h.invoke(stack.update(&id, &fits, &more)).await;
    assert_eq!(
        refused.reason(),
        "DesiredCount 5 is over the operator's cap (MaxDesiredCount 2); nothing was changed"
    );
    // The operator lowers the cap; a stack within the old one is still rolled back to it.
    let mut one = fits.clone();
    one["DesiredCount"] = json!(1);
    h.invoke(stack.update(&id, &fits, &one))
        .await
        .assert_success();
    h.provider.clients.caps.desired_count = Some(1);
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&id),
    );
    let back = h
        .invoke_directly(stack.update(&id, &one, &fits), LAMBDA_TIME)
        .await;
    back.assert_success();
    h.invoke(stack.delete(&id, &fits)).await.assert_success();
}
