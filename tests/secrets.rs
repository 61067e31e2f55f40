//! Secrets (issue #14): the container gets each variable from its secret or parameter; the
//! execution role may read exactly those (and decrypt with the given key); a change rolls a
//! new revision and rewrites the policy; removing them all deletes it.

use prod_e::resources::role;
use serde_json::{json, Value};

use crate::support::{unique, Harness, Stack};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf";
const KEYED: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-XyZ123:token::";
const PARAMETER: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/app/flag";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async fn secrets_policy(h: &Harness, role: &str) -> Option<Value> {
    inline_policy(h, role, role::SECRETS_POLICY_NAME).await
}

/// Role `name`'s inline policy `policy`, if it has one.
async fn inline_policy(h: &Harness, name: &str, policy: &str) -> Option<Value> {
    let document = role::policy_document(&h.clients.iam, name, policy).await;
    serde_json::from_str(&document.ok()??).ok()
}

#[tokio::test]
async fn secrets_reach_the_container_and_the_execution_role_reads_exactly_them() {
    let h = Harness::new().await;
    let stack = Stack::new("secrets");
    let props = h.properties(json!({
        "ClusterName": format!("secrets-{}", unique()),
        "Secrets": {"DB_PASSWORD": SECRET, "API_TOKEN": KEYED, "FLAG": PARAMETER},
        "SecretsKmsKeyArn": KEY,
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let exec = stack.deployment(&props).execution_role();
    let policy = secrets_policy(&h, &exec).await.expect("the secrets policy");
    assert_eq!(
        policy["Statement"],
        json!([
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": [
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-XyZ123", SECRET]},
            {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [PARAMETER]},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": [KEY]},
        ])
    );
    let td = h
        .clients
        .ecs
        .describe_task_definition()
        .task_definition(out.data("TaskDefinitionArn"))
        .send()
        .await
        .expect("td");
    let container = &td.task_definition().expect("td").container_definitions()[0];
    let secrets: Vec<(String, String)> = container
        .secrets()
        .iter()
        .map(|s| (s.name().to_string(), s.value_from().to_string()))
        .collect();
    assert_eq!(
        secrets,
        [
            ("API_TOKEN", KEYED),
            ("DB_PASSWORD", SECRET),
            ("FLAG", PARAMETER)
        ]
        .map(|(n, v)| (n.to_string(), v.to_string()))
    );
    // prod-e never reads a secret's value.
    let read = h
        .proxy
        .calls()
        .iter()
        .any(|c| c.service == "secretsmanager" || c.service == "ssm");
    assert!(!read, "prod-e called Secrets Manager or SSM");
    // One secret fewer: a new revision and a narrower policy; none: the policy goes.
    let id = out.physical_id();
    let mut fewer = props.clone();
    fewer["Secrets"] = json!({"FLAG": PARAMETER});
    fewer["SecretsKmsKeyArn"] = json!("");
    let mut writes = h.writes_of(stack.update(&id, &props, &fewer)).await;
    writes.sort();
    assert_eq!(
        writes,
        [
            "DeregisterTaskDefinition",
            "PutRolePolicy",
            "RegisterTaskDefinition",
            "UpdateService"
        ]
    );
    let narrower = secrets_policy(&h, &exec).await.expect("policy");
    assert_eq!(
        narrower["Statement"],
        json!([{"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": [PARAMETER]}])
    );
    let mut none = fewer.clone();
    none.as_object_mut().expect("object").remove("Secrets");
    h.invoke(stack.update(&id, &fewer, &none))
        .await
        .assert_success();
    assert_eq!(secrets_policy(&h, &exec).await, None);
}

/// A private registry's credentials (issue #25): the container pulls with the secret, only the
/// execution role may read it, and without that read no task starts (the proxy's rule 20).
#[tokio::test]
async fn a_private_registry_image_pulls_with_credentials_only_the_execution_role_reads() {
    let h = Harness::new().await;
    let stack = Stack::new("registry");
    const REGISTRY: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ghcr-Qw3rTy";
    let props = h.properties(json!({
        "ClusterName": format!("registry-{}", unique()),
        "Image": "ghcr.io/acme/private-app:1.4",
        "RepositoryCredentials": {"CredentialsParameter": REGISTRY},
    }));
    let out = h.invoke(stack.create(&props)).await;
    out.assert_success();
    let exec = stack.deployment(&props).execution_role();
    let policy = secrets_policy(&h, &exec).await.expect("the secrets policy");
    let reads = json!([{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                         "Resource": [REGISTRY]}]);
    assert_eq!(policy["Statement"], reads);
    let td = h.clients.ecs.describe_task_definition();
    let td = td
        .task_definition(out.data("TaskDefinitionArn"))
        .send()
        .await
        .expect("td");
    let container = &td.task_definition().expect("td").container_definitions()[0];
    let credentials = container
        .repository_credentials()
        .map(|c| c.credentials_parameter());
    assert_eq!(credentials, Some(REGISTRY));
    // Without the read (an execution role someone narrowed), the next revision never starts.
    let iam = &h.clients.iam;
    let dropped = iam
        .delete_role_policy()
        .role_name(&exec)
        .policy_name("prod-e-secrets");
    dropped.send().await.expect("the read taken away");
    let mut next = props.clone();
    next["Image"] = json!("ghcr.io/acme/private-app:1.5");
    let id = out.physical_id();
    let failed = h.invoke(stack.update(&id, &props, &next)).await;
    assert_eq!(failed.status(), "FAILED", "{:?}", failed.response);
    assert!(
        failed
            .reason()
            .contains("unable to pull secrets or registry auth"),
        "{}",
        failed.reason()
    );
    h.invoke(stack.delete(&id, &props)).await.assert_success();
}

/// An image behind an ECR pull-through cache (issue #25): with the operator's prefix
/// (`PullThroughCacheRepositoryArns`) the execution role may import into exactly its repository;
/// without it the role may only pull, and no task starts (the proxy's rule 21).
#[tokio::test]
async fn a_pull_through_cache_image_is_imported_by_the_execution_role() {
    use crate::support::{ACCOUNT, REGION};
    let mut h = Harness::new().await;
    h.proxy.rules.pull_through_cache("docker-hub");
    let registry = format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com");
    let image = format!("{registry}/docker-hub/library/nginx:1.27");
    let repository = format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/docker-hub/library/nginx");
    let props = |h: &Harness, name: &str| {
        h.properties(json!({"ClusterName": format!("{name}-{}", unique()), "Image": image}))
    };
    let (stack, off) = (Stack::new("cache-off"), props(&h, "cache-off"));
    let refused = h.invoke(stack.create(&off)).await;
    assert_eq!(refused.status(), "FAILED", "{:?}", refused.response);
    let import = format!("ecr:BatchImportUpstreamImage on {repository}");
    assert!(refused.reason().contains(&import), "{}", refused.reason());
    let cache = format!("arn:aws:ecr:{REGION}:{ACCOUNT}:repository/docker-hub/*");
    h.provider.clients.roles.pull_through_repositories = vec![cache];
    let (stack, on) = (Stack::new("cache-on"), props(&h, "cache-on"));
    let out = h.invoke(stack.create(&on)).await;
    out.assert_success();
    let exec = stack.deployment(&on).execution_role();
    let policy = inline_policy(&h, &exec, role::EXECUTION_POLICY_NAME).await;
    let policy = policy.expect("the execution policy");
    let imports = json!({"Effect": "Allow",
        "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"], "Resource": [repository]});
    assert_eq!(policy["Statement"][3], imports);
    h.invoke(stack.delete(&out.physical_id(), &on))
        .await
        .assert_success();
}
