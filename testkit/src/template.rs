//! The function's IAM policy as `bootstrap-template.yaml` states it: its statements (inline,
//! and those of the template's managed policies it names), with `!Sub`, `!Ref` and `!If`
//! resolved for the tests' account, region, network and parameters
//! (judged by [`super::iam`]).

use serde_norway::Value as Yaml;

use super::TRAFFIC_ROLE_BOUNDARY;
use super::{ACCOUNT, EXECUTION_ROLE_BOUNDARY, REGION, TASK_ROLE_BOUNDARY};

/// One statement, resolved.
#[derive(Debug)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// (condition key, patterns): every key must match one of its patterns. Operators are
    /// StringLike, StringEquals and ArnEquals, all matched as globs here (the values have no
    /// wildcards of their own), and ForAllValues:StringLike for `aws:TagKeys` (every key the
    /// request tags with must match one).
    pub conditions: Vec<(String, Vec<String>)>,
}

/// The stack parameters the statements refer to; `None` stands for any value (the suite's
/// tests each deploy behind a network of their own).
#[derive(Default)]
pub struct Parameters<'a> {
    pub vpc_id: Option<&'a str>,
    pub listener_arn: Option<&'a str>,
    pub load_balancer_security_group_id: Option<&'a str>,
    /// `TaskRoleAllowedPolicyArns` (`Some(&[])`: the default, none).
    pub task_role_allowed_policy_arns: Option<&'a [&'a str]>,
    /// `RoleTagKeys` (`None` or `Some(&[])`: the default, none).
    pub role_tag_keys: Option<&'a [&'a str]>,
    /// `NamePrefix` (`None`: the default, `prod-e-`).
    pub name_prefix: Option<&'a str>,
}

/// The template's statements, resolved for `parameters`.
pub fn statements(parameters: &Parameters) -> Vec<Statement> {
    policies(parameters)
        .into_iter()
        .flat_map(|(_, s)| s)
        .collect()
}

/// The function's policies, resolved for `parameters`: (`inline`, or the name of the
/// template's managed policy, its statements).
pub fn policies(parameters: &Parameters) -> Vec<(String, Vec<Statement>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../bootstrap-template.yaml");
    let template: Yaml =
        serde_norway::from_str(&std::fs::read_to_string(path).expect("template")).expect("yaml");
    let resolver = Resolver {
        parameters,
        conditions: &template["Conditions"],
    };
    let policies = &template["Resources"]["ProvisionerFunction"]["Properties"]["Policies"];
    let mut out = Vec::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        // An inline policy, or `!Ref` of a managed policy in the template.
        let (name, statements) = match policy {
            Yaml::Tagged(t) if t.tag == "Ref" => {
                let name = t.value.as_str().unwrap_or_default();
                let document = &template["Resources"][name]["Properties"]["PolicyDocument"];
                (name.to_string(), &document["Statement"])
            }
            inline => ("inline".to_string(), &inline["Statement"]),
        };
        let resolved = statements.as_sequence().into_iter().flatten();
        let resolved = resolved.filter_map(|s| resolver.chosen(s));
        out.push((name, resolved.map(|s| resolver.statement(s)).collect()));
    }
    for (name, resource) in template["Resources"].as_mapping().into_iter().flatten() {
        if resource["Type"].as_str() != Some("AWS::KMS::Key") {
            continue;
        }
        // A key policy statement naming the function's role grants it on its own (AWS KMS
        // Developer Guide, "Key policies"); its "*" is the key itself.
        let granted = resource["Properties"]["KeyPolicy"]["Statement"].as_sequence();
        let granted = granted
            .into_iter()
            .flatten()
            .filter(|s| names_the_function(s));
        let name = format!("{} (key policy)", name.as_str().unwrap_or_default());
        out.push((name, granted.map(|s| resolver.statement(s)).collect()));
    }
    out
}

/// Whether a key policy statement's principal is the function's role (`!GetAtt
/// ProvisionerFunctionRole.Arn`, the role SAM makes for the function).
fn names_the_function(statement: &Yaml) -> bool {
    match &statement["Principal"]["AWS"] {
        Yaml::Tagged(t) => {
            t.tag == "GetAtt" && t.value.as_str() == Some("ProvisionerFunctionRole.Arn")
        }
        _ => false,
    }
}

/// The characters of a policy document of `statements` without whitespace, as IAM counts
/// them against its quotas (every statement `Allow`, every condition `StringLike`: the
/// longest operator the template uses but for `StringEquals`, one character longer).
pub fn policy_size(statements: &[Statement]) -> usize {
    let listed: Vec<serde_json::Value> = statements
        .iter()
        .map(|s| {
            let conditions: serde_json::Map<String, serde_json::Value> = s
                .conditions
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::json!(v)))
                .collect();
            let mut statement = serde_json::json!({"Sid": s.sid, "Effect": "Allow",
                "Action": s.actions, "Resource": s.resources});
            if !conditions.is_empty() {
                statement["Condition"] = serde_json::json!({"StringEquals": conditions});
            }
            statement
        })
        .collect();
    let document = serde_json::json!({"Version": "2012-10-17", "Statement": listed});
    document
        .to_string()
        .chars()
        .filter(|c| !c.is_whitespace())
        .count()
}

struct Resolver<'a> {
    parameters: &'a Parameters<'a>,
    conditions: &'a Yaml,
}

impl Resolver<'_> {
    fn statement(&self, s: &Yaml) -> Statement {
        let mut conditions = Vec::new();
        for (_operator, pairs) in s["Condition"].as_mapping().into_iter().flatten() {
            for (key, value) in pairs.as_mapping().into_iter().flatten() {
                let key = key.as_str().unwrap_or_default().to_string();
                conditions.push((key, self.values(value)));
            }
        }
        Statement {
            sid: s["Sid"].as_str().unwrap_or_default().to_string(),
            actions: self.values(&s["Action"]),
            resources: self.values(&s["Resource"]),
            conditions,
        }
    }

    /// The statement `s` stands for: itself, or the branch its `!If` takes (`None` for
    /// `AWS::NoValue`).
    fn chosen<'y>(&self, s: &'y Yaml) -> Option<&'y Yaml> {
        let Yaml::Tagged(t) = s else {
            return Some(s);
        };
        let branches = t.value.as_sequence().expect("!If [condition, then, else]");
        let holds = self.holds(&self.conditions[branches[0].as_str().unwrap_or_default()]);
        let pick = &branches[if holds { 1 } else { 2 }];
        let no_value = matches!(pick, Yaml::Tagged(r) if r.value.as_str() == Some("AWS::NoValue"));
        (!no_value).then_some(pick)
    }

    /// A template condition: only `!Not` and `!Equals` are used.
    fn holds(&self, condition: &Yaml) -> bool {
        let Yaml::Tagged(t) = condition else {
            panic!("unsupported condition {condition:?}");
        };
        let args = t.value.as_sequence().expect("condition arguments");
        match t.tag.to_string().trim_start_matches('!') {
            "Not" => !self.holds(&args[0]),
            "Equals" => self.text(&args[0]) == self.text(&args[1]),
            other => panic!("unsupported condition function {other}"),
        }
    }

    /// A value as one string (`!Join` joins; a list joins with commas).
    fn text(&self, v: &Yaml) -> String {
        match v {
            Yaml::Tagged(t) if t.tag == "Join" => {
                let args = t.value.as_sequence().expect("!Join [separator, list]");
                self.values(&args[1])
                    .join(args[0].as_str().unwrap_or_default())
            }
            other => self.values(other).join(","),
        }
    }

    /// A value as a list of strings (a scalar is a list of one).
    fn values(&self, v: &Yaml) -> Vec<String> {
        match v {
            Yaml::Sequence(items) => items.iter().flat_map(|i| self.values(i)).collect(),
            Yaml::Tagged(t) if t.tag == "Ref" => self.reference(t.value.as_str().unwrap_or("")),
            Yaml::Tagged(t) if t.tag == "Join" => vec![self.text(v)],
            Yaml::Tagged(t) if t.tag == "Split" => {
                let args = t.value.as_sequence().expect("!Split [separator, text]");
                let separator = args[0].as_str().unwrap_or_default();
                let text = self.text(&args[1]);
                text.split(separator).map(str::to_string).collect()
            }
            Yaml::Tagged(t) => vec![self.substitute(t.value.as_str().unwrap_or_default())],
            other => vec![self.substitute(other.as_str().unwrap_or_default())],
        }
    }

    fn reference(&self, name: &str) -> Vec<String> {
        match name {
            "TaskRoleBoundary" => vec![TASK_ROLE_BOUNDARY.into()],
            "ExecutionRoleBoundary" => vec![EXECUTION_ROLE_BOUNDARY.into()],
            "TrafficRoleBoundary" => vec![TRAFFIC_ROLE_BOUNDARY.into()],
            // Empty, as by default, is a CommaDelimitedList of one empty string.
            "RoleTagKeys" => match self.parameters.role_tag_keys {
                Some(keys) if !keys.is_empty() => keys.iter().map(|k| k.to_string()).collect(),
                _ => vec![String::new()],
            },
            "TaskRoleAllowedPolicyArns" => match self.parameters.task_role_allowed_policy_arns {
                Some(arns) => arns.iter().map(|a| a.to_string()).collect(),
                None => vec!["*".into()],
            },
            other => vec![self.substitute(&format!("${{{other}}}"))],
        }
    }

    fn substitute(&self, text: &str) -> String {
        let p = self.parameters;
        text.replace("${AWS::Partition}", "aws")
            .replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT)
            .replace("${VpcId}", p.vpc_id.unwrap_or("vpc-*"))
            .replace(
                "${ListenerArn}",
                p.listener_arn
                    .unwrap_or("arn:aws:elasticloadbalancing:*:listener/*"),
            )
            .replace(
                "${LoadBalancerSecurityGroupId}",
                p.load_balancer_security_group_id.unwrap_or("sg-*"),
            )
            .replace("${AWS::StackName}", "prod-e")
            .replace("${TaskFamilyPrefix}", "prod-e-")
            .replace("${NamePrefix}", p.name_prefix.unwrap_or("prod-e-"))
    }
}
