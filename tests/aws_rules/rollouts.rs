//! Rule 9: rollouts follow the task definition.

use aws_sdk_ecs::types::Service;

use super::{cluster, described, service, task_definition, Account};

#[tokio::test]
async fn a_crashing_task_definition_fails_or_is_rolled_back() {
    let a = Account::with_ecs_role().await;
    a.proxy.rules.fresh_reads(0);
    a.proxy.rollouts.crash_image("nginx:broken");
    let cluster = cluster(&a.moto).await;
    let good = task_definition(&a.aws, "nginx:1.27").await;
    let repl = task_definition(&a.aws, "public.ecr.aws/docker/library/node:16").await;
    let marked = task_definition(&a.aws, "docker.io/library/nginx:broken").await;
    let show = |name: &'static str| {
        let (aws, cluster) = (&a.aws, &cluster);
        async move { described(aws, cluster, name).await.expect("service") }
    };
    let deployments = |s: &Service| -> Vec<(String, String, String)> {
        let text = |t: Option<&str>| t.unwrap_or_default().to_string();
        let d = s.deployments().iter();
        d.map(|d| {
            let state = d.rollout_state().map(|r| r.as_str());
            (text(d.status()), text(d.task_definition()), text(state))
        })
        .collect()
    };
    let events = |s: &Service| -> Vec<String> {
        let messages = s.events().iter().filter_map(|e| e.message());
        messages.map(str::to_string).collect()
    };
    let triple = |status: &str, td: &str, state: &str| (status.into(), td.into(), state.into());
    for (name, td) in [("repl", &repl), ("marked", &marked)] {
        service(&a.aws, &cluster, name, td)
            .send()
            .await
            .expect("create");
        let s = show(name).await;
        assert_eq!(deployments(&s), [triple("PRIMARY", td, "FAILED")]);
        assert_eq!(s.running_count(), 0);
        let failed = events(&s);
        assert!(failed[0].ends_with("deployment failed: tasks failed to start."));
        assert!(failed[1].ends_with("essential container in task exited"));
    }
    service(&a.aws, &cluster, "update", &good)
        .send()
        .await
        .expect("create");
    let update = a
        .aws
        .ecs
        .update_service()
        .cluster(&cluster)
        .service("update");
    update.task_definition(&repl).send().await.expect("update");
    let rolling = show("update").await;
    let both = [
        triple("PRIMARY", &good, "IN_PROGRESS"),
        triple("ACTIVE", &repl, "FAILED"),
    ];
    assert_eq!(deployments(&rolling), both);
    let back = show("update").await;
    assert_eq!(deployments(&back), [triple("PRIMARY", &good, "COMPLETED")]);
    assert_eq!(
        (back.task_definition(), back.running_count()),
        (Some(good.as_str()), 1)
    );
    let steady = events(&back);
    assert_eq!(steady[0], "(service update) has reached a steady state.");
    assert!(steady[1].starts_with("(service update) rolling back to deployment ecs-svc/"));
    assert!(steady[2].ends_with("deployment failed: tasks failed to start."));
}
