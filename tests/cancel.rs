//! CloudFormation giving up on an operation while it runs: a Create it cancels (another
//! resource failed, the stack was deleted) or that did not answer within `ServiceTimeout` is
//! followed by a Delete under an id CloudFormation generated; a replacement it rolls back is
//! followed by the rollback Update. Nothing of a Create it gave up on outlives the chain, and
//! no rule of it ever routes traffic.

use std::time::Duration;

use serde_json::{json, Value};

use crate::inspect;
use crate::support::patience::PATIENCE;
use crate::support::rollout::Rollout;
use crate::support::{unique, Harness, Outcome, Stack, LAMBDA_TIME};

/// Waits until ECS cluster `cluster` has `n` ACTIVE services: the operation that created the
/// last one is in its steady wait. Bounded by [`PATIENCE`] against a hang only.
async fn until_services(h: &Harness, cluster: &str, n: usize) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        let services = prod_e::resources::service::list(&h.clients.ecs, cluster).await;
        if services.is_ok_and(|s| s.iter().filter(|s| s.status == "ACTIVE").count() >= n) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("ECS cluster {cluster} never had {n} service(s) in {PATIENCE:?}");
}

/// The Create of `stack` with `props`, and beside it `meanwhile` once its service exists.
async fn create_while<T>(
    h: &Harness,
    (stack, props): (&Stack, &Value),
    meanwhile: impl std::future::Future<Output = T>,
) -> (Outcome, T) {
    let cluster = props["ClusterName"].as_str().unwrap_or_default();
    let meanwhile = async {
        until_services(h, cluster, 1).await;
        meanwhile.await
    };
    tokio::join!(h.invoke(stack.create(props)), meanwhile)
}

/// Whether the provider ever routed a rule to a path (a Create's only ModifyRule).
fn routed(h: &Harness) -> bool {
    h.proxy.calls().iter().any(|c| c.action == "ModifyRule")
}

fn properties(h: &Harness) -> Value {
    h.properties(json!({"ClusterName": format!("cancel-{}", unique())}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_cancelled_in_its_steady_wait_leaves_nothing() {
    let h = Harness::new().await;
    // The rollout never completes: the Create is in its steady wait until the Delete drains
    // its service.
    h.proxy.rollouts.set_for_new(Rollout::Stuck);
    let stack = Stack::new("cancel-wait");
    let props = properties(&h);
    let cancelled = h.invoke(stack.cancel_create(&props));
    let (created, deleted) = create_while(&h, (&stack, &props), cancelled).await;
    deleted.assert_success();
    assert!(
        stack.shown().is_some_and(|s| s.status == "DELETE_COMPLETE"),
        "the player shows the cancellation's Delete answered"
    );
    assert_eq!(created.status(), "FAILED", "{}", created.reason());
    assert!(!routed(&h), "a rule of the cancelled Create was routed");
    inspect::assert_nothing_of(&h.clients, &stack).await;
    let id = stack.deployment(&props).physical_id().to_string();
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_cloudformation_gave_up_on_removes_what_it_made_before_routing() {
    let h = Harness::new().await;
    h.proxy.rollouts.set_for_new(Rollout::Stuck);
    let stack = Stack::new("cancel-gave-up");
    let props = properties(&h);
    // Its Delete is still to come (or was lost): only the stack shows that it gave up. Then
    // the rollout completes, and the Create goes on to its check before routing.
    let gave_up = async {
        stack.show("ROLLBACK_IN_PROGRESS", "CREATE_FAILED", None);
        h.proxy.rollouts.set_for_all(Rollout::Done);
    };
    let (created, ()) = create_while(&h, (&stack, &props), gave_up).await;
    assert_eq!(created.status(), "FAILED", "{}", created.reason());
    assert!(
        created
            .reason()
            .starts_with("CloudFormation no longer waits for this operation: stack resource (ProdEService) is CREATE_FAILED"),
        "{}",
        created.reason()
    );
    assert!(!routed(&h), "a rule of the abandoned Create was routed");
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn a_create_answered_too_late_is_removed_by_the_delete_that_follows() {
    let h = Harness::new().await;
    let stack = Stack::new("cancel-late");
    let props = properties(&h);
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    // CloudFormation gave up before the answer arrived (ServiceTimeout): it holds its own id.
    h.invoke(stack.cancel_create(&props)).await.assert_success();
    crate::emulator::assert_nothing_left(&h, &created.physical_id(), &props).await;
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn a_delete_cloudformation_did_not_send_touches_nothing() {
    let h = Harness::new().await;
    let stack = Stack::new("cancel-forged");
    let props = properties(&h);
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    stack.show("CREATE_COMPLETE", "CREATE_COMPLETE", Some(&id));
    let before = inspect::snapshot(&h.clients, &stack, &id, &props).await;

    // Anyone may invoke the function: a Delete under a made-up id, for this stack resource.
    let forged = h
        .invoke_directly(stack.cancel_create(&props), LAMBDA_TIME)
        .await;
    forged.assert_success();
    assert_eq!(
        inspect::snapshot(&h.clients, &stack, &id, &props).await,
        before
    );
    inspect::assert_one_set(&h, &id, &props).await;

    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_during_a_replacements_wait_keeps_the_original_set_routed() {
    let h = Harness::new().await;
    let stack = Stack::new("cancel-replace");
    let props = properties(&h);
    let created = h.invoke(stack.create(&props)).await;
    created.assert_success();
    let id = created.physical_id();
    let before = inspect::snapshot(&h.clients, &stack, &id, &props).await;

    // The new set's rollout is slow, and the rollback deletes its service under its wait; the
    // deleted service stays DRAINING (desired 0, running 0) for as long as the wait lasts.
    h.proxy
        .rollouts
        .set_for_new(Rollout::Slow(Duration::from_secs(3)));
    h.proxy.rules.draining_for(Duration::from_secs(10));
    let new = {
        let mut new = props.clone();
        new["ContainerPort"] = json!(8080);
        new
    };
    let cluster = props["ClusterName"].as_str().unwrap_or_default();
    let rolled_back = async {
        until_services(&h, cluster, 2).await;
        h.invoke(stack.roll_back(&id, &new, &props)).await
    };
    let (replaced, restored) = tokio::join!(h.invoke(stack.update(&id, &props, &new)), rolled_back);
    restored.assert_success();
    assert_eq!(restored.physical_id(), id);
    assert_eq!(replaced.status(), "FAILED", "{}", replaced.reason());
    assert_eq!(replaced.physical_id(), id);
    h.proxy.rules.draining_for(Duration::ZERO);

    let half_built = stack.deployment(&new);
    // Never was the rule given to the new set alone (its target group without the old one).
    let (new_group, old_group) = (
        half_built.target_group(),
        stack.deployment(&props).target_group(),
    );
    let routed_to_new = h.proxy.calls().into_iter().any(|c| {
        c.action == "ModifyRule" && c.body.contains(&new_group) && !c.body.contains(&old_group)
    });
    assert!(
        !routed_to_new,
        "the replacement routed the rule to the set being removed"
    );
    crate::emulator::assert_nothing_left(&h, half_built.physical_id(), &new).await;
    assert_eq!(
        inspect::snapshot(&h.clients, &stack, &id, &props).await,
        before
    );
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    inspect::assert_nothing_of(&h.clients, &stack).await;
}
