//! Unit tests of the judgement: conditions, globs, and the template's grants.
use super::*;
use crate::ACCOUNT;

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
        probed: crate::call::Probed {
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
