//! Rule 28: one-off tasks end with their container's exit code, are listed by `startedBy`
//! alone while they run, and hold their cluster until they stop.

use aws_sdk_ecs::types::{ContainerOverride, DesiredStatus, LaunchType, TaskOverride};

use super::{cluster, error, refusal, task_definition, Account};
use prod_e::aws::Clients;

/// Runs one task of `td` in `cluster` started by `by`, its container `web` running `command`.
async fn run(c: &Clients, (cluster, td): (&str, &str), by: &str, command: &str) -> String {
    let overrides = TaskOverride::builder()
        .container_overrides(
            ContainerOverride::builder()
                .name("web")
                .command(command)
                .build(),
        )
        .build();
    let out = c.ecs.run_task().cluster(cluster).task_definition(td);
    let out = out.launch_type(LaunchType::Fargate).overrides(overrides);
    let out = out.started_by(by).send().await.expect("run task");
    let task = out.tasks().first().and_then(|t| t.task_arn());
    task.expect("task arn").to_string()
}

/// (lastStatus, the container's exitCode, stopCode) of task `arn`.
async fn state(c: &Clients, cluster: &str, arn: &str) -> (String, Option<i32>, Option<String>) {
    let out = c
        .ecs
        .describe_tasks()
        .cluster(cluster)
        .tasks(arn)
        .send()
        .await;
    let out = out.expect("describe tasks");
    let task = out.tasks().first().expect("the task");
    let exit = task.containers().first().and_then(|c| c.exit_code());
    let stop = task.stop_code().map(|s| s.as_str().to_string());
    (
        task.last_status().unwrap_or_default().to_string(),
        exit,
        stop,
    )
}

async fn listed(c: &Clients, cluster: &str, by: &str) -> Vec<String> {
    let out = c
        .ecs
        .list_tasks()
        .cluster(cluster)
        .started_by(by)
        .send()
        .await;
    out.expect("list tasks").task_arns().to_vec()
}

#[tokio::test]
async fn a_one_off_task_ends_with_its_exit_code_and_holds_its_cluster() {
    let a = Account::with_ecs_role().await;
    let (cluster, td) = (
        cluster(&a.moto).await,
        task_definition(&a.aws, "nginx:1").await,
    );
    a.proxy.rules.one_off_exits(&["exit3"], 3);
    let task = run(&a.aws, (&cluster, &td), "job/1", "exit3").await;
    assert_eq!(
        listed(&a.aws, &cluster, "job/1").await,
        std::slice::from_ref(&task)
    );
    let both = a.aws.ecs.list_tasks().cluster(&cluster).started_by("job/1");
    let both = both.desired_status(DesiredStatus::Stopped).send().await;
    let only = "When you specify startedBy as the filter, it must be the only filter";
    assert_eq!(refusal(both), error("InvalidParameterException", only));
    let delete = a.aws.ecs.delete_cluster().cluster(&cluster);
    let active = "The Cluster cannot be deleted while Tasks are active.";
    let busy = error("ClusterContainsTasksException", active);
    assert_eq!(refusal(delete.clone().send().await), busy);
    assert_eq!(state(&a.aws, &cluster, &task).await.0, "RUNNING");
    let ended = state(&a.aws, &cluster, &task).await;
    let exited = (
        "STOPPED".into(),
        Some(3),
        Some("EssentialContainerExited".into()),
    );
    assert_eq!(ended, exited);
    assert!(listed(&a.aws, &cluster, "job/1").await.is_empty());
    let family = td.rsplit('/').next().and_then(|t| t.split(':').next());
    let stopped = a
        .aws
        .ecs
        .list_tasks()
        .cluster(&cluster)
        .family(family.unwrap_or_default());
    let stopped = stopped.desired_status(DesiredStatus::Stopped).send().await;
    assert_eq!(stopped.expect("list").task_arns(), [task]);
    // Stopped by StopTask: no exit code.
    let other = run(&a.aws, (&cluster, &td), "job/2", "sleep").await;
    let stop = a
        .aws
        .ecs
        .stop_task()
        .cluster(&cluster)
        .task(&other)
        .reason("done");
    stop.send().await.expect("stop task");
    let by_user = ("STOPPED".into(), None, Some("UserInitiated".into()));
    assert_eq!(state(&a.aws, &cluster, &other).await, by_user);
    delete
        .send()
        .await
        .expect("a cluster without running tasks is deleted");
}
