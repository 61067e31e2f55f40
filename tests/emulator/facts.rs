//! A set's settings as lines ([`settings`]): the cluster, service, task definition and
//! roles here, the network side in `network`; [`Found`] normalizes the lines.

use std::collections::BTreeMap;
use std::fmt::{Debug, Display};

use aws_sdk_ecs::types::{self as ecs};
use prod_e::aws::Clients;
use prod_e::naming::RESERVED_TAG_PREFIXES;
use serde_json::Value;

use super::network::*;
use super::reads::*;
use super::*;
use crate::support::Harness;

/// Lines of facts and the concrete identifiers to replace in them.
#[derive(Default)]
pub(super) struct Found {
    lines: Vec<String>,
    /// (identifier, placeholder), replaced wherever it occurs.
    ids: Vec<(String, &'static str)>,
    /// (name, placeholder), replaced only where it stands as a whole name.
    names: Vec<(String, &'static str)>,
}

impl Found {
    pub(super) fn fact(&mut self, what: impl Display, value: &dyn Debug) {
        self.lines.push(format!("{what}: {value:?}"));
    }

    pub(super) fn text(&mut self, what: impl Display, value: &str) {
        self.lines.push(format!("{what}: {value}"));
    }

    pub(super) fn id(&mut self, id: Option<&str>, placeholder: &'static str) {
        self.ids.extend(
            id.filter(|i| !i.is_empty())
                .map(|i| (i.to_string(), placeholder)),
        );
    }

    pub(super) fn name(&mut self, name: Option<&str>, placeholder: &'static str) {
        self.names.extend(
            name.filter(|n| !n.is_empty())
                .map(|n| (n.to_string(), placeholder)),
        );
    }

    /// The lines with identifiers, then names, replaced (longest first), sorted.
    pub(super) fn normalized(mut self) -> Vec<String> {
        self.ids.sort_by_key(|(i, _)| std::cmp::Reverse(i.len()));
        self.names.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        let replaced = self.lines.iter().map(|line| {
            let line = self
                .ids
                .iter()
                .fold(line.clone(), |l, (i, p)| l.replace(i.as_str(), p));
            self.names
                .iter()
                .fold(line, |l, (n, p)| whole_names(&l, n, p))
        });
        let mut lines: Vec<String> = replaced.collect();
        lines.sort();
        lines
    }
}

/// `line` with `name` replaced by `placeholder` where it stands as a whole name: no letter,
/// digit, `-`, `_`, `.` or placeholder bracket on either side (so `web` in `web-api`,
/// `web.example.com` or `<web>` stays).
pub(super) fn whole_names(line: &str, name: &str, placeholder: &str) -> String {
    let inside = |c: char| c.is_ascii_alphanumeric() || "-_.<>".contains(c);
    let part = |c: Option<char>| c.is_some_and(inside);
    let (mut out, mut from) = (String::new(), 0);
    for (i, _) in line.match_indices(name) {
        let end = i + name.len();
        if part(line[..i].chars().next_back()) || part(line[end..].chars().next()) {
            continue;
        }
        out.push_str(&line[from..i]);
        out.push_str(placeholder);
        from = end;
    }
    out.push_str(&line[from..]);
    out
}

/// Every setting of set `physical_id` (made from `properties`), one sorted line per fact,
/// read straight from the emulator and normalized: the set's ARNs and ids (target group,
/// rule, task definition, roles, security group, service, cluster) become `<target-group>`,
/// `<rule>`, …; then its id becomes `<id>`, and where they stand as whole names its cluster,
/// task family and service names become `<cluster>`, `<family>`, `<service-name>`. What the
/// harness's network gives every set (VPC, subnets, ALB and its security group) stays.
/// Listener rule priorities are left out (they depend on the other rules of the listener).
pub async fn settings(h: &Harness, physical_id: &str, properties: &Value) -> Vec<String> {
    let (p, c) = (place(h, physical_id, properties), &h.clients);
    let mut f = Found::default();
    f.id(Some(physical_id), "<id>");
    f.name(Some(p.at.cluster_name.as_str()), "<cluster>");
    f.name(Some(p.at.task_family.as_str()), "<family>");
    cluster_facts(&mut f, cluster(c, &p.at.cluster_name).await.as_ref());
    let services = services(c, &p.at.cluster_name, physical_id).await;
    if services.is_empty() {
        f.text("service", "missing");
    }
    for s in &services {
        service_facts(&mut f, s);
        task_definition_facts(c, s.task_definition().unwrap_or_default(), &mut f).await;
        let name = s.service_name().unwrap_or_default();
        scaling_facts(c, &scaling_id(&p.at.cluster_name, name), &mut f).await;
    }
    role_facts(c, &p.d.execution_role(), "<execution-role>", &mut f).await;
    role_facts(c, &p.d.task_role(), "<task-role>", &mut f).await;
    security_group_facts(&mut f, security_group(c, &p).await.as_ref());
    let logs = log_group(c, &p.d.log_group()).await;
    f.fact(
        "log group",
        &logs.map(|g| (g.retention_in_days(), g.kms_key_id().map(String::from))),
    );
    target_group_facts(
        c,
        target_group(c, &p.d.target_group()).await.as_ref(),
        &mut f,
    )
    .await;
    // A native strategy's alternate group (its id and dimension; its settings are the
    // primary's) and traffic role.
    if let Some(alternate) = target_group(c, &p.d.alternate_target_group()).await {
        let arn = alternate.target_group_arn().unwrap_or_default();
        f.id(Some(arn), "<alternate-target-group>");
        let dimension = arn.find(":targetgroup/").map(|i| &arn[i + 1..]);
        f.id(dimension, "<alternate-target-group-dimension>");
    }
    role_facts(c, &p.d.traffic_role(), "<traffic-role>", &mut f).await;
    rule_facts(&mut f, &rules(c, &p.listeners[0], physical_id).await);
    alarm_facts(&mut f, &alarms(c, &p.d).await);
    f.normalized()
}

pub(super) fn cluster_facts(f: &mut Found, k: Option<&ecs::Cluster>) {
    let Some(k) = k else {
        return f.text("cluster", "missing");
    };
    f.id(k.cluster_arn(), "<cluster-arn>");
    f.fact("cluster status", &k.status());
    f.fact(
        "cluster capacity providers",
        &sorted(k.capacity_providers()),
    );
    f.fact(
        "cluster default strategy",
        &k.default_capacity_provider_strategy(),
    );
    f.fact("cluster settings", &sorted_debug(k.settings()));
}

pub(super) fn service_facts(f: &mut Found, s: &ecs::Service) {
    f.id(s.service_arn(), "<service>");
    f.id(s.cluster_arn(), "<cluster-arn>");
    f.id(s.task_definition(), "<task-definition>");
    f.name(s.service_name(), "<service-name>");
    let user_tags: BTreeMap<_, _> = s
        .tags()
        .iter()
        .map(|t| (t.key(), t.value()))
        .filter(|(k, _)| {
            !RESERVED_TAG_PREFIXES
                .iter()
                .any(|r| k.unwrap_or("").starts_with(r))
        })
        .collect();
    let net = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    let name = s.service_name().unwrap_or_default();
    let mut fact = |k: &str, v: &dyn Debug| f.fact(format!("service {name} {k}"), v);
    fact("status", &s.status());
    fact(
        "launch",
        &(
            s.launch_type(),
            s.platform_version(),
            s.scheduling_strategy(),
        ),
    );
    fact(
        "capacity provider strategy",
        &s.capacity_provider_strategy(),
    );
    fact("desired count", &s.desired_count());
    fact("subnets", &net.map(|n| sorted(n.subnets())));
    fact("security groups", &net.map(|n| sorted(n.security_groups())));
    fact("public ip", &net.and_then(|n| n.assign_public_ip()));
    fact("load balancers", &sorted_debug(s.load_balancers()));
    fact(
        "deployment",
        &(s.deployment_configuration(), s.deployment_controller()),
    );
    fact("execute command", &s.enable_execute_command());
    fact(
        "health check grace period",
        &s.health_check_grace_period_seconds(),
    );
    fact(
        "tags",
        &(s.propagate_tags(), s.enable_ecs_managed_tags(), user_tags),
    );
    fact("task definition", &s.task_definition());
}

pub(super) async fn task_definition_facts(c: &Clients, arn: &str, f: &mut Found) {
    let out = c
        .ecs
        .describe_task_definition()
        .task_definition(arn)
        .send()
        .await;
    let out = found(out, "describe task definition");
    let Some(td) = out.as_ref().and_then(|o| o.task_definition()) else {
        return f.text("task definition", "missing");
    };
    f.id(td.task_definition_arn(), "<task-definition>");
    f.fact("task definition family", &(td.family(), td.status()));
    f.fact(
        "task definition size",
        &(td.cpu(), td.memory(), td.ephemeral_storage()),
    );
    f.fact(
        "task definition platform",
        &(td.runtime_platform(), td.network_mode()),
    );
    f.fact(
        "task definition compatibilities",
        &td.requires_compatibilities(),
    );
    f.fact(
        "task definition roles",
        &(td.execution_role_arn(), td.task_role_arn()),
    );
    for container in td.container_definitions() {
        container_facts(f, container);
    }
}

pub(super) fn container_facts(f: &mut Found, cd: &ecs::ContainerDefinition) {
    let env: BTreeMap<_, _> = cd
        .environment()
        .iter()
        .map(|e| (e.name(), e.value()))
        .collect();
    let secrets: BTreeMap<_, _> = cd
        .secrets()
        .iter()
        .map(|s| (s.name(), s.value_from()))
        .collect();
    let log = cd.log_configuration();
    let options: Option<BTreeMap<_, _>> = log.and_then(|l| l.options()).map(|o| o.iter().collect());
    let name = cd.name().unwrap_or_default();
    let mut fact = |k: &str, v: &dyn Debug| f.fact(format!("container {name} {k}"), v);
    fact("image", &(cd.image(), cd.essential()));
    fact("port mappings", &cd.port_mappings());
    fact("environment", &env);
    fact("secrets", &secrets);
    fact("entry point and command", &(cd.entry_point(), cd.command()));
    fact(
        "log",
        &(
            log.map(|l| l.log_driver()),
            options,
            log.map(|l| l.secret_options()),
        ),
    );
    fact("health check", &cd.health_check());
    fact("stop timeout", &cd.stop_timeout());
}

/// An IAM policy document as compact JSON (IAM answers it URL-encoded).
pub(super) fn document(raw: &str) -> String {
    let decoded = crate::support::http::percent_decode(raw);
    serde_json::from_str::<Value>(&decoded).map_or(decoded, |v| v.to_string())
}

pub(super) async fn role_facts(c: &Clients, name: &str, placeholder: &'static str, f: &mut Found) {
    let what = placeholder.trim_start_matches('<').trim_end_matches('>');
    let Some(role) = role(c, name).await else {
        return f.text(what, "missing");
    };
    f.id(Some(role.arn()), placeholder);
    let trust = role.assume_role_policy_document().map(document);
    f.text(format!("{what} trust"), &trust.unwrap_or_default());
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn());
    f.fact(format!("{what} boundary"), &boundary);
    let attached = c
        .iam
        .list_attached_role_policies()
        .role_name(name)
        .send()
        .await;
    let attached = attached.expect("list attached role policies");
    let arns: Vec<_> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    f.fact(format!("{what} managed policies"), &sorted(&arns));
    let inline = c.iam.list_role_policies().role_name(name).send().await;
    for policy in sorted(inline.expect("list role policies").policy_names()) {
        let out = c
            .iam
            .get_role_policy()
            .role_name(name)
            .policy_name(&policy)
            .send()
            .await;
        let doc = document(out.expect("get role policy").policy_document());
        f.text(format!("{what} policy {policy}"), &doc);
    }
}

/// Panics, with the lines only in `want` and those only in `got`, unless the two [`settings`]
/// are the same.
pub fn assert_same_settings(want: &[String], got: &[String], what: &str) {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    want.iter()
        .for_each(|l| *count.entry(l.as_str()).or_default() += 1);
    got.iter()
        .for_each(|l| *count.entry(l.as_str()).or_default() -= 1);
    let only = |keep: fn(i64) -> bool| {
        let lines = count.iter().filter(|(_, n)| keep(**n)).map(|(l, _)| *l);
        lines.collect::<Vec<_>>().join("\n    ")
    };
    let (only_want, only_got) = (only(|n| n > 0), only(|n| n < 0));
    assert!(
        only_want.is_empty() && only_got.is_empty(),
        "{what}: the settings differ\n  only in want:\n    {only_want}\n  \
         only in got:\n    {only_got}"
    );
}
