//! Events CloudFormation did not send (issue #24): anyone allowed to invoke the function can
//! send any event, with another stack's real ids. Every Update and Delete is confirmed with
//! CloudFormation first (`plan::confirm`); one it does not show changes nothing.

use serde_json::json;

use crate::emulator;
use crate::support::moto;
use crate::support::patience::PATIENCE;
use crate::support::proxy::Proxy;
use crate::support::runtime::Function;
use crate::support::{s3, unique, Harness, Stack, LAMBDA_TIME};

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

/// While the victim's stack rolls back (here: an Update of another resource failed), a forged
/// replacement shaped like CloudFormation's rollback of a replacement changes nothing: the
/// stack's events show no replacement of this resource to undo.
#[tokio::test]
async fn a_forged_replacement_during_a_rollback_changes_nothing() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-back").await;
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&id),
    );
    let mut evil = props.clone();
    evil["ContainerPort"] = json!(8081);
    evil["Image"] = json!("attacker/miner:latest");
    let calls = h.proxy.calls().len();
    let forged = h
        .invoke_directly(stack.update(&id, &props, &evil), LAMBDA_TIME)
        .await;
    assert_eq!(forged.status(), "FAILED");
    assert_eq!(
        forged.reason(),
        format!(
            "CloudFormation shows no replacement of {id} in the stack's operation for this \
             rollback to undo; nothing was changed"
        )
    );
    assert_eq!(h.writes_since(calls), Vec::<String>::new());
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after a forged rollback");
    stack.show("UPDATE_ROLLBACK_COMPLETE", "UPDATE_COMPLETE", Some(&id));
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

/// A set retained after a replacement (the cleanup failed, or `UpdateReplacePolicy: Retain`)
/// is not a rollback's to take back when the operation rolling back only updated the new set
/// in place: the stack's events show no replacement in it, so a forged rollback-shaped Update
/// with the old set's properties and another image changes nothing.
#[tokio::test]
async fn a_forged_rollback_to_a_retained_set_changes_nothing() {
    let h = Harness::new().await;
    let (stack, props, a, _) = victim(&h, "forged-retained").await;
    let mut moved = props.clone();
    moved["ContainerPort"] = json!(8080);
    let b = h
        .invoke(stack.update(&a, &props, &moved))
        .await
        .assert_success()
        .physical_id();
    let mut more = moved.clone();
    more["DesiredCount"] = json!(2);
    h.invoke(stack.update(&b, &moved, &more))
        .await
        .assert_success();
    let before = emulator::settings(&h, &b, &more).await;
    stack.show(
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_IN_PROGRESS",
        Some(&b),
    );
    let mut evil = props.clone();
    evil["Image"] = json!("attacker/miner:latest");
    let calls = h.proxy.calls().len();
    let forged = h
        .invoke_directly(stack.update(&b, &more, &evil), LAMBDA_TIME)
        .await;
    assert_eq!(forged.status(), "FAILED", "{}", forged.reason());
    assert!(forged
        .reason()
        .starts_with("CloudFormation shows no replacement"));
    assert_eq!(h.writes_since(calls), Vec::<String>::new());
    let after = emulator::settings(&h, &b, &more).await;
    emulator::assert_same_settings(&before, &after, "after a forged rollback to a retained set");
    stack.show("UPDATE_COMPLETE", "UPDATE_COMPLETE", Some(&b));
    for (id, p) in [(&a, &props), (&b, &more)] {
        stack.show("DELETE_IN_PROGRESS", "DELETE_IN_PROGRESS", Some(id));
        h.invoke_directly(stack.delete(id, p), LAMBDA_TIME)
            .await
            .assert_success();
    }
}

#[tokio::test]
async fn a_forged_continuation_runs_nothing() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-next").await;
    let mut evil = props.clone();
    evil["Image"] = json!("attacker/miner:latest");
    let next_year = (std::time::SystemTime::now() + std::time::Duration::from_secs(31_536_000))
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let progress = json!({"StartedMs": next_year, "Invocation": 1, "Applied": false});
    let (invoked, calls) = (h.proxy.invocations().len(), h.proxy.calls().len());
    for mac in [json!("00ff"), json!(""), json!(null)] {
        let mut forged = stack.update(&id, &props, &evil);
        forged[prod_e::continuation::KEY] = progress.clone();
        forged[prod_e::continuation::KEY]["Mac"] = mac;
        let out = h.invoke_directly(forged, LAMBDA_TIME).await;
        assert_eq!(out.status(), "FAILED");
        assert_eq!(out.reason(), prod_e::continuation::UNSEALED);
        assert_eq!(out.physical_id(), id);
    }
    assert_eq!(h.proxy.invocations().len(), invoked, "a chain was started");
    let actions: Vec<String> = h.proxy.calls()[calls..]
        .iter()
        .map(|c| c.action.clone())
        .collect();
    assert!(actions.iter().all(|a| a == "VerifyMac"), "{actions:?}");
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after a forged continuation");
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

#[tokio::test]
async fn a_delete_answering_another_bucket_changes_nothing() {
    let h = Harness::new().await;
    let (stack, props, id, before) = victim(&h, "forged-url").await;
    let calls = h.proxy.calls().len();
    for url in [
        "https://attacker-bucket.s3.amazonaws.com/x?X-Amz-Signature=1",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/other?s=1",
    ] {
        let mut forged = stack.delete(&id, &props);
        forged["ResponseURL"] = json!(url);
        let out = h.invoke_directly(forged, LAMBDA_TIME).await;
        let refused = out.returned.expect_err("refused");
        assert!(
            refused.contains("refusing to send anything to it"),
            "{refused}"
        );
    }
    assert_eq!(
        h.proxy.calls().len(),
        calls,
        "an AWS call for an event refused"
    );
    let after = emulator::settings(&h, &id, &props).await;
    emulator::assert_same_settings(&before, &after, "after Deletes answering other buckets");
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

/// Two stack ARNs whose keys for logical id `ProdEService` collide: the first 10 hex digits of
/// the hash in their sets' ids are equal. Found the way a review found one: hashing ARNs
/// `…:stack/collide-<n>/…` until two shared a key (a birthday search of about 2^20 ARNs).
const COLLIDING_STACKS: [&str; 2] = [
    "arn:aws:cloudformation:us-east-1:123456789012:stack/collide-474410/0c011de0-0000-4000-8000-000000474410",
    "arn:aws:cloudformation:us-east-1:123456789012:stack/collide-2243458/0c011de0-0000-4000-8000-000002243458",
];

#[tokio::test]
async fn stacks_whose_keys_collide_keep_their_own_sets() {
    let h = Harness::new().await;
    let [a, b] = COLLIDING_STACKS.map(|id| Stack {
        id: id.to_string(),
        logical_id: "ProdEService".to_string(),
    });
    let props = |name: &str, path: &str| {
        h.properties(json!({"ClusterName": format!("{name}-{}", unique()), "PathPattern": path}))
    };
    let (pa, pb) = (props("collide-a", "/a/*"), props("collide-b", "/b/*"));
    let key = |id: &str| id[.."prod-e-".len() + 10].to_string();
    let (da, db) = (a.deployment(&pa), b.deployment(&pb));
    assert_eq!(
        key(da.physical_id()),
        key(db.physical_id()),
        "the pair collides"
    );

    let id_a = h.invoke(a.create(&pa)).await.assert_success().physical_id();
    let before = emulator::settings(&h, &id_a, &pa).await;
    let id_b = h.invoke(b.create(&pb)).await.assert_success().physical_id();
    let mut replaced = pb.clone();
    replaced["ContainerPort"] = json!(8080);
    let out = h.invoke(b.update(&id_b, &pb, &replaced)).await;
    let new_b = out.assert_success().physical_id();
    assert_ne!(new_b, id_b, "a replacement");
    h.invoke(b.delete(&id_b, &pb)).await.assert_success();
    let after = emulator::settings(&h, &id_a, &pa).await;
    emulator::assert_same_settings(
        &before,
        &after,
        "after the other stack's Create and replacement",
    );

    h.invoke(b.delete(&new_b, &replaced)).await.assert_success();
    emulator::assert_nothing_left(&h, &new_b, &replaced).await;
    let after = emulator::settings(&h, &id_a, &pa).await;
    emulator::assert_same_settings(&before, &after, "after the other stack's Delete");
    h.invoke(a.delete(&id_a, &pa)).await.assert_success();
    emulator::assert_nothing_left(&h, &id_a, &pa).await;
}

/// Two installs of prod-e in one account (issue #24), the second with `NamePrefix` `pe2-`: the
/// second names everything it makes `pe2-…`, and this install, asked to delete that set (with
/// CloudFormation showing it deleted), does not know the id and touches nothing of it.
#[tokio::test]
async fn an_install_leaves_another_installs_set_alone() {
    let h = Harness::new().await;
    // The other install: its own function, behind a proxy of its own (its calls are judged
    // under its own NamePrefix).
    let proxy = Proxy::start(moto::endpoint()).await;
    let n = &h.network;
    proxy.deploys_behind(&n.vpc_id, &n.listener_arn, &n.alb_security_group_id);
    proxy.names_with("pe2-");
    let prefix = [(prod_e::naming::NAME_PREFIX_ENV, "pe2-")];
    let binary = env!("CARGO_BIN_EXE_prod-e-provisioner");
    let mut other = Function::start(binary, &proxy.endpoint, LAMBDA_TIME, &prefix).await;
    let stack = Stack::new("install-2");
    let props = h.properties(json!({"ClusterName": format!("install-2-{}", unique())}));
    let create = stack.create(&props);
    other.invoke(&create, PATIENCE).await.expect("reported");
    let url = create["ResponseURL"].as_str().unwrap_or_default();
    let answer = s3::read_response(url).await.expect("an answer");
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let id = answer["PhysicalResourceId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(id.starts_with("pe2-"), "{id}");
    let role = format!("{id}-execution");
    let iam = h.clients.iam.clone();
    let exists = |role: String| {
        let iam = iam.clone();
        async move { iam.get_role().role_name(&role).send().await.is_ok() }
    };
    assert!(exists(role.clone()).await);

    let out = h.invoke(stack.delete(&id, &props)).await;
    assert_eq!(out.status(), "SUCCESS");
    assert!(
        exists(role.clone()).await,
        "this install deleted the other's role"
    );
    let delete = stack.delete(&id, &props);
    other.invoke(&delete, PATIENCE).await.expect("reported");
    assert!(
        !exists(role).await,
        "the other install's own Delete removes it"
    );
}
