//! Task-role permissions under a boundary (issue #14): both roles are created under the
//! template's permissions boundaries; `TaskRolePolicyArns` and `TaskRolePolicy` are granted on
//! Create, changed in place with only their own writes, carried over by a replacement, and a
//! role made before boundaries is given its boundary before it is granted more; re-applying
//! every property converges the role to exactly the listed policies.

use serde_json::{json, Value};

use crate::support::{
    unique, Harness, Stack, ACCOUNT, EXECUTION_ROLE_BOUNDARY, REGION, TASK_ROLE_BOUNDARY,
};

const S3_READ: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const DYNAMODB_READ: &str = "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess";

/// A policy document allowing `action` on everything.
fn allowing(action: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})
}

/// A role's boundary, managed policies (sorted) and `prod-e-task-policy` document.
async fn grants(h: &Harness, role: &str) -> (Option<String>, Vec<String>, Option<Value>) {
    let iam = &h.clients.iam;
    let got = iam.get_role().role_name(role).send().await.expect("role");
    let boundary = got.role().and_then(|r| r.permissions_boundary());
    let boundary = boundary.and_then(|b| b.permissions_boundary_arn().map(str::to_string));
    let listed = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await;
    let mut attached: Vec<String> = listed
        .expect("attached")
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect();
    attached.sort();
    (
        boundary,
        attached,
        inline(h, role, "prod-e-task-policy").await,
    )
}

/// Role `role`'s inline policy `name`, if it has one.
async fn inline(h: &Harness, role: &str, name: &str) -> Option<Value> {
    let got = h
        .clients
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(name);
    let out = got.send().await.ok()?;
    serde_json::from_str(&crate::support::http::percent_decode(out.policy_document())).ok()
}

#[tokio::test]
async fn task_role_grants_change_in_place_and_follow_a_replacement() {
    let h = Harness::new().await;
    let stack = Stack::new("task-role");
    let props = h.properties(json!({
        "ClusterName": format!("task-role-{}", unique()),
        "TaskRolePolicyArns": [S3_READ],
        // As a string, as a JSON template may give it.
        "TaskRolePolicy": allowing("sqs:SendMessage").to_string(),
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, d) = (out.physical_id(), stack.deployment(&props));
    assert_eq!(
        grants(&h, &d.task_role()).await,
        (
            Some(TASK_ROLE_BOUNDARY.into()),
            vec![S3_READ.into()],
            Some(allowing("sqs:SendMessage"))
        )
    );
    let exec = grants(&h, &d.execution_role()).await;
    assert_eq!(exec.0.as_deref(), Some(EXECUTION_ROLE_BOUNDARY));

    // Another managed policy and another inline policy: only the role is written.
    let mut changed = props.clone();
    changed["TaskRolePolicyArns"] = json!([DYNAMODB_READ]);
    changed["TaskRolePolicy"] = allowing("sqs:ReceiveMessage");
    let mut writes = h.writes_of(stack.update(&id, &props, &changed)).await;
    writes.sort();
    assert_eq!(
        writes,
        ["AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy"]
    );
    let (_, attached, inline) = grants(&h, &d.task_role()).await;
    assert_eq!(
        (attached, inline),
        (
            vec![DYNAMODB_READ.to_string()],
            Some(allowing("sqs:ReceiveMessage"))
        )
    );

    // A replacement's new role has the same grants, under the boundary.
    let mut replaced = changed.clone();
    replaced["ContainerPort"] = json!(8080);
    let out = h.invoke(stack.update(&id, &changed, &replaced)).await;
    out.assert_success();
    let new_id = out.physical_id();
    let new_role = prod_e::naming::Deployment::parse(&new_id)
        .expect("id")
        .task_role();
    assert_eq!(
        grants(&h, &new_role).await,
        (
            Some(TASK_ROLE_BOUNDARY.into()),
            vec![DYNAMODB_READ.into()],
            Some(allowing("sqs:ReceiveMessage"))
        )
    );
    h.invoke(stack.delete(&id, &changed)).await.assert_success();

    // Without them: the policy is deleted and the managed one detached.
    let mut without = replaced.clone();
    for k in ["TaskRolePolicyArns", "TaskRolePolicy"] {
        without.as_object_mut().expect("object").remove(k);
    }
    h.invoke(stack.update(&new_id, &replaced, &without))
        .await
        .assert_success();
    assert_eq!(
        grants(&h, &new_role).await,
        (Some(TASK_ROLE_BOUNDARY.into()), vec![], None)
    );
    h.invoke(stack.delete(&new_id, &without))
        .await
        .assert_success();
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;
}

#[tokio::test]
async fn a_role_made_before_boundaries_gets_its_boundary_before_a_grant_and_converges() {
    let h = Harness::new().await;
    let stack = Stack::new("old-role");
    let props = h.properties(json!({"ClusterName": format!("old-role-{}", unique())}));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, role) = (out.physical_id(), stack.deployment(&props).task_role());
    h.clients
        .iam
        .delete_role_permissions_boundary()
        .role_name(&role)
        .send()
        .await
        .expect("boundary removed");
    let mut granted = props.clone();
    granted["TaskRolePolicy"] = allowing("s3:GetObject");
    let writes = h.writes_of(stack.update(&id, &props, &granted)).await;
    // IAM lets the function put a policy on a task role only while it carries the boundary.
    assert_eq!(writes, ["PutRolePermissionsBoundary", "PutRolePolicy"]);
    assert_eq!(
        grants(&h, &role).await,
        (
            Some(TASK_ROLE_BOUNDARY.into()),
            vec![],
            Some(allowing("s3:GetObject"))
        )
    );
    // A policy a failed Update attached, then CloudFormation's rollback whose old properties
    // do not validate: every property is re-applied and the role converges to the list.
    h.clients
        .iam
        .attach_role_policy()
        .role_name(&role)
        .policy_arn(S3_READ)
        .send()
        .await
        .expect("attached");
    let mut invalid = granted.clone();
    invalid["DesiredCount"] = json!(-1);
    h.invoke(stack.update(&id, &invalid, &granted))
        .await
        .assert_success();
    assert_eq!(grants(&h, &role).await.1, Vec::<String>::new());
    h.invoke(stack.delete(&id, &granted)).await.assert_success();
}

/// Execution roles (issue #24): each may pull only its own image's ECR repository and write its
/// own log group; one an older prod-e gave AmazonECSTaskExecutionRolePolicy (every repository)
/// loses it at its next Update, once the new policy is in place.
#[tokio::test]
async fn an_execution_role_pulls_only_its_own_repository() {
    const LEGACY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
    let h = Harness::new().await;
    let stack = Stack::new("exec-role");
    let image = format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team-a/web");
    let props = h.properties(json!({
        "ClusterName": format!("exec-role-{}", unique()),
        "Image": format!("{image}:1"),
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let id = out.physical_id();
    let exec = prod_e::naming::Deployment::parse(&id)
        .expect("id")
        .execution_role();
    let resources = |policy: Option<Value>| -> Vec<Value> {
        let statements = policy.expect("the execution policy")["Statement"].clone();
        let statements = statements.as_array().cloned().unwrap_or_default();
        statements.iter().map(|s| s["Resource"].clone()).collect()
    };
    let group = format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/{id}:*");
    let repository = format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team-a/web");
    let want = vec![json!([group]), json!(["*"]), json!([repository])];
    assert_eq!(resources(inline(&h, &exec, "prod-e-execution").await), want);
    assert_eq!(grants(&h, &exec).await.1, Vec::<String>::new());

    let iam = &h.clients.iam;
    let legacy = iam.attach_role_policy().role_name(&exec).policy_arn(LEGACY);
    legacy.send().await.expect("an older prod-e's grant");
    let mut next = props.clone();
    next["Image"] = json!(format!("{image}:2"));
    h.invoke(stack.update(&id, &props, &next))
        .await
        .assert_success();
    assert_eq!(grants(&h, &exec).await.1, Vec::<String>::new());
    assert_eq!(resources(inline(&h, &exec, "prod-e-execution").await), want);
    h.invoke(stack.delete(&id, &next)).await.assert_success();
}

/// Turns the set's task role into one as an older prod-e made it: the same role under the
/// set's own name (`<id>-task`), tags, boundary and grants. Returns its ARN.
pub async fn as_an_older_version_named_it(h: &Harness, d: &prod_e::naming::Deployment) -> String {
    let iam = &h.clients.iam;
    let (name, legacy) = (d.task_role(), d.legacy_task_role());
    let got = iam.get_role().role_name(&name).send().await.expect("role");
    let role = got.role().expect("role").clone();
    let trust =
        crate::support::http::percent_decode(role.assume_role_policy_document().expect("trust"));
    let made = iam
        .create_role()
        .role_name(&legacy)
        .assume_role_policy_document(trust)
        .set_tags(Some(role.tags().to_vec()))
        .permissions_boundary(TASK_ROLE_BOUNDARY)
        .send()
        .await
        .expect("the older name");
    for arn in grants(h, &name).await.1 {
        let detach = iam.detach_role_policy().role_name(&name).policy_arn(&arn);
        detach.send().await.expect("detached");
        let attach = iam.attach_role_policy().role_name(&legacy).policy_arn(&arn);
        attach.send().await.expect("attached");
    }
    iam.delete_role_permissions_boundary()
        .role_name(&name)
        .send()
        .await
        .expect("boundary removed");
    iam.delete_role()
        .role_name(&name)
        .send()
        .await
        .expect("deleted");
    made.role().expect("role").arn().to_string()
}

/// A task role an older prod-e named after its set keeps its ARN through a replacement, is
/// found by the Updates after it under its maker's name, and goes with the stack.
#[tokio::test]
async fn a_task_role_an_older_version_named_outlives_replacements() {
    let h = Harness::new().await;
    let stack = Stack::new("legacy-role");
    let props = h.properties(json!({
        "ClusterName": format!("legacy-role-{}", unique()),
        "TaskRolePolicyArns": [S3_READ],
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let (id, d) = (out.physical_id(), stack.deployment(&props));
    let legacy = as_an_older_version_named_it(&h, &d).await;
    let mut moved = props.clone();
    moved["ContainerPort"] = json!(8080);
    let replaced = h.invoke(stack.update(&id, &props, &moved)).await;
    replaced.assert_success();
    assert_eq!(replaced.data("TaskRoleArn"), legacy);
    h.invoke(stack.delete(&id, &props)).await.assert_success();
    let mut granted = moved.clone();
    granted["TaskRolePolicyArns"] = json!([DYNAMODB_READ]);
    let new_id = replaced.physical_id();
    let updated = h.invoke(stack.update(&new_id, &moved, &granted)).await;
    updated.assert_success();
    assert_eq!(updated.data("TaskRoleArn"), legacy);
    let attached = grants(&h, &d.legacy_task_role()).await.1;
    assert_eq!(attached, vec![DYNAMODB_READ.to_string()]);
    h.invoke(stack.delete(&new_id, &granted))
        .await
        .assert_success();
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;
}
