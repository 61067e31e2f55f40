//! The function's IAM policy as the template states it, and IAM's judgement of recorded AWS
//! calls against it: every (action, resource) pair a call needs, implied ones included
//! (tagging on create, passing roles), with the condition keys IAM would see — the tags in the
//! request, the ownership tag the resource carried (read by the [`super::ownership`] probe), the
//! service a role is passed to, the policy attached, a role's permissions boundary. Used by `tests/policy.rs` (one whole life)
//! and `examples/policy.rs` (every call of the whole suite).

mod scaling;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::http::percent_decode;
use super::proxy::Call;
pub use super::template::{statements, Parameters, Statement};
use super::{ACCOUNT, REGION};

/// What IAM would know about one (action, resource) pair when it evaluates the conditions.
#[derive(Debug, Default)]
pub struct Context {
    /// The ownership tag in the request, if it sets one.
    request_owner: Option<String>,
    /// The ownership tag the resource carried when the call was made.
    resource_owner: Option<String>,
    /// The tag keys the request sets (IAM's form parameters `Tags.member.N.Key`; the only
    /// calls whose statements limit them).
    request_tag_keys: Vec<String>,
    /// Other condition keys (iam:PassedToService, iam:PolicyARN, iam:AWSServiceName,
    /// iam:PermissionsBoundary).
    values: BTreeMap<String, String>,
}

impl Context {
    /// Whether the value of `key` matches one of `patterns`; for `aws:TagKeys`
    /// (ForAllValues), whether every tag key of the request does.
    fn holds(&self, key: &str, patterns: &[String]) -> bool {
        if key == "aws:TagKeys" {
            let listed = |k: &String| patterns.iter().any(|p| glob(p, k));
            return self.request_tag_keys.iter().all(listed);
        }
        patterns.iter().any(|p| self.matches(key, p))
    }

    fn matches(&self, key: &str, pattern: &str) -> bool {
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
pub struct Fields {
    pub form: BTreeMap<String, String>,
    pub body: Value,
}

impl Fields {
    pub fn of(call: &Call) -> Fields {
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

    pub fn get(&self, k: &str) -> Option<String> {
        self.form
            .get(k)
            .cloned()
            .or_else(|| self.body[k].as_str().map(str::to_string))
    }
}

/// The (action, resource ARN, context) triples IAM evaluates for one recorded call, implied
/// ones included (tagging on create, passing roles).
fn evaluated(call: &Call) -> Vec<(String, String, Context)> {
    if let Some(triples) = scaling::evaluated(call) {
        return triples;
    }
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
        ("iam", "CreateServiceLinkedRole") => field("AWSServiceName")
            .map(|svc| role(format!("aws-service-role/{svc}/AWSServiceRoleForECS"))),
        ("iam", _) if field("RoleName").as_deref() == Some("AWSServiceRoleForECS") => Some(role(
            "aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS".into(),
        )),
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
        ("ec2", "AuthorizeSecurityGroupEgress")
            if field("TagSpecification.1.ResourceType").is_some() =>
        {
            // The tagged new rule is a resource of the call, and needs CreateTags (tag-on-create).
            let rule = arn("ec2", "security-group-rule/sgr-new".into());
            pairs.push((action.clone(), rule.clone()));
            pairs.push(("ec2:CreateTags".into(), rule));
            field("GroupId").map(|g| arn("ec2", format!("security-group/{g}")))
        }
        ("ec2", "RevokeSecurityGroupEgress") => {
            // Revoked by rule id: each rule is a resource of the call, beside its group.
            let rules = (1..).map_while(|i| field(&format!("SecurityGroupRuleId.{i}")));
            for id in rules.collect::<Vec<_>>() {
                pairs.push((
                    action.clone(),
                    arn("ec2", format!("security-group-rule/{id}")),
                ));
            }
            field("GroupId").map(|g| arn("ec2", format!("security-group/{g}")))
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
        ("ecs", "RegisterTaskDefinition") => {
            for key in ["executionRoleArn", "taskRoleArn"] {
                pairs.push(("iam:PassRole".into(), field(key).unwrap_or_default()));
            }
            let family = field("family").unwrap_or_default();
            let revision = arn("ecs", format!("task-definition/{family}:1"));
            pairs.push(("ecs:TagResource".into(), revision.clone()));
            Some(revision)
        }
        ("ecs", "ListTaskDefinitions" | "DescribeTaskDefinition" | "DeregisterTaskDefinition") => {
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
        ("ecs", "DeleteCluster" | "PutClusterCapacityProviders" | "UpdateCluster") => {
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
        ("ecs", "ListServiceDeployments") => Some(arn(
            "ecs",
            format!(
                "service/{}/{}",
                cluster_of(field("cluster").unwrap_or_default()),
                field("service").unwrap_or_default()
            ),
        )),
        ("ecs", "DescribeServiceDeployments") => fields.body["serviceDeploymentArns"][0]
            .as_str()
            .map(str::to_string),
        ("ecs", "UpdateService" | "DeleteService") => Some(arn(
            "ecs",
            format!(
                "service/{}/{}",
                cluster_of(field("cluster").unwrap_or_default()),
                field("service").unwrap_or_default()
            ),
        )),
        ("ecs", "TagResource" | "UntagResource" | "ListTagsForResource") => field("resourceArn"),
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
        // The Resource Groups Tagging API signs as `tagging`; its IAM prefix is `tag`, and
        // GetResources has no resource-level permissions.
        ("tagging", "GetResources") => {
            action = "tag:GetResources".into();
            Some("*".into())
        }
        ("cloudformation", "DescribeStacks" | "DescribeStackResource" | "DescribeStackEvents") => {
            field("StackName")
        }
        // The continuation key's MACs (its key policy grants them: `template::policies`).
        ("kms", "GenerateMac" | "VerifyMac") => field("KeyId"),
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
            // Tags given in a create need the tagging action too, with the create's name in
            // the service's CreateAction key (tag-on-create; a direct tagging call has none).
            let tag_on_create = [
                ("ec2:CreateTags", "ec2:CreateAction"),
                ("ecs:TagResource", "ecs:CreateAction"),
                (
                    "elasticloadbalancing:AddTags",
                    "elasticloadbalancing:CreateAction",
                ),
            ];
            for (tagging, key) in tag_on_create {
                if action == tagging && !tagging.ends_with(&format!(":{}", call.action)) {
                    values.insert(key.to_string(), call.action.clone());
                }
            }
            if let Some(algorithm) = field("MacAlgorithm") {
                values.insert("kms:MacAlgorithm".to_string(), algorithm);
            }
            if let Some(service) = field("AWSServiceName") {
                values.insert("iam:AWSServiceName".to_string(), service);
            }
            // The boundary a request sets (CreateRole, PutRolePermissionsBoundary), else the
            // one the role carries.
            let boundary = field("PermissionsBoundary").or_else(|| call.probed.boundary.clone());
            if let Some(boundary) = boundary.filter(|_| svc == "iam") {
                values.insert("iam:PermissionsBoundary".to_string(), boundary);
            }
            let context = Context {
                request_owner: request_owner(call),
                resource_owner: call.probed.owner.clone(),
                request_tag_keys: fields
                    .form
                    .iter()
                    .filter(|(name, _)| name.starts_with("Tags.member.") && name.ends_with(".Key"))
                    .map(|(_, key)| key.clone())
                    .collect(),
                values,
            };
            (action, resource, context)
        })
        .collect()
}

/// What IAM would make of `calls` under `statements`.
pub struct Verdict {
    /// Each call IAM would deny: action, resource and the condition keys it saw.
    pub denied: BTreeSet<String>,
    /// Each (statement, action) no call needed.
    pub unused: Vec<String>,
    /// How many (action, resource) pairs were judged.
    pub judged: usize,
}

pub fn judge(statements: &[Statement], calls: &[Call]) -> Verdict {
    let mut denied = BTreeSet::new();
    let mut used: BTreeSet<(String, String)> = BTreeSet::new();
    let mut judged = 0;
    for call in calls {
        for (action, resource, context) in evaluated(call) {
            judged += 1;
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
    let unused = statements
        .iter()
        .flat_map(|s| s.actions.iter().map(move |a| (s.sid.clone(), a.clone())))
        .filter(|grant| !used.contains(grant))
        .map(|(sid, a)| format!("{sid}: {a}"))
        .collect();
    Verdict {
        denied,
        unused,
        judged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, action: &str, body: &str, probed: Option<&str>) -> Call {
        bounded(service, action, body, probed, None)
    }

    /// A call on a resource owned by `owner` that (an IAM role) carries `boundary`.
    pub(super) fn bounded(
        service: &str,
        action: &str,
        body: &str,
        owner: Option<&str>,
        boundary: Option<&str>,
    ) -> Call {
        Call {
            service: service.into(),
            action: action.into(),
            arrived: std::time::Instant::now(),
            answered: None,
            target: "/".into(),
            body: body.into(),
            faulted: false,
            probed: crate::proxy::Probed {
                owner: owner.map(str::to_string),
                boundary: boundary.map(str::to_string),
                service_owner: None,
            },
            networks: Vec::new(),
            name_prefix: None,
        }
    }

    fn statement(
        sid: &str,
        action: &str,
        resource: &str,
        condition: Option<(&str, &str)>,
    ) -> Statement {
        Statement {
            sid: sid.into(),
            actions: vec![action.into()],
            resources: vec![resource.into()],
            conditions: condition
                .map(|(k, v)| vec![(k.to_string(), vec![v.to_string()])])
                .unwrap_or_default(),
        }
    }

    const OWNED: &str = "aws:ResourceTag/prod-e:physical-id";

    #[test]
    fn a_change_is_allowed_only_on_a_resource_carrying_our_tag() {
        let rules = [statement(
            "Own",
            "iam:DeleteRole",
            "arn:aws:iam::123456789012:role/prod-e-*",
            Some((OWNED, "prod-e-*")),
        )];
        let body = "Action=DeleteRole&RoleName=prod-e-1-x";
        let ours = judge(&rules, &[call("iam", "DeleteRole", body, Some("prod-e-1"))]);
        assert!(ours.denied.is_empty(), "{:?}", ours.denied);
        assert!(ours.unused.is_empty());
        let foreign = judge(&rules, &[call("iam", "DeleteRole", body, None)]);
        assert_eq!(foreign.denied.len(), 1, "{:?}", foreign.denied);
    }

    #[test]
    fn a_grant_no_call_needs_is_reported_unused() {
        let rules = [
            statement("Read", "iam:GetRole", "*", None),
            statement("Spare", "iam:DeleteRole", "*", None),
        ];
        let verdict = judge(
            &rules,
            &[call("iam", "GetRole", "Action=GetRole&RoleName=r", None)],
        );
        assert!(verdict.denied.is_empty());
        assert_eq!(verdict.unused, vec!["Spare: iam:DeleteRole".to_string()]);
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("prod-e-*", "prod-e-abc"));
        assert!(glob("arn:*:role/*", "arn:aws:iam::1:role/x"));
        assert!(!glob("prod-e-*", "other"));
    }

    const ALLOWED: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    const TAGS: &str = "Tags.member.1.Key=prod-e%3Aphysical-id&Tags.member.1.Value=prod-e-1";

    /// The template's own statements, with `ALLOWED` as the one attachable policy.
    fn template() -> Vec<Statement> {
        statements(&Parameters {
            task_role_allowed_policy_arns: Some(&[ALLOWED]),
            ..Parameters::default()
        })
    }

    fn create_role(name: &str, boundary: Option<&str>) -> Call {
        let boundary = boundary.map(|b| format!("&PermissionsBoundary={b}"));
        let body = format!(
            "Action=CreateRole&RoleName={name}{}&{TAGS}",
            boundary.unwrap_or_default()
        );
        call("iam", "CreateRole", &body, None)
    }

    fn denied(statements: &[Statement], call: Call) -> bool {
        !judge(statements, &[call]).denied.is_empty()
    }

    #[test]
    fn the_template_tags_as_ours_only_in_the_create() {
        let t = template();
        let ours = r#"[{"key":"prod-e:physical-id","value":"prod-e-1"}]"#;
        let create = format!(r#"{{"clusterName":"c","tags":{ours}}}"#);
        assert!(!denied(&t, call("ecs", "CreateCluster", &create, None)));
        // Someone else's cluster, tagged as ours, would then be ours to change and delete.
        let arn = "arn:aws:ecs:us-east-1:123456789012:cluster/theirs";
        let tag = format!(r#"{{"resourceArn":"{arn}","tags":{ours}}}"#);
        assert!(denied(&t, call("ecs", "TagResource", &tag, None)));
        let sg = "Action=CreateTags&ResourceId.1=sg-1&Tag.1.Key=prod-e:physical-id&\
                  Tag.1.Value=prod-e-1";
        assert!(denied(&t, call("ec2", "CreateTags", sg, None)));
    }

    #[test]
    fn the_template_lets_roles_be_created_only_under_their_boundary() {
        let t = template();
        let (task, exec) = (crate::TASK_ROLE_BOUNDARY, crate::EXECUTION_ROLE_BOUNDARY);
        assert!(!denied(&t, create_role("prod-e-1-task", Some(task))));
        assert!(!denied(&t, create_role("prod-e-1-execution", Some(exec))));
        assert!(denied(&t, create_role("prod-e-1-task", None)));
        assert!(denied(&t, create_role("prod-e-1-task", Some(exec))));
        assert!(denied(&t, create_role("prod-e-1-execution", None)));
        assert!(denied(&t, create_role("prod-e-1-admin", Some(task))));
    }

    #[test]
    fn the_template_registers_only_in_the_operators_families() {
        let t = template();
        let register = |family: &str| {
            let role = |kind: &str| format!("arn:aws:iam::{ACCOUNT}:role/prod-e-1-{kind}");
            let body = format!(
                r#"{{"family":"{family}","executionRoleArn":"{}","taskRoleArn":"{}",
                "tags":[{{"key":"prod-e:physical-id","value":"prod-e-1"}}]}}"#,
                role("execution"),
                role("task")
            );
            call("ecs", "RegisterTaskDefinition", &body, Some("prod-e-1"))
        };
        assert!(!denied(&t, register("prod-e-task")));
        assert!(denied(&t, register("billing-web")));
    }

    #[test]
    fn another_install_cannot_touch_this_ones_resources() {
        let other = statements(&Parameters {
            name_prefix: Some("pe2-"),
            ..Parameters::default()
        });
        let delete = "Action=DeleteRole&RoleName=prod-e-1-task";
        assert!(!denied(
            &template(),
            call("iam", "DeleteRole", delete, Some("prod-e-1"))
        ));
        assert!(denied(
            &other,
            call("iam", "DeleteRole", delete, Some("prod-e-1"))
        ));
        let group = r#"{"logGroupName":"/ecs/prod-e-1"}"#;
        assert!(denied(
            &other,
            call("logs", "DeleteLogGroup", group, Some("prod-e-1"))
        ));
        let task = crate::TASK_ROLE_BOUNDARY;
        assert!(denied(&other, create_role("prod-e-1-task", Some(task))));
        let own = format!(
            "Action=CreateRole&RoleName=pe2-1-task&PermissionsBoundary={task}&\
             Tags.member.1.Key=prod-e%3Aphysical-id&Tags.member.1.Value=pe2-1"
        );
        assert!(!denied(&other, call("iam", "CreateRole", &own, None)));
    }

    #[test]
    fn the_template_keeps_user_tags_off_roles() {
        let t = template();
        let task = crate::TASK_ROLE_BOUNDARY;
        let team = "&Tags.member.2.Key=team&Tags.member.2.Value=a";
        let mut create = create_role("prod-e-1-task", Some(task));
        create.body.push_str(team);
        assert!(denied(&t, create.clone()));
        let opted_in = statements(&Parameters {
            role_tag_keys: Some(&["team"]),
            ..Parameters::default()
        });
        assert!(!denied(&opted_in, create));
        let retag = format!("Action=TagRole&RoleName=prod-e-1-task{team}");
        assert!(denied(&t, call("iam", "TagRole", &retag, Some("prod-e-1"))));
        let own = "Action=TagRole&RoleName=prod-e-1-task&Tags.member.1.Key=prod-e:stack-id";
        assert!(!denied(&t, call("iam", "TagRole", own, Some("prod-e-1"))));
    }

    #[test]
    fn the_template_attaches_only_listed_policies_and_only_under_the_boundary() {
        let attach = |arn: &str, boundary: Option<&str>| {
            let body = format!("Action=AttachRolePolicy&RoleName=prod-e-1-task&PolicyArn={arn}");
            bounded("iam", "AttachRolePolicy", &body, Some("prod-e-1"), boundary)
        };
        let put = |boundary: Option<&str>| {
            let body = "Action=PutRolePolicy&RoleName=prod-e-1-task&PolicyName=p";
            bounded("iam", "PutRolePolicy", body, Some("prod-e-1"), boundary)
        };
        let task = Some(crate::TASK_ROLE_BOUNDARY);
        let t = template();
        assert!(!denied(&t, attach(ALLOWED, task)));
        assert!(denied(&t, attach(ADMIN, task)));
        assert!(denied(&t, attach(ALLOWED, None)));
        assert!(!denied(&t, put(task)));
        assert!(denied(&t, put(None)));
        // With the parameter's default (no policies), nothing can be attached to a task role.
        let default = statements(&Parameters {
            task_role_allowed_policy_arns: Some(&[]),
            ..Parameters::default()
        });
        assert!(denied(&default, attach(ALLOWED, task)));
    }
}
