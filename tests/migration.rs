//! `MigrationCommand` (issue #27): one task of each new revision, run to its end before the
//! service starts any task of it (rule 28 plays the task): on Create before CreateService, on
//! an Update that deploys a new revision before its UpdateService, never on an Update that
//! deploys none; a non-zero exit fails the operation naming the code and the log stream, with
//! the service left on the previous revision; a task that outlasts its invocation is waited
//! for by the next one, not run again; a Delete stops the task its set left running.

use serde_json::{json, Value};

use crate::support::patience::{releasing, SHORT_LAMBDA_TIME};
use crate::support::{unique, Harness, Stack};

const MIGRATE: [&str; 3] = ["sh", "-c", "./migrate"];

fn properties(h: &Harness) -> Value {
    h.properties(json!({
        "ClusterName": format!("migration-{}", unique()),
        "MigrationCommand": MIGRATE,
    }))
}

/// The bodies of the provider's calls of `action` from call `from` on, and where each was.
pub(crate) fn requests(h: &Harness, from: usize, action: &str) -> Vec<(usize, Value)> {
    let calls = h.proxy.calls();
    let found = calls.iter().enumerate().skip(from);
    found
        .filter(|(_, c)| c.action == action)
        .map(|(i, c)| (i, serde_json::from_str(&c.body).unwrap_or(Value::Null)))
        .collect()
}

/// Delivers `update`, whose one-off task (a migration, smoke checks) runs until the Update has
/// handed over to another invocation; asserts that the Update succeeded in more than one
/// invocation and ran one task, not two. Returns the index of its first call.
pub(crate) async fn across_invocations(h: &Harness, update: Value) -> usize {
    h.proxy.rules.one_offs_run_for(u32::MAX);
    let (before, queued) = (h.proxy.calls().len(), h.proxy.invocations().len());
    let (updated, invocations) = releasing(
        h.invoke_to_the_end(update, SHORT_LAMBDA_TIME),
        "the Update to hand over while its one-off task runs",
        || h.proxy.invocations().len() > queued,
        || h.proxy.rules.one_offs_end(),
    )
    .await;
    updated.assert_success();
    assert!(
        invocations >= 2,
        "the Update did not go on in another invocation"
    );
    assert_eq!(
        requests(h, before, "RunTask").len(),
        1,
        "the one-off task ran again"
    );
    before
}

/// The revision the set's service runs, as moto has it.
async fn service_revision(h: &Harness, props: &Value) -> String {
    let cluster = props["ClusterName"].as_str().unwrap_or_default();
    let svc = crate::inspect::service(&h.clients, cluster, "prod-e-service").await;
    svc.task_definition
}

#[tokio::test]
async fn a_migration_runs_on_each_new_revision_before_the_service_takes_it() {
    let h = Harness::new().await;
    let stack = Stack::new("migration");
    let props = properties(&h);
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let [(ran, run)] = requests(&h, 0, "RunTask").try_into().expect("one RunTask");
    // CreateService may be refused at first (a new cluster, rule 8): the first try counts.
    let creates = requests(&h, 0, "CreateService");
    let (created, service) = creates.first().expect("a CreateService");
    assert!(ran < *created, "the migration ran after CreateService");
    assert_eq!(run["taskDefinition"], service["taskDefinition"]);
    assert_eq!(run["networkConfiguration"], service["networkConfiguration"]);
    assert_eq!(
        run["overrides"]["containerOverrides"][0]["command"],
        json!(MIGRATE)
    );
    let started_by = run["startedBy"].as_str().unwrap_or_default();
    assert!(started_by.starts_with(&format!("{id}/")), "{started_by}");
    // A new image: the migration runs on the new revision before the UpdateService.
    let mut new = props.clone();
    new["Image"] = json!("nginx:2");
    let before = h.proxy.calls().len();
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    let [(ran, run)] = requests(&h, before, "RunTask")
        .try_into()
        .expect("one RunTask");
    let [(updated, update)] = requests(&h, before, "UpdateService")
        .try_into()
        .expect("one");
    assert!(ran < updated, "the migration ran after the UpdateService");
    assert_eq!(run["taskDefinition"], update["taskDefinition"]);
    // No new revision, no migration.
    let mut more = new.clone();
    more["DesiredCount"] = json!(2);
    let before = h.proxy.calls().len();
    h.invoke(stack.update(&id, &new, &more))
        .await
        .assert_success();
    assert!(
        requests(&h, before, "RunTask").is_empty(),
        "a migration ran"
    );
}

#[tokio::test]
async fn a_failing_migration_deploys_nothing_and_names_its_exit_code_and_log_stream() {
    let h = Harness::new().await;
    let stack = Stack::new("migration-fails");
    let props = properties(&h);
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, running) = (out.physical_id(), service_revision(&h, &props).await);
    h.proxy.rules.one_off_exits(&MIGRATE, 3);
    let mut new = props.clone();
    new["Image"] = json!("nginx:2");
    let before = h.proxy.calls().len();
    let failed = h.invoke(stack.update(&id, &props, &new)).await;
    assert_eq!(failed.status(), "FAILED");
    let [(_, run)] = requests(&h, before, "RunTask")
        .try_into()
        .expect("one RunTask");
    let described = requests(&h, before, "DescribeTasks");
    let (_, task) = described.last().expect("the task read");
    let arn = task["tasks"][0].as_str().unwrap_or_default();
    let task_id = arn.rsplit('/').next().unwrap_or_default();
    let stream = format!("log stream ecs/dummy-container/{task_id}");
    let reason = failed.reason();
    assert!(
        reason.contains("MigrationCommand exited with code 3"),
        "{reason}"
    );
    assert!(reason.contains(&stream), "{reason}");
    assert!(
        requests(&h, before, "UpdateService").is_empty(),
        "the service was updated"
    );
    assert_eq!(service_revision(&h, &props).await, running);
    // The revision it ran on is retired again.
    let revision = run["taskDefinition"].as_str().unwrap_or_default();
    let described = crate::inspect::task_definition(&h.clients, revision).await;
    assert_eq!(described.status, "INACTIVE");
}

#[tokio::test]
async fn a_migration_that_outlasts_its_invocation_is_waited_for_not_run_again() {
    let h = Harness::new().await;
    let stack = Stack::new("migration-long");
    let props = properties(&h);
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let mut new = props.clone();
    new["Image"] = json!("nginx:2");
    let before = across_invocations(&h, stack.update(&id, &props, &new)).await;
    let [(_, update)] = requests(&h, before, "UpdateService")
        .try_into()
        .expect("one");
    assert_eq!(
        update["taskDefinition"],
        json!(service_revision(&h, &props).await)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_stops_the_migration_its_set_left_running() {
    let h = Harness::new().await;
    h.proxy.rules.one_offs_run_for(u32::MAX);
    let stack = Stack::new("migration-cancel");
    let props = properties(&h);
    let id = stack.deployment(&props).physical_id().to_string();
    let cancelled = async {
        let started = || !requests(&h, 0, "RunTask").is_empty();
        crate::support::patience::until("the migration to start", started).await;
        h.invoke(stack.cancel_create(&props)).await
    };
    let (created, deleted) = tokio::join!(h.invoke(stack.create(&props)), cancelled);
    deleted.assert_success();
    assert_eq!(created.status(), "FAILED", "{}", created.reason());
    // The Create leaves the removal to the Delete that stopped its migration: two removals of
    // one set race each other (IAM refuses the second untag of a revision).
    assert!(
        created.reason().contains("stopped by the set's removal"),
        "{}",
        created.reason()
    );
    let untags = requests(&h, 0, "UntagResource").into_iter();
    let revisions = untags.filter(|(_, b)| {
        let arn = b["resourceArn"].as_str().unwrap_or_default();
        arn.contains(":task-definition/")
    });
    assert_eq!(revisions.count(), 1, "the revision was not untagged once");
    assert_eq!(
        requests(&h, 0, "StopTask").len(),
        1,
        "the migration was not stopped"
    );
    assert!(
        requests(&h, 0, "CreateService").is_empty(),
        "a service was made"
    );
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
}

#[tokio::test]
async fn a_create_whose_migration_fails_leaves_nothing_and_a_replacement_migrates_first() {
    let h = Harness::new().await;
    h.proxy.rules.one_off_exits(&MIGRATE, 2);
    let stack = Stack::new("migration-create");
    let props = properties(&h);
    let failed = h.invoke(stack.create(&props)).await;
    assert_eq!(failed.status(), "FAILED");
    assert!(
        failed
            .reason()
            .contains("MigrationCommand exited with code 2"),
        "{}",
        failed.reason()
    );
    assert!(
        requests(&h, 0, "CreateService").is_empty(),
        "a service was made"
    );
    let id = stack.deployment(&props).physical_id().to_string();
    crate::emulator::assert_nothing_left(&h, &id, &props).await;
    // A replacement: the new set's migration runs before its service exists.
    h.proxy.rules.one_off_exits(&MIGRATE, 0);
    let stack = Stack::new("migration-replace");
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let mut replaced = props.clone();
    replaced["ContainerPort"] = json!(8080);
    let before = h.proxy.calls().len();
    let moved = h
        .invoke(stack.update(&out.physical_id(), &props, &replaced))
        .await;
    moved.assert_success();
    assert_ne!(moved.physical_id(), out.physical_id(), "not a replacement");
    let [(ran, run)] = requests(&h, before, "RunTask")
        .try_into()
        .expect("one RunTask");
    let creates = requests(&h, before, "CreateService");
    let (created, service) = creates.first().expect("the new set's CreateService");
    assert!(
        ran < *created,
        "the migration ran after the new set's CreateService"
    );
    assert_eq!(run["taskDefinition"], service["taskDefinition"]);
}
