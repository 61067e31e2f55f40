//! The function's IAM policy in `bootstrap-template.yaml` is least privilege, judged against
//! what the code really calls: every AWS call a whole life of a stack resource makes (recorded
//! by the proxy, with the resource it acts on) is allowed by a statement for that resource
//! whose conditions hold — the tags in the request (`aws:RequestTag`), the tags the resource
//! carried when the call was made (`aws:ResourceTag`, read from moto by a probe before the
//! call is forwarded), the role's target service, the policy attached — and every action each
//! statement grants is used by some call.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{json, Value};
use serde_norway::Value as Yaml;

use crate::support::http::percent_decode;
use crate::support::proxy::{Call, Fault, Proxy};
use crate::support::rollout::Rollout;
use crate::support::{moto, unique, Harness, Stack, ACCOUNT, REGION};
use prod_e::aws::Clients;

/// One statement, with `!Sub` and `!Ref` resolved for the test's account, region and network.
#[derive(Debug)]
struct Statement {
    sid: String,
    actions: Vec<String>,
    resources: Vec<String>,
    /// (condition key, pattern): all must hold. Operators are StringLike, StringEquals and
    /// ArnEquals, all matched as globs here (the values have no wildcards of their own).
    conditions: Vec<(String, String)>,
}

/// What IAM would know about one (action, resource) pair when it evaluates the conditions.
#[derive(Debug, Default)]
struct Context {
    /// The ownership tag in the request, if it sets one.
    request_owner: Option<String>,
    /// The ownership tag the resource carried when the call was made.
    resource_owner: Option<String>,
    /// Other condition keys (iam:PassedToService, iam:PolicyARN).
    values: BTreeMap<String, String>,
}

impl Context {
    fn holds(&self, key: &str, pattern: &str) -> bool {
        match key {
            "aws:RequestTag/prod-e:physical-id" => self
                .request_owner
                .as_deref()
                .is_some_and(|v| glob(pattern, v)),
            "aws:ResourceTag/prod-e:physical-id" => self
                .resource_owner
                .as_deref()
                .is_some_and(|v| glob(pattern, v)),
            other => self.values.get(other).is_some_and(|v| glob(pattern, v)),
        }
    }
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
            let mut conditions = Vec::new();
            for (_operator, pairs) in s["Condition"].as_mapping().into_iter().flatten() {
                for (key, value) in pairs.as_mapping().into_iter().flatten() {
                    let key = key.as_str().unwrap_or_default().to_string();
                    conditions.push((key, resolve(value)));
                }
            }
            out.push(Statement {
                sid: s["Sid"].as_str().unwrap_or_default().to_string(),
                actions: list(&s["Action"]),
                resources: list(&s["Resource"]),
                conditions,
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

/// The value of the ownership tag a request sets, in any of the wire formats: form
/// (`...Key=prod-e:physical-id&...Value=v`) or JSON (`{"key": ..., "value": v}` lists, or maps).
fn request_owner(call: &Call) -> Option<String> {
    const KEY: &str = "prod-e:physical-id";
    let Fields { form, body } = Fields::of(call);
    let in_form = form
        .iter()
        .find(|(name, value)| name.ends_with("Key") && value.as_str() == KEY)
        .and_then(|(name, _)| form.get(&format!("{}Value", name.trim_end_matches("Key"))))
        .cloned();
    fn in_json(v: &Value) -> Option<String> {
        match v {
            Value::Object(map) => {
                let key = map.get("key").or_else(|| map.get("Key"));
                if key.and_then(Value::as_str) == Some(KEY) {
                    let value = map.get("value").or_else(|| map.get("Value"));
                    return value.and_then(Value::as_str).map(str::to_string);
                }
                if let Some(v) = map.get(KEY).and_then(Value::as_str) {
                    return Some(v.to_string());
                }
                map.values().find_map(in_json)
            }
            Value::Array(items) => items.iter().find_map(in_json),
            _ => None,
        }
    }
    in_form.or_else(|| in_json(&body))
}

/// A request's parameters: form fields (query protocols) or top-level JSON strings.
struct Fields {
    form: BTreeMap<String, String>,
    body: Value,
}

impl Fields {
    fn of(call: &Call) -> Fields {
        Fields {
            form: call
                .body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), percent_decode(v)))
                .collect(),
            body: serde_json::from_str(&call.body).unwrap_or(Value::Null),
        }
    }

    fn get(&self, k: &str) -> Option<String> {
        self.form
            .get(k)
            .cloned()
            .or_else(|| self.body[k].as_str().map(str::to_string))
    }
}

/// The probe: the ownership tag the resource a changing call acts on carries now (read from
/// moto before the call is forwarded); `None` for calls that create or only read.
async fn resource_owner(c: &Clients, call: &Call) -> Option<String> {
    use prod_e::naming::OWNER_TAG;
    let fields = Fields::of(call);
    let field = |k: &str| fields.get(k);
    let role_owned = |name: String| async move {
        let out = c.iam.list_role_tags().role_name(name).send().await.ok()?;
        let tag = out.tags().iter().find(|t| t.key() == OWNER_TAG)?;
        Some(tag.value().to_string())
    };
    let elb_owned = |arn: String| async move {
        let out = c.elb.describe_tags().resource_arns(arn).send().await.ok()?;
        let tags = out.tag_descriptions().first()?.tags();
        let tag = tags.iter().find(|t| t.key() == Some(OWNER_TAG))?;
        tag.value().map(str::to_string)
    };
    let ecs_owned = |arn: String| async move {
        let out = c
            .ecs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .ok()?;
        let tag = out.tags().iter().find(|t| t.key() == Some(OWNER_TAG))?;
        tag.value().map(str::to_string)
    };
    let logs_owned = |arn: String| async move {
        let out = c
            .logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .ok()?;
        out.tags()?.get(OWNER_TAG).cloned()
    };
    let sg_owned = |id: String| async move {
        let out = c
            .ec2
            .describe_security_groups()
            .group_ids(id)
            .send()
            .await
            .ok()?;
        let group = out.security_groups().first()?;
        let tag = group.tags().iter().find(|t| t.key() == Some(OWNER_TAG))?;
        tag.value().map(str::to_string)
    };
    let log_arn = |name: String| format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}");
    let ecs_arn = |tail: String| format!("arn:aws:ecs:{REGION}:{ACCOUNT}:{tail}");
    let short = |arn: String| arn.rsplit('/').next().unwrap_or(&arn).to_string();
    match (call.service.as_str(), call.action.as_str()) {
        ("iam", "CreateRole" | "GetRole" | "ListAttachedRolePolicies" | "ListRolePolicies") => None,
        ("iam", _) => role_owned(field("RoleName")?).await,
        ("ecs", "RegisterTaskDefinition") => {
            // The roles it passes: both must carry the tag (the execution role's value stands
            // for both).
            let task = role_owned(short(field("taskRoleArn")?)).await;
            role_owned(short(field("executionRoleArn")?))
                .await
                .filter(|_| task.is_some())
        }
        ("ecs", "DeleteCluster") => {
            ecs_owned(ecs_arn(format!("cluster/{}", short(field("cluster")?)))).await
        }
        ("ecs", "UpdateService" | "DeleteService") => {
            let (cluster, service) = (short(field("cluster")?), field("service")?);
            ecs_owned(ecs_arn(format!("service/{cluster}/{service}"))).await
        }
        ("ecs", "TagResource" | "UntagResource") => ecs_owned(field("resourceArn")?).await,
        ("ec2", "CreateTags" | "DeleteTags") => sg_owned(field("ResourceId.1")?).await,
        (
            "ec2",
            "AuthorizeSecurityGroupIngress" | "RevokeSecurityGroupIngress" | "DeleteSecurityGroup",
        ) => sg_owned(field("GroupId")?).await,
        ("logs", "PutRetentionPolicy" | "DeleteLogGroup") => {
            logs_owned(log_arn(field("logGroupName")?)).await
        }
        ("logs", "TagResource" | "UntagResource") => logs_owned(field("resourceArn")?).await,
        ("elasticloadbalancing", a) if !a.starts_with("Describe") && !a.starts_with("Create") => {
            let arn = field("TargetGroupArn")
                .or_else(|| field("RuleArn"))
                .or_else(|| field("ResourceArns.member.1"))
                .or_else(|| field("RulePriorities.member.1.RuleArn"))?;
            elb_owned(arn).await
        }
        _ => None,
    }
}

/// The (action, resource ARN, context) triples IAM evaluates for one recorded call, implied
/// ones included (tagging on create, passing roles).
fn evaluated(call: &Call) -> Vec<(String, String, Context)> {
    let svc = if call.service == "elasticloadbalancing" {
        "elasticloadbalancing"
    } else {
        call.service.as_str()
    };
    let mut action = format!("{svc}:{}", call.action);
    let fields = Fields::of(call);
    let field = |k: &str| fields.get(k);
    let arn = |kind: &str, tail: String| format!("arn:aws:{kind}:{REGION}:{ACCOUNT}:{tail}");
    let role = |name: String| format!("arn:aws:iam::{ACCOUNT}:role/{name}");
    let cluster_of = |c: String| c.rsplit('/').next().unwrap_or(&c).to_string();
    let mut pairs = vec![];
    let resource = match (svc, call.action.as_str()) {
        ("iam", "CreateRole") => {
            // Tags on create also need TagRole (IAM's tag-on-create, as for the other services).
            let r = field("RoleName").map(role);
            pairs.push(("iam:TagRole".into(), r.clone().unwrap_or_default()));
            r
        }
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
        ("ecs", "DescribeClusters") => fields.body["clusters"][0]
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
            let name = fields.body["services"][0].as_str().unwrap_or_default();
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
        .into_iter()
        .map(|(action, resource)| {
            let mut values = BTreeMap::new();
            if action == "iam:PassRole" {
                // RegisterTaskDefinition passes the roles to ECS tasks.
                values.insert(
                    "iam:PassedToService".to_string(),
                    "ecs-tasks.amazonaws.com".to_string(),
                );
            }
            if let Some(policy) = field("PolicyArn") {
                values.insert("iam:PolicyARN".to_string(), policy);
            }
            let context = Context {
                request_owner: request_owner(call),
                resource_owner: call.probed.clone(),
                values,
            };
            (action, resource, context)
        })
        .collect()
}

#[tokio::test]
async fn the_function_policy_allows_exactly_what_the_code_calls() {
    let proxy = Proxy::start(moto::endpoint()).await;
    let h = Harness::through(&proxy).await;
    let moto = h.clients.clone();
    proxy.probe(std::sync::Arc::new(move |call| {
        let c = moto.clone();
        Box::pin(async move { resource_owner(&c, &call).await })
    }));
    // A whole life: a Create whose rollout outlasts its invocation (so that it goes on in
    // another), an Update of every in-place group, a replacement cut short and rolled back, a
    // replacement, CloudFormation's cleanup Delete of the replaced set, the stack's Delete.
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
    // A replacement cut short half-way, then CloudFormation's rollback Update.
    let mut broken = new.clone();
    broken["ContainerName"] = json!("web");
    proxy.fail_first("CreateService", 1, Fault::Hang);
    let failed = h
        .invoke_with_time(stack.update(&id, &new, &broken), Duration::from_secs(8))
        .await;
    assert_eq!(failed.status(), "FAILED");
    proxy.calm();
    h.invoke(stack.update(&id, &broken, &new))
        .await
        .assert_success();
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
    let calls = proxy.calls();
    let probed = calls.iter().filter(|c| c.probed.is_some()).count();
    assert!(
        probed >= 20,
        "only {probed} calls on resources seen carrying the ownership tag"
    );
    let mut denied = BTreeSet::new();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    for call in &calls {
        for (action, resource, context) in evaluated(call) {
            let allowing: Vec<&Statement> = statements
                .iter()
                .filter(|s| {
                    s.actions.iter().any(|a| glob(a, &action))
                        && s.resources.iter().any(|r| glob(r, &resource))
                        && s.conditions.iter().all(|(k, v)| context.holds(k, v))
                })
                .collect();
            if allowing.is_empty() {
                denied.insert(format!("{action} on {resource} with {context:?}"));
            }
            for s in allowing {
                used.insert((s.sid.clone(), action.clone()));
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
