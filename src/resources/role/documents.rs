//! The inline policy documents of a set's roles, made from its spec: the execution role's
//! (its image's repository, its log group) and its secrets'.

use std::collections::BTreeSet;

use serde_json::json;

use crate::spec::Spec;

/// The execution role's policy for `spec`'s secrets (`Secrets` and the `RepositoryCredentials`
/// secret: ECS Developer Guide, "Private registry authentication for tasks"), `None` without
/// any: GetSecretValue on exactly its secrets, GetParameters on exactly its parameters, and
/// Decrypt with its KMS key if it names one (ECS Developer Guide, "Required IAM permissions for
/// Amazon ECS secrets"). A
/// secret's `:json-key:version-stage:version-id` suffix is ECS's, not part of its ARN.
pub fn secrets_policy(spec: &Spec) -> Option<String> {
    let sources = spec.secret_sources();
    if sources.is_empty() {
        return None;
    }
    let (mut secrets, mut parameters) = (BTreeSet::new(), BTreeSet::new());
    for arn in &sources {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.get(2) {
            Some(&"ssm") => parameters.insert(arn.clone()),
            _ => {
                // A partial ARN (no `-xxxxxx` suffix) works in ECS but matches no IAM resource
                // by itself (Secrets Manager guide, "IAM policy examples": `name-??????`).
                let base = parts[..parts.len().min(7)].join(":");
                let name = parts.get(6).copied().unwrap_or_default();
                let suffixed = name.rsplit_once('-').is_some_and(|(_, s)| {
                    s.len() == 6 && s.chars().all(|c| c.is_ascii_alphanumeric())
                });
                if !suffixed {
                    secrets.insert(format!("{base}-??????"));
                }
                secrets.insert(base)
            }
        };
    }
    let mut statements = Vec::new();
    if !secrets.is_empty() {
        statements.push(allow(
            "secretsmanager:GetSecretValue",
            secrets.into_iter().collect(),
        ));
    }
    if !parameters.is_empty() {
        statements.push(allow("ssm:GetParameters", parameters.into_iter().collect()));
    }
    if !spec.secrets_kms_key_arn.is_empty() {
        statements.push(allow("kms:Decrypt", vec![spec.secrets_kms_key_arn.clone()]));
    }
    Some(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
}

/// The execution role's inline policy: what ECS needs of it to start the task (ECS Developer
/// Guide, "Amazon ECS task execution IAM role"), for `image` and the log group `log_group_arn`:
/// write the log group, and, if the image is in a private ECR repository, sign in to ECR
/// (`ecr:GetAuthorizationToken`, which has no resource) and read that repository's layers. In
/// place of AmazonECSTaskExecutionRolePolicy, which reads every repository. A repository that
/// one of `pull_through` matches (the operator's ECR pull-through cache repositories, ARN
/// patterns with `*` and `?` as IAM reads them) may also be made and filled from upstream
/// on the first pull (`ecr:CreateRepository`,
/// `ecr:BatchImportUpstreamImage`: ECR User Guide, "IAM permissions required to sync an
/// upstream registry with an Amazon ECR private registry").
pub fn execution_policy(image: &str, log_group_arn: &str, pull_through: &[String]) -> String {
    let logs = ["logs:CreateLogStream", "logs:PutLogEvents"];
    let mut statements = vec![allow_all(&logs, vec![format!("{log_group_arn}:*")])];
    if let Some(repository) = ecr_repository(image) {
        statements.push(allow("ecr:GetAuthorizationToken", vec!["*".into()]));
        let reads = [
            "ecr:BatchCheckLayerAvailability",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
        ];
        statements.push(allow_all(&reads, vec![repository.clone()]));
        let matches = |p: &String| crate::spec::overlap::globs_meet(p, &repository, false);
        if pull_through.iter().any(matches) {
            let imports = ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"];
            statements.push(allow_all(&imports, vec![repository]));
        }
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The ARN of the private ECR repository `image` names, if it names one:
/// `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:<tag>|@<digest>]` (a 12-digit
/// account), or the FIPS
/// (`dkr.ecr-fips.`) and dual-stack (`<account>.dkr-ecr.<region>.on.aws`) hosts of the same
/// registry (Amazon ECR User Guide, "Amazon ECR private registry" and "Amazon ECR service
/// endpoints"; `.cn` hosts are the `aws-cn` partition, `us-gov-` regions `aws-us-gov`).
pub fn ecr_repository(image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    let (account, region, china) = match labels.as_slice() {
        [account, ..] if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) => {
            return None
        }
        [account, "dkr", "ecr" | "ecr-fips", region, "amazonaws", "com"] => {
            (account, region, false)
        }
        [account, "dkr", "ecr", region, "amazonaws", "com", "cn"] => (account, region, true),
        [account, "dkr-ecr", region, "on", "aws"] => (account, region, false),
        _ => return None,
    };
    let partition = match (china, region.starts_with("us-gov-")) {
        (true, _) => "aws-cn",
        (false, true) => "aws-us-gov",
        (false, false) => "aws",
    };
    let path = path.split('@').next().unwrap_or(path);
    let repository = match path.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => path,
    };
    Some(format!(
        "arn:{partition}:ecr:{region}:{account}:repository/{repository}"
    ))
}

/// One statement allowing `actions` on `resources`.
fn allow_all(actions: &[&str], resources: Vec<String>) -> serde_json::Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

/// The traffic role's inline policy: what ECS needs to move traffic between a set's target
/// groups on its listener rules (production and test), on exactly those (ECS Developer Guide,
/// "Amazon ECS infrastructure IAM role for load balancers": the managed policy's Describe
/// actions, which take no resource, Register/DeregisterTargets on the groups, ModifyRule on
/// the rules; ModifyListener is for a Network Load Balancer's listener, which prod-e does not
/// use).
pub fn traffic_policy(rule_arns: &[&str], target_group_arns: &[&str]) -> String {
    let describe = [
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
    ];
    let targets = [
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DeregisterTargets",
    ];
    let groups = target_group_arns.iter().map(|a| a.to_string()).collect();
    let statements = [
        allow_all(&describe, vec!["*".to_string()]),
        allow_all(&targets, groups),
        allow(
            "elasticloadbalancing:ModifyRule",
            rule_arns.iter().map(|a| a.to_string()).collect(),
        ),
    ];
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The traffic role's inline policy for a set's lifecycle hooks: `lambda:InvokeFunction` on
/// exactly the functions `hook_arns` (ECS Developer Guide, "Permissions required for Lambda
/// functions in Amazon ECS blue/green deployments"; ECS invokes the hooks with the role).
pub fn hooks_policy(hook_arns: &[String]) -> String {
    let statement = allow("lambda:InvokeFunction", hook_arns.to_vec());
    json!({"Version": "2012-10-17", "Statement": [statement]}).to_string()
}

/// One statement allowing `action` on `resources`.
fn allow(action: &str, resources: Vec<String>) -> serde_json::Value {
    json!({"Effect": "Allow", "Action": action, "Resource": resources})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ecr_image_names_its_repository() {
        let arn = |image| ecr_repository(image);
        assert_eq!(
            arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team-a/web:1.2"),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/team-a/web".into())
        );
        assert_eq!(
            arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web@sha256:ab"),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/web".into())
        );
        assert_eq!(
            arn("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/web"),
            Some("arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/web".into())
        );
        for host in [
            "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
            "123456789012.dkr-ecr.us-east-1.on.aws",
        ] {
            let image = format!("{host}/web:3");
            assert_eq!(
                ecr_repository(&image),
                Some("arn:aws:ecr:us-east-1:123456789012:repository/web".into()),
                "{host}"
            );
        }
        for public in [
            "node:16",
            "public.ecr.aws/nginx/nginx:1",
            "ghcr.io/a/b:c",
            "localhost:5000/x",
        ] {
            assert_eq!(arn(public), None, "{public}");
        }
    }

    #[test]
    fn the_execution_policy_reads_only_its_repository_and_log_group() {
        const CACHE: &str = "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*";
        let group = "arn:aws:logs:us-east-1:1:log-group:/ecs/prod-e-1";
        let policy: serde_json::Value = serde_json::from_str(&execution_policy(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2",
            group,
            &[CACHE.to_string()],
        ))
        .unwrap();
        let resources: Vec<&serde_json::Value> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| &s["Resource"])
            .collect();
        assert_eq!(
            resources,
            [
                &json!([format!("{group}:*")]),
                &json!(["*"]),
                &json!(["arn:aws:ecr:us-east-1:123456789012:repository/web"])
            ]
        );
        let public: serde_json::Value =
            serde_json::from_str(&execution_policy("node:16", group, &[])).unwrap();
        assert_eq!(public["Statement"].as_array().map(Vec::len), Some(1));
        let cached = "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/library/nginx:1";
        let cached: serde_json::Value =
            serde_json::from_str(&execution_policy(cached, group, &[CACHE.into()])).unwrap();
        assert_eq!(
            cached["Statement"][3],
            json!({"Effect": "Allow",
                   "Action": ["ecr:CreateRepository", "ecr:BatchImportUpstreamImage"],
                   "Resource": [format!("{}library/nginx", CACHE.trim_end_matches('*'))]})
        );
    }
}
