//! Reading what exists in the emulator, for assertions (tests only; the provider never uses this).

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{ClusterField, ServiceField, TaskDefinitionField};
use prod_e::aws::Clients;
use prod_e::naming::{Deployment, OWNER_TAG};
use prod_e::plan::{inventory, Inventory};
use prod_e::spec::Locator;
use serde_json::Value;

/// Everything found under a deployment's names (ours or not). Its task definitions are not
/// the provider's finding (by tag, through the Tagging API) but the test's own: every ACTIVE
/// revision of the family that carries the deployment's tag, listed and described one by one.
pub async fn everything(c: &Clients, physical_id: &str, properties: &Value) -> Inventory {
    let d = Deployment::parse(physical_id)
        .unwrap_or_else(|| panic!("not a deployment id: {physical_id}"));
    let at = Locator::from_properties(properties);
    let mut inv = inventory(c, &d, &at).await.expect("inventory");
    inv.task_definitions = active_revisions(c, &d, &at.task_family).await;
    inv
}

/// Every ACTIVE revision of `family` tagged as `d`'s, newest first.
async fn active_revisions(
    c: &Clients,
    d: &Deployment,
    family: &str,
) -> Vec<prod_e::resources::task_definition::TaskDefinition> {
    let listed = c
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .sort(aws_sdk_ecs::types::SortOrder::Desc)
        .send()
        .await
        .expect("list task definitions");
    let mut ours = Vec::new();
    for arn in listed.task_definition_arns() {
        let out = describe(c, arn).await;
        let tags: prod_e::naming::Tags = out
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().into(),
                    t.value().unwrap_or_default().into(),
                )
            })
            .collect();
        if d.owns(&tags) {
            ours.push(prod_e::resources::task_definition::TaskDefinition {
                arn: arn.clone(),
                tags,
            });
        }
    }
    ours
}

/// Asserts that no resource is tagged as part of any set of `stack`'s resource.
pub async fn assert_nothing_of(c: &Clients, stack: &crate::support::Stack) {
    let found = prod_e::cli::discover::deployments(c)
        .await
        .expect("discover");
    let left: Vec<_> = found
        .iter()
        .filter(|f| f.stack_id == stack.id && f.logical_id == stack.logical_id)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Everything a stack resource has in AWS, one line per fact, for before/after comparisons:
/// every set seen by its ownership tags, every service of its cluster, and of the set
/// `physical_id` each resource's identity and wiring.
pub async fn snapshot(
    c: &Clients,
    stack: &crate::support::Stack,
    physical_id: &str,
    properties: &Value,
) -> Vec<String> {
    let mut lines: Vec<String> = prod_e::cli::discover::deployments(c)
        .await
        .expect("discover")
        .into_iter()
        .filter(|f| f.stack_id == stack.id)
        .map(|f| format!("set {} with {:?}", f.physical_id, f.resources))
        .collect();
    let at = Locator::from_properties(properties);
    let services = prod_e::resources::service::list(&c.ecs, &at.cluster_name)
        .await
        .expect("services");
    lines.extend(services.iter().map(|s| {
        format!(
            "service {} runs {} ×{} owned by {:?}",
            s.name,
            s.task_definition,
            s.desired_count,
            s.tags.get(OWNER_TAG)
        )
    }));
    let inv = everything(c, physical_id, properties).await;
    lines.push(format!(
        "roles {:?} {:?}",
        inv.execution_role.map(|r| r.arn),
        inv.task_role.map(|r| r.arn)
    ));
    lines.push(format!(
        "security group {:?}",
        inv.security_group.map(|g| (g.id, g.ingress))
    ));
    lines.push(format!(
        "log group {:?}",
        inv.log_group.map(|g| (g.name, g.retention_days))
    ));
    lines.push(format!(
        "cluster {:?}",
        inv.cluster.map(|k| (k.arn, k.tags))
    ));
    lines.push(format!(
        "task definitions {:?}",
        inv.task_definitions
            .iter()
            .map(|t| &t.arn)
            .collect::<Vec<_>>()
    ));
    lines.push(format!(
        "target group {:?}",
        inv.target_group.map(|t| t.arn)
    ));
    lines.push(format!(
        "rule {:?}",
        inv.listener_rule.map(|r| (
            r.arn,
            r.priority,
            r.routing.path_patterns,
            r.target_group_arns,
            r.tags
        ))
    ));
    lines
}

pub struct TaskDef {
    pub cpu: String,
    pub memory: String,
    pub network_mode: String,
    pub compatibilities: Vec<String>,
    pub execution_role_arn: String,
    pub task_role_arn: String,
    pub image: String,
    pub container_name: String,
    pub port: i32,
    pub log_options: BTreeMap<String, String>,
    pub log_driver: String,
    pub environment: BTreeMap<String, String>,
    pub command: Vec<String>,
    pub entry_point: Vec<String>,
    pub status: String,
}

/// DescribeTaskDefinition of `arn`, with its tags.
async fn describe(
    c: &Clients,
    arn: &str,
) -> aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput {
    c.ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .expect("describe task definition")
}

pub async fn task_definition(c: &Clients, arn: &str) -> TaskDef {
    let out = describe(c, arn).await;
    let td = out.task_definition().expect("td");
    let container = &td.container_definitions()[0];
    let log = container.log_configuration().expect("log configuration");
    TaskDef {
        cpu: td.cpu().unwrap_or_default().into(),
        memory: td.memory().unwrap_or_default().into(),
        network_mode: td
            .network_mode()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default(),
        compatibilities: td
            .requires_compatibilities()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        execution_role_arn: td.execution_role_arn().unwrap_or_default().into(),
        task_role_arn: td.task_role_arn().unwrap_or_default().into(),
        image: container.image().unwrap_or_default().into(),
        container_name: container.name().unwrap_or_default().into(),
        port: container.port_mappings()[0]
            .container_port()
            .unwrap_or_default(),
        log_driver: log.log_driver().as_str().to_string(),
        log_options: log
            .options()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        environment: container
            .environment()
            .iter()
            .map(|kv| {
                (
                    kv.name().unwrap_or_default().into(),
                    kv.value().unwrap_or_default().into(),
                )
            })
            .collect(),
        command: container.command().to_vec(),
        entry_point: container.entry_point().to_vec(),
        status: td
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
    }
}

pub struct ServiceView {
    pub desired: i32,
    pub launch_type: String,
    pub scheduling: String,
    pub task_definition: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_ip: String,
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: i32,
}

pub async fn service(c: &Clients, cluster: &str, name: &str) -> ServiceView {
    let out = c
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(name)
        .include(ServiceField::Tags)
        .send()
        .await
        .expect("describe service");
    let s = &out.services()[0];
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("awsvpc");
    let lb = &s.load_balancers()[0];
    ServiceView {
        desired: s.desired_count(),
        launch_type: s
            .launch_type()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        scheduling: s
            .scheduling_strategy()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        task_definition: s.task_definition().unwrap_or_default().into(),
        subnets: vpc.subnets().to_vec(),
        security_groups: vpc.security_groups().to_vec(),
        public_ip: vpc
            .assign_public_ip()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
        target_group_arn: lb.target_group_arn().unwrap_or_default().into(),
        container_name: lb.container_name().unwrap_or_default().into(),
        container_port: lb.container_port().unwrap_or_default(),
    }
}

/// Status and tags of a cluster by name ("ACTIVE" / "INACTIVE" / "" if unknown).
pub async fn cluster(c: &Clients, name: &str) -> (String, String, BTreeMap<String, String>) {
    let out = c
        .ecs
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .send()
        .await
        .expect("describe cluster");
    match out.clusters().first() {
        Some(cl) => (
            cl.status().unwrap_or_default().into(),
            cl.cluster_arn().unwrap_or_default().into(),
            cl.tags()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().into(),
                        t.value().unwrap_or_default().into(),
                    )
                })
                .collect(),
        ),
        None => (String::new(), String::new(), BTreeMap::new()),
    }
}

/// The role's trust policy (decoded) and attached managed policy ARNs.
pub async fn role(c: &Clients, name: &str) -> (Value, Vec<String>) {
    let out = c
        .iam
        .get_role()
        .role_name(name)
        .send()
        .await
        .expect("get role");
    let doc = out
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .unwrap_or_default();
    let decoded = crate::support::http::percent_decode(doc);
    let trust: Value = serde_json::from_str(&decoded).unwrap_or(Value::Null);
    let attached = c
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await
        .expect("list policies");
    (
        trust,
        attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(String::from))
            .collect(),
    )
}

/// Asserts that exactly one complete set of the deployment exists, naming what is off.
pub async fn assert_one_set(h: &crate::support::Harness, physical_id: &str, properties: &Value) {
    let c = &h.clients;
    let d = Deployment::parse(physical_id).expect("id");
    let inv = everything(c, physical_id, properties).await;
    let mut off = Vec::new();
    let owned = |tags: Option<&BTreeMap<String, String>>| tags.is_some_and(|t| d.owns(t));
    for (what, ok) in [
        (
            "execution role",
            owned(inv.execution_role.as_ref().map(|r| &r.tags)),
        ),
        ("task role", owned(inv.task_role.as_ref().map(|r| &r.tags))),
        (
            "security group",
            owned(inv.security_group.as_ref().map(|r| &r.tags)),
        ),
        ("log group", owned(inv.log_group.as_ref().map(|r| &r.tags))),
        ("cluster", owned(inv.cluster.as_ref().map(|r| &r.tags))),
        (
            "target group",
            owned(inv.target_group.as_ref().map(|r| &r.tags)),
        ),
        (
            "listener rule",
            owned(inv.listener_rule.as_ref().map(|r| &r.tags)),
        ),
        ("service", owned(inv.service.as_ref().map(|r| &r.tags))),
    ] {
        if !ok {
            off.push(format!("{what} missing or not ours"));
        }
    }
    if inv.task_definitions.len() != 1 {
        off.push(format!("{} task definitions", inv.task_definitions.len()));
    }
    let sgs = h
        .network
        .security_groups_named(c, &d.security_group())
        .await;
    if sgs != 1 {
        off.push(format!("{sgs} security groups"));
    }
    let rules = rules_of(c, &h.network.listener_arn, &d).await;
    if rules != 1 {
        off.push(format!("{rules} listener rules"));
    }
    if let Some(cluster) = &inv.cluster {
        let services = c
            .ecs
            .list_services()
            .cluster(&cluster.name)
            .send()
            .await
            .expect("list services");
        if services.service_arns().len() != 1 {
            off.push(format!("{} services", services.service_arns().len()));
        }
    }
    assert!(off.is_empty(), "not exactly one set: {off:?}");
}

/// How many rules on `listener` carry the deployment's tag.
pub async fn rules_of(c: &Clients, listener: &str, d: &Deployment) -> usize {
    let rules = c
        .elb
        .describe_rules()
        .listener_arn(listener)
        .send()
        .await
        .expect("describe rules");
    let mut n = 0;
    for rule in rules.rules() {
        let arn = rule.rule_arn().unwrap_or_default();
        let tags = c
            .elb
            .describe_tags()
            .resource_arns(arn)
            .send()
            .await
            .expect("describe tags");
        let ours = tags
            .tag_descriptions()
            .iter()
            .flat_map(|t| t.tags())
            .any(|t| {
                t.key() == Some(prod_e::naming::OWNER_TAG) && t.value() == Some(d.physical_id())
            });
        n += usize::from(ours);
    }
    n
}
