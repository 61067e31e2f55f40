//! The function's IAM policy in `bootstrap-template.yaml` is least privilege, judged against
//! what the code really calls: every AWS call a full lifecycle makes (recorded by the proxy,
//! with the resource it acts on) is allowed by a statement for that resource, and every
//! action the policy grants is used by some call.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{json, Value};
use serde_norway::Value as Yaml;

use crate::support::http::percent_decode;
use crate::support::proxy::{Call, Proxy};
use crate::support::rollout::Rollout;
use crate::support::{moto, unique, Harness, Stack, ACCOUNT, REGION};

/// One statement, with `!Sub` and `!Ref` resolved for the test's account, region and network.
#[derive(Debug)]
struct Statement {
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
}

fn statements(h: &Harness) -> Vec<Statement> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bootstrap-template.yaml");
    let template: Yaml =
        serde_norway::from_str(&std::fs::read_to_string(path).expect("template")).expect("yaml");
    let policies = &template["Resources"]["ProvisionerFunction"]["Properties"]["Policies"];
    let resolve = |v: &Yaml| -> String {
        let text = match v {
            Yaml::Tagged(t) if t.tag == "Ref" => {
                format!("${{{}}}", t.value.as_str().unwrap_or_default())
            }
            Yaml::Tagged(t) => t.value.as_str().unwrap_or_default().to_string(),
            other => other.as_str().unwrap_or_default().to_string(),
        };
        text.replace("${AWS::Partition}", "aws")
            .replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT)
            .replace("${VpcId}", &h.network.vpc_id)
            .replace("${ListenerArn}", &h.network.listener_arn)
            .replace("${AWS::StackName}", "prod-e")
    };
    let list = |v: &Yaml| -> Vec<String> {
        match v {
            Yaml::Sequence(items) => items.iter().map(resolve).collect(),
            other => vec![resolve(other)],
        }
    };
    let mut out = Vec::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        for s in policy["Statement"].as_sequence().into_iter().flatten() {
            out.push(Statement {
                sid: s["Sid"].as_str().unwrap_or_default().to_string(),
                actions: list(&s["Action"]),
                resources: list(&s["Resource"]),
            });
        }
    }
    out
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            text.starts_with(head)
                && (0..=text.len() - head.len()).any(|i| {
                    text.is_char_boundary(head.len() + i) && glob(rest, &text[head.len() + i..])
                })
        }
    }
}

/// The (action, resource ARN) pairs IAM evaluates for one recorded call, implied ones included
/// (tagging on create, passing roles).
fn evaluated(call: &Call) -> Vec<(String, String)> {
    let svc = if call.service == "elasticloadbalancing" {
        "elasticloadbalancing"
    } else {
        call.service.as_str()
    };
    let mut action = format!("{svc}:{}", call.action);
    let form: BTreeMap<String, String> = call
        .body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let body: Value = serde_json::from_str(&call.body).unwrap_or(Value::Null);
    let field = |k: &str| {
        form.get(k)
            .cloned()
            .or_else(|| body[k].as_str().map(str::to_string))
    };
    let arn = |kind: &str, tail: String| format!("arn:aws:{kind}:{REGION}:{ACCOUNT}:{tail}");
    let role = |name: String| format!("arn:aws:iam::{ACCOUNT}:role/{name}");
    let cluster_of = |c: String| c.rsplit('/').next().unwrap_or(&c).to_string();
    let mut pairs = vec![];
    let resource = match (svc, call.action.as_str()) {
        ("iam", _) => field("RoleName").map(role),
        ("ec2", "CreateSecurityGroup") => {
            pairs.push((
                action.clone(),
                arn("ec2", format!("vpc/{}", field("VpcId").unwrap_or_default())),
            ));
            pairs.push((
                "ec2:CreateTags".into(),
                arn("ec2", "security-group/sg-new".into()),
            ));
            Some(arn("ec2", "security-group/sg-new".into()))
        }
        ("ec2", "CreateTags" | "DeleteTags") => {
            field("ResourceId.1").map(|g| arn("ec2", format!("security-group/{g}")))
        }
        ("ec2", a) if a.starts_with("Describe") => Some("*".into()),
        ("ec2", _) => field("GroupId").map(|g| arn("ec2", format!("security-group/{g}"))),
        ("logs", "DescribeLogGroups") => Some("*".into()),
        ("logs", "CreateLogGroup") => {
            let g = arn(
                "logs",
                format!("log-group:{}", field("logGroupName").unwrap_or_default()),
            );
            pairs.push(("logs:TagResource".into(), g.clone()));
            Some(g)
        }
        ("logs", "TagResource" | "UntagResource" | "ListTagsForResource") => field("resourceArn"),
        ("logs", _) => field("logGroupName").map(|g| arn("logs", format!("log-group:{g}"))),
        (
            "ecs",
            "ListTaskDefinitions"
            | "DescribeTaskDefinition"
            | "RegisterTaskDefinition"
            | "DeregisterTaskDefinition",
        ) => {
            if call.action == "RegisterTaskDefinition" {
                for key in ["executionRoleArn", "taskRoleArn"] {
                    pairs.push(("iam:PassRole".into(), field(key).unwrap_or_default()));
                }
                pairs.push((
                    "ecs:TagResource".into(),
                    arn(
                        "ecs",
                        format!("task-definition/{}:1", field("family").unwrap_or_default()),
                    ),
                ));
            }
            Some("*".into())
        }
        ("ecs", "CreateCluster") => {
            let c = arn(
                "ecs",
                format!("cluster/{}", field("clusterName").unwrap_or_default()),
            );
            pairs.push(("ecs:TagResource".into(), c.clone()));
            Some(c)
        }
        ("ecs", "DescribeClusters") => body["clusters"][0]
            .as_str()
            .map(|c| arn("ecs", format!("cluster/{}", cluster_of(c.into())))),
        ("ecs", "DeleteCluster") => {
            field("cluster").map(|c| arn("ecs", format!("cluster/{}", cluster_of(c))))
        }
        ("ecs", "CreateService") => {
            let s = arn(
                "ecs",
                format!(
                    "service/{}/{}",
                    cluster_of(field("cluster").unwrap_or_default()),
                    field("serviceName").unwrap_or_default()
                ),
            );
            pairs.push(("ecs:TagResource".into(), s.clone()));
            Some(s)
        }
        ("ecs", "DescribeServices") => {
            let name = body["services"][0].as_str().unwrap_or_default();
            Some(arn(
                "ecs",
                format!(
                    "service/{}/{}",
                    cluster_of(field("cluster").unwrap_or_default()),
                    name
                ),
            ))
        }
        ("ecs", "UpdateService" | "DeleteService") => Some(arn(
            "ecs",
            format!(
                "service/{}/{}",
                cluster_of(field("cluster").unwrap_or_default()),
                field("service").unwrap_or_default()
            ),
        )),
        ("ecs", "TagResource" | "UntagResource") => field("resourceArn"),
        ("elasticloadbalancing", a) if a.starts_with("Describe") => Some("*".into()),
        ("elasticloadbalancing", "CreateTargetGroup") => {
            let tg = arn(
                "elasticloadbalancing",
                format!("targetgroup/{}/new", field("Name").unwrap_or_default()),
            );
            pairs.push(("elasticloadbalancing:AddTags".into(), tg.clone()));
            Some(tg)
        }
        ("elasticloadbalancing", "CreateRule") => {
            let rule = field("ListenerArn")
                .unwrap_or_default()
                .replace(":listener/", ":listener-rule/")
                + "/new";
            pairs.push(("elasticloadbalancing:AddTags".into(), rule));
            field("ListenerArn")
        }
        ("elasticloadbalancing", "AddTags" | "RemoveTags") => field("ResourceArns.member.1"),
        ("elasticloadbalancing", "SetRulePriorities") => field("RulePriorities.member.1.RuleArn"),
        ("elasticloadbalancing", _) => field("TargetGroupArn").or_else(|| field("RuleArn")),
        ("lambda", "Invoke") => {
            action = "lambda:InvokeFunction".into();
            call.target.split('/').nth(3).map(percent_decode)
        }
        _ => None,
    };
    pairs.push((
        action,
        resource.unwrap_or_else(|| format!("(no resource read from {})", call.body)),
    ));
    pairs
}

#[tokio::test]
async fn the_function_policy_allows_exactly_what_the_code_calls() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    // A whole lifecycle: a Create whose rollout outlasts its invocation (so that it goes on
    // in another), an Update of every in-place group, a replacement, CloudFormation's cleanup
    // Delete of the replaced set, and the stack's Delete.
    let stack = Stack::new("policy");
    let props =
        h.properties(json!({"ClusterName": format!("policy-{}", unique()), "Tags": {"a": "1"}}));
    proxy
        .rollouts
        .set_for_new(Rollout::Slow(Duration::from_secs(5)));
    let (created, invocations) = h
        .invoke_to_the_end(stack.create(&props), Duration::from_secs(8))
        .await;
    created.assert_success();
    assert!(
        invocations >= 2,
        "the Create did not continue in another invocation"
    );
    proxy.rollouts.set_for_new(Rollout::Done);
    let id = created.physical_id();
    let other_sg = h.network.another_security_group(&h.clients).await;
    let mut new = props.clone();
    for (k, v) in [
        ("Image", json!("nginx")),
        ("DesiredCount", json!(2)),
        ("HealthCheckPath", json!("/h")),
        ("RulePriority", json!(5)),
        ("PathPattern", json!("/x/*")),
        ("LogRetentionDays", json!(7)),
        ("Tags", json!({"b": "2"})),
        ("LoadBalancerSecurityGroupId", json!(other_sg)),
        ("AssignPublicIp", json!(true)),
    ] {
        new[k] = v;
    }
    h.invoke(stack.update(&id, &props, &new))
        .await
        .assert_success();
    // An operator added an inline policy to our role: Delete must remove it first.
    let d = prod_e::naming::Deployment::parse(&id).expect("id");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    h.clients
        .iam
        .put_role_policy()
        .role_name(d.task_role())
        .policy_name("extra")
        .policy_document(doc)
        .send()
        .await
        .expect("inline policy");
    let mut replaced = new.clone();
    replaced["ContainerPort"] = json!(8080);
    let out = h.invoke(stack.update(&id, &new, &replaced)).await;
    out.assert_success();
    let new_id = out.physical_id();
    h.invoke(stack.delete(&id, &new)).await.assert_success();
    crate::inspect::assert_nothing_left(&h.clients, &id, &new).await;
    h.invoke(stack.delete(&new_id, &replaced))
        .await
        .assert_success();
    crate::inspect::assert_nothing_of(&h.clients, &stack).await;

    let statements = statements(&h);
    let mut denied = BTreeSet::new();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    for call in proxy.calls() {
        for (action, resource) in evaluated(&call) {
            let allowing = statements.iter().find(|s| {
                s.actions.iter().any(|a| glob(a, &action))
                    && s.resources.iter().any(|r| glob(r, &resource))
            });
            match allowing {
                Some(s) => {
                    used.insert((s.sid.clone(), action.clone()));
                }
                None => {
                    denied.insert(format!("{action} on {resource}"));
                }
            }
        }
    }
    assert!(
        denied.is_empty(),
        "calls the policy does not allow:\n{}",
        denied.into_iter().collect::<Vec<_>>().join("\n")
    );
    let unused: Vec<String> = statements
        .iter()
        .flat_map(|s| s.actions.iter().map(move |a| (s.sid.clone(), a.clone())))
        .filter(|grant| !used.contains(grant))
        .map(|(sid, a)| format!("{sid}: {a}"))
        .collect();
    assert!(
        unused.is_empty(),
        "permissions no call used:\n{}",
        unused.join("\n")
    );
}
