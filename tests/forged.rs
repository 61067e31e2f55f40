//! Events CloudFormation did not send (issue #24): anyone allowed to invoke the function can
//! send any event, with another stack's real ids. Every Update and Delete is confirmed with
//! CloudFormation first (`plan::confirm`); one it does not show changes nothing.

use serde_json::json;

use crate::emulator;
use crate::support::{unique, Harness, Stack, LAMBDA_TIME};

/// The victim's stack resource, created through CloudFormation, and its set's settings.
async fn victim(h: &Harness, name: &str) -> (Stack, serde_json::Value, String, Vec<String>) {
    let stack = Stack::new(name);
    let props = h.properties(json!({"ClusterName": format!("{name}-{}", unique())}));
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    let settings = emulator::settings(h, &id, &props).await;
    (stack, props, id, settings)
}

#[tokio::test]
async fn a_forged_delete_of_a_live_set_changes_nothing() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-delete").await;
    let forged = h
        .invoke_directly(stack.delete(&id, &props), LAMBDA_TIME)
        .await;
    assert_eq!(forged.status(), "FAILED");
    assert!(
        forged.reason().starts_with(
            "CloudFormation does not show this Delete: stack resource (ProdEService) is \
             CREATE_COMPLETE with id "
        ),
        "{}",
        forged.reason()
    );
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after a forged Delete");
    // CloudFormation's own Delete still removes it.
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    emulator::assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test]
async fn a_forged_update_of_a_live_set_changes_nothing() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-update").await;
    let mut evil = props.clone();
    evil["Image"] = json!("attacker/miner:latest");
    evil["Environment"] = json!({"STEAL": "1"});
    let before_calls = h.proxy.calls().len();
    let forged = h
        .invoke_directly(stack.update(&id, &props, &evil), LAMBDA_TIME)
        .await;
    assert_eq!(forged.status(), "FAILED");
    assert!(
        forged
            .reason()
            .starts_with("CloudFormation does not show this Update: "),
        "{}",
        forged.reason()
    );
    assert_eq!(h.writes_since(before_calls), Vec::<String>::new());
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after a forged Update");
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

#[tokio::test]
async fn a_forged_continuation_from_the_future_starts_no_chain() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-next").await;
    let mut evil = props.clone();
    evil["Image"] = json!("attacker/miner:latest");
    let mut forged = stack.update(&id, &props, &evil);
    let next_year = (std::time::SystemTime::now() + std::time::Duration::from_secs(31_536_000))
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    forged[prod_e::continuation::KEY] =
        json!({"StartedMs": next_year, "Invocation": 1, "Applied": false});
    let invoked = h.proxy.invocations().len();
    let out = h.invoke_directly(forged, LAMBDA_TIME).await;
    assert_eq!(out.status(), "FAILED", "{}", out.reason());
    assert_eq!(h.proxy.invocations().len(), invoked, "a chain was started");
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after a forged continuation");
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}
