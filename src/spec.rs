//! The custom resource's Properties: typed, validated (every problem at once), and the diff old → new.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use sha2::{Digest, Sha256};

use crate::default_server::DEFAULT_IMAGE;
use crate::naming::{Tags, FINGERPRINT_LEN, RESERVED_TAG_PREFIXES};

/// How a change of a property is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChange {
    InPlace,
    Replacement,
}

/// Every property we accept, with how a change to it is applied (the README's table).
pub const PROPERTIES: &[(&str, OnChange)] = &[
    ("VpcId", OnChange::Replacement),
    ("SubnetIds", OnChange::InPlace),
    ("ListenerArn", OnChange::Replacement),
    ("LoadBalancerSecurityGroupId", OnChange::InPlace),
    ("ClusterName", OnChange::Replacement),
    ("ServiceName", OnChange::Replacement),
    ("TaskFamily", OnChange::InPlace),
    ("ContainerName", OnChange::Replacement),
    ("Image", OnChange::InPlace),
    ("Command", OnChange::InPlace),
    ("EntryPoint", OnChange::InPlace),
    ("ContainerPort", OnChange::Replacement),
    ("Cpu", OnChange::InPlace),
    ("Memory", OnChange::InPlace),
    ("DesiredCount", OnChange::InPlace),
    ("AssignPublicIp", OnChange::InPlace),
    ("HealthCheckPath", OnChange::InPlace),
    ("RulePriority", OnChange::InPlace),
    ("PathPattern", OnChange::InPlace),
    ("LogRetentionDays", OnChange::InPlace),
    ("Environment", OnChange::InPlace),
    ("Tags", OnChange::InPlace),
    ("WaitForSteadyState", OnChange::InPlace),
];

/// CloudFormation's own properties, always allowed and never ours to interpret here.
pub const CLOUDFORMATION_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

pub const DEFAULT_CLUSTER_NAME: &str = "prod-e-cluster";
pub const DEFAULT_SERVICE_NAME: &str = "prod-e-service";
pub const DEFAULT_TASK_FAMILY: &str = "prod-e-task";

/// User tags allowed beside prod-e's three (IAM allows 50 per role).
pub const MAX_USER_TAGS: usize = 40;

/// The retention values CloudWatch Logs accepts.
pub const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// What a deployment should be. Serialized field names are the property names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Spec {
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub listener_arn: String,
    pub load_balancer_security_group_id: String,
    pub cluster_name: String,
    pub service_name: String,
    pub task_family: String,
    pub container_name: String,
    pub image: String,
    /// The container's command, as in an ECS container definition (empty: see
    /// [`crate::default_server::command`]).
    pub command: Vec<String>,
    /// The container's entry point (empty: the image's own).
    pub entry_point: Vec<String>,
    pub container_port: u16,
    pub cpu: u32,
    pub memory: u32,
    pub desired_count: u32,
    pub assign_public_ip: bool,
    pub health_check_path: String,
    pub rule_priority: u32,
    pub path_pattern: String,
    pub log_retention_days: i32,
    pub environment: BTreeMap<String, String>,
    pub tags: Tags,
    pub wait_for_steady_state: bool,
}

/// One bad property and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub property: String,
    pub message: String,
}

/// Every problem found in a set of properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<Problem>);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid properties: ")?;
        for (i, p) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { "; " };
            write!(f, "{sep}{}: {}", p.property, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

impl Spec {
    /// Validates `properties` (a JSON object as CloudFormation sends it: scalars may be strings).
    pub fn parse(properties: &Value) -> Result<Spec, Invalid> {
        let empty = Map::new();
        let (props, mut problems) = match properties {
            Value::Object(map) => (map, Vec::new()),
            Value::Null => (&empty, Vec::new()),
            _ => (&empty, vec![problem("Properties", "must be an object")]),
        };
        for name in props.keys() {
            let known = PROPERTIES.iter().any(|(p, _)| p == name)
                || CLOUDFORMATION_PROPERTIES.contains(&name.as_str());
            if !known {
                problems.push(problem(name, "unknown property"));
            }
        }
        let mut r = Reader { props, problems };
        let spec = Spec {
            vpc_id: r.string("VpcId", None, |s| prefixed(s, "vpc-")),
            subnet_ids: r.subnets(),
            listener_arn: r.string("ListenerArn", None, listener_arn),
            load_balancer_security_group_id: r
                .string("LoadBalancerSecurityGroupId", None, |s| prefixed(s, "sg-")),
            cluster_name: r.string("ClusterName", Some(DEFAULT_CLUSTER_NAME), ecs_name),
            service_name: r.string("ServiceName", Some(DEFAULT_SERVICE_NAME), service_name),
            task_family: r.string("TaskFamily", Some(DEFAULT_TASK_FAMILY), ecs_name),
            container_name: r.string("ContainerName", Some("dummy-container"), ecs_name),
            image: r.string("Image", Some(DEFAULT_IMAGE), image),
            command: r.strings("Command"),
            entry_point: r.strings("EntryPoint"),
            container_port: r.integer("ContainerPort", 80, 1, 65535) as u16,
            cpu: r.integer("Cpu", 256, 0, i64::from(u32::MAX)) as u32,
            memory: r.integer("Memory", 512, 0, i64::from(u32::MAX)) as u32,
            desired_count: r.integer("DesiredCount", 1, 0, 5000) as u32,
            assign_public_ip: r.boolean("AssignPublicIp", false),
            health_check_path: r.string("HealthCheckPath", Some("/"), health_check_path),
            rule_priority: r.integer("RulePriority", 100, 1, 50000) as u32,
            path_pattern: r.string("PathPattern", Some("/*"), path_pattern),
            log_retention_days: r.retention(),
            environment: r.map("Environment", |_| Ok(())),
            tags: r.tags(),
            wait_for_steady_state: r.boolean("WaitForSteadyState", true),
        };
        if let Err(message) = fargate_size(spec.cpu, spec.memory) {
            if !r
                .problems
                .iter()
                .any(|p| p.property == "Cpu" || p.property == "Memory")
            {
                r.problems.push(problem("Cpu/Memory", &message));
            }
        }
        if r.problems.is_empty() {
            Ok(spec)
        } else {
            Err(Invalid(r.problems))
        }
    }

    /// Names of the properties whose values differ between `self` (old) and `new`.
    pub fn diff(&self, new: &Spec) -> Diff {
        let (old, new) = (as_map(self), as_map(new));
        let changed = PROPERTIES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| old.get(*name) != new.get(*name))
            .collect();
        Diff { changed }
    }

    /// 8 hex digits of a hash of the replacement-class properties: part of the
    /// PhysicalResourceId, so that a replacement gets a new id and its own names.
    pub fn fingerprint(&self) -> String {
        let all = as_map(self);
        let fixed: Map<String, Value> = PROPERTIES
            .iter()
            .filter(|(_, how)| *how == OnChange::Replacement)
            .map(|(name, _)| {
                (
                    name.to_string(),
                    all.get(*name).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        let digest = Sha256::digest(Value::Object(fixed).to_string().as_bytes());
        digest
            .iter()
            .take(FINGERPRINT_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The properties an Update changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    pub changed: BTreeSet<&'static str>,
}

impl Diff {
    /// Changed properties that need a new set of resources.
    pub fn needs_replacement(&self) -> Vec<&'static str> {
        PROPERTIES
            .iter()
            .filter(|(name, how)| *how == OnChange::Replacement && self.changed.contains(name))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Whether any of `properties` changed.
    pub fn any(&self, properties: &[&str]) -> bool {
        properties.iter().any(|p| self.changed.contains(p))
    }

    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// Every in-place property, for re-applying a spec whose previous values are unknown.
    pub fn all_in_place() -> Self {
        let changed = PROPERTIES
            .iter()
            .filter(|(_, how)| *how == OnChange::InPlace)
            .map(|(name, _)| *name)
            .collect();
        Diff { changed }
    }
}

/// What Delete needs to find a deployment's resources, read leniently from properties that
/// may no longer be valid: a property that is missing or malformed falls back to its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    pub cluster_name: String,
    pub service_name: String,
    pub task_family: String,
    pub listener_arn: Option<String>,
    pub vpc_id: Option<String>,
}

impl Locator {
    pub fn from_properties(properties: &Value) -> Self {
        let text = |name: &str| {
            properties
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let named = |name: &str, default: &str| {
            text(name)
                .filter(|s| ecs_name(s).is_ok())
                .unwrap_or_else(|| default.to_string())
        };
        Locator {
            cluster_name: named("ClusterName", DEFAULT_CLUSTER_NAME),
            service_name: named("ServiceName", DEFAULT_SERVICE_NAME),
            task_family: named("TaskFamily", DEFAULT_TASK_FAMILY),
            listener_arn: text("ListenerArn").filter(|s| listener_arn(s).is_ok()),
            vpc_id: text("VpcId").filter(|s| prefixed(s, "vpc-").is_ok()),
        }
    }
}

impl From<&Spec> for Locator {
    fn from(spec: &Spec) -> Self {
        Locator {
            cluster_name: spec.cluster_name.clone(),
            service_name: spec.service_name.clone(),
            task_family: spec.task_family.clone(),
            listener_arn: Some(spec.listener_arn.clone()),
            vpc_id: Some(spec.vpc_id.clone()),
        }
    }
}

fn as_map(spec: &Spec) -> Map<String, Value> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn problem(property: &str, message: &str) -> Problem {
    Problem {
        property: property.to_string(),
        message: message.to_string(),
    }
}

/// Reads properties, recording a problem (and yielding a placeholder) for each bad one.
struct Reader<'a> {
    props: &'a Map<String, Value>,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn fail<T>(&mut self, name: &str, message: &str, placeholder: T) -> T {
        self.problems.push(problem(name, message));
        placeholder
    }

    fn string(
        &mut self,
        name: &str,
        default: Option<&str>,
        check: fn(&str) -> Result<(), String>,
    ) -> String {
        let value = match (self.props.get(name), default) {
            (None | Some(Value::Null), Some(d)) => return d.to_string(),
            (None | Some(Value::Null), None) => {
                return self.fail(name, "is required", String::new())
            }
            (Some(Value::String(s)), _) => s.clone(),
            (Some(_), _) => return self.fail(name, "must be a string", String::new()),
        };
        match check(&value) {
            Ok(()) => value,
            Err(message) => self.fail(name, &message, value),
        }
    }

    fn integer(&mut self, name: &str, default: i64, min: i64, max: i64) -> i64 {
        let parsed = match self.props.get(name) {
            None | Some(Value::Null) => return default,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        match parsed {
            Some(n) if (min..=max).contains(&n) => n,
            Some(n) => self.fail(name, &format!("{n} is out of range {min}–{max}"), default),
            None => self.fail(name, "must be a whole number", default),
        }
    }

    fn boolean(&mut self, name: &str, default: bool) -> bool {
        match self.props.get(name) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
            Some(_) => self.fail(name, "must be true or false", default),
        }
    }

    fn retention(&mut self) -> i32 {
        let days = self.integer("LogRetentionDays", 30, 1, 3653);
        if LOG_RETENTION_DAYS.contains(&days) {
            days as i32
        } else {
            let allowed = LOG_RETENTION_DAYS.map(|d| d.to_string()).join(", ");
            self.fail(
                "LogRetentionDays",
                &format!("{days} is not one of {allowed}"),
                30,
            )
        }
    }

    fn subnets(&mut self) -> Vec<String> {
        const NAME: &str = "SubnetIds";
        let items: Vec<String> = match self.props.get(NAME) {
            None | Some(Value::Null) => return self.fail(NAME, "is required", Vec::new()),
            Some(Value::String(s)) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::Array(items)) => match all_strings(items) {
                Some(s) => s,
                None => return self.fail(NAME, "must be a list of subnet ids", Vec::new()),
            },
            Some(_) => return self.fail(NAME, "must be a list of subnet ids", Vec::new()),
        };
        if items.is_empty() {
            return self.fail(NAME, "must list at least one subnet", items);
        }
        if items.len() > 16 {
            return self.fail(NAME, "lists more than 16 subnets (the ECS limit)", items);
        }
        if let Some(bad) = items.iter().find(|s| prefixed(s, "subnet-").is_err()) {
            let message = format!("{bad:?} is not a subnet id (subnet-…)");
            return self.fail(NAME, &message, items);
        }
        items
    }

    /// A list of strings (ECS's `command` / `entryPoint`); absent or null is empty.
    fn strings(&mut self, name: &str) -> Vec<String> {
        let items = match self.props.get(name) {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => return self.fail(name, "must be a list of strings", Vec::new()),
        };
        match all_strings(items) {
            Some(s) => s,
            None => self.fail(name, "must be a list of strings", Vec::new()),
        }
    }

    fn map(
        &mut self,
        name: &str,
        check: fn(&str) -> Result<(), String>,
    ) -> BTreeMap<String, String> {
        let object = match self.props.get(name) {
            None | Some(Value::Null) => return BTreeMap::new(),
            Some(Value::Object(o)) => o,
            Some(_) => {
                return self.fail(name, "must be a map of string to string", BTreeMap::new())
            }
        };
        let mut out = BTreeMap::new();
        for (key, value) in object {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => {
                    return self.fail(
                        name,
                        &format!("value of {key:?} must be a string"),
                        BTreeMap::new(),
                    )
                }
            };
            if key.is_empty() {
                return self.fail(name, "keys must not be empty", BTreeMap::new());
            }
            if let Err(message) = check(key) {
                return self.fail(name, &message, BTreeMap::new());
            }
            out.insert(key.clone(), text);
        }
        out
    }

    fn tags(&mut self) -> Tags {
        let tags = self.map("Tags", user_tag);
        if tags.len() > MAX_USER_TAGS {
            let message =
                format!("at most {MAX_USER_TAGS} tags (prod-e adds 3 of its own; IAM allows 50)");
            return self.fail("Tags", &message, Tags::new());
        }
        tags
    }
}

/// The items as strings, if every one is a string.
fn all_strings(items: &[Value]) -> Option<Vec<String>> {
    items
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn prefixed(s: &str, prefix: &str) -> Result<(), String> {
    let rest = s.strip_prefix(prefix).unwrap_or_default();
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!("{s:?} is not a valid id ({prefix}…)"))
    }
}

fn listener_arn(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") && s.contains(":elasticloadbalancing:") && s.contains(":listener/") {
        Ok(())
    } else {
        Err(format!("{s:?} is not an ELBv2 listener ARN"))
    }
}

fn ecs_name(s: &str) -> Result<(), String> {
    let ok = (1..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be 1–255 letters, digits, hyphens or underscores"
        ))
    }
}

/// A replacement may append `-<fingerprint>` to the service name (see `naming`).
fn service_name(s: &str) -> Result<(), String> {
    ecs_name(s)?;
    let max = 255 - 1 - FINGERPRINT_LEN;
    match s.len() <= max {
        true => Ok(()),
        false => Err(format!("must have at most {max} characters")),
    }
}

fn image(s: &str) -> Result<(), String> {
    if !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err("must be an image reference of 1–255 characters without spaces".to_string())
    }
}

fn health_check_path(s: &str) -> Result<(), String> {
    if s.starts_with('/') && s.len() <= 1024 {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must start with / and have at most 1024 characters"
        ))
    }
}

fn path_pattern(s: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+*?&".contains(c);
    if (1..=128).contains(&s.len()) && s.chars().all(allowed) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be 1–128 characters of A–Z a–z 0–9 _ - . $ / ~ \" ' @ : + * ? &"
        ))
    }
}

fn user_tag(key: &str) -> Result<(), String> {
    match RESERVED_TAG_PREFIXES.iter().find(|p| key.starts_with(*p)) {
        Some(prefix) => Err(format!(
            "tag key {key:?} uses the reserved prefix {prefix:?}"
        )),
        None if key.len() > 128 => Err(format!("tag key {key:?} is longer than 128 characters")),
        None => Ok(()),
    }
}

/// The Cpu/Memory pairs Fargate accepts.
pub fn fargate_size(cpu: u32, memory: u32) -> Result<(), String> {
    let (min, max, step) = match cpu {
        256 => {
            return if [512, 1024, 2048].contains(&memory) {
                Ok(())
            } else {
                Err(format!(
                    "Cpu 256 allows Memory 512, 1024 or 2048, not {memory}"
                ))
            }
        }
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => {
            return Err(format!(
                "Cpu {cpu} is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)"
            ))
        }
    };
    if (min..=max).contains(&memory) && memory.is_multiple_of(step) {
        Ok(())
    } else {
        Err(format!(
            "Cpu {cpu} allows Memory {min}–{max} in steps of {step}, not {memory}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn required() -> Value {
        json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
            "VpcId": "vpc-0abc",
            "SubnetIds": ["subnet-a1", "subnet-b2"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/1/2",
            "LoadBalancerSecurityGroupId": "sg-0alb",
        })
    }

    #[test]
    fn defaults_are_the_production_values() {
        let spec = Spec::parse(&required()).unwrap();
        assert_eq!(spec.cluster_name, "prod-e-cluster");
        assert_eq!(spec.service_name, "prod-e-service");
        assert_eq!(spec.task_family, "prod-e-task");
        assert_eq!(spec.container_name, "dummy-container");
        assert_eq!(spec.image, "node:16");
        assert_eq!((spec.container_port, spec.cpu, spec.memory), (80, 256, 512));
        assert_eq!((spec.desired_count, spec.assign_public_ip), (1, false));
        assert_eq!(
            (spec.health_check_path.as_str(), spec.path_pattern.as_str()),
            ("/", "/*")
        );
        assert_eq!((spec.rule_priority, spec.log_retention_days), (100, 30));
    }

    #[test]
    fn strings_and_numbers_mean_the_same() {
        let mut a = required();
        let mut b = required();
        for (k, s, n) in [
            ("DesiredCount", json!("2"), json!(2)),
            ("Cpu", json!("512"), json!(512)),
            ("Memory", json!("1024"), json!(1024)),
            ("AssignPublicIp", json!("true"), json!(true)),
        ] {
            a[k] = s;
            b[k] = n;
        }
        assert_eq!(Spec::parse(&a).unwrap(), Spec::parse(&b).unwrap());
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = json!({
            "SubnetIds": [],
            "ListenerArn": 5,
            "LoadBalancerSecurityGroupId": "sg-1",
            "Cpu": "256", "Memory": "4096",
            "RulePriority": 0,
            "ContainerPort": "70000",
            "Colour": "blue",
        });
        let err = Spec::parse(&bad).unwrap_err();
        let named: Vec<&str> = err.0.iter().map(|p| p.property.as_str()).collect();
        for want in [
            "Colour",
            "VpcId",
            "SubnetIds",
            "ListenerArn",
            "ContainerPort",
            "RulePriority",
            "Cpu/Memory",
        ] {
            assert!(named.contains(&want), "{want} missing from {err}");
        }
        assert_eq!(named.len(), 7, "{err}");
        assert!(err
            .to_string()
            .starts_with("invalid properties: Colour: unknown property; VpcId: is required"));
    }

    #[test]
    fn command_and_entry_point_are_lists_of_strings() {
        let mut props = required();
        props["Command"] = json!(["node", "server.js"]);
        props["EntryPoint"] = json!(["/bin/sh", "-c"]);
        let spec = Spec::parse(&props).unwrap();
        assert_eq!(spec.command, ["node", "server.js"]);
        assert_eq!(spec.entry_point, ["/bin/sh", "-c"]);
        props["Command"] = json!("node server.js");
        props["EntryPoint"] = json!([1]);
        let err = Spec::parse(&props).unwrap_err().to_string();
        assert!(err.contains("Command: must be a list of strings"), "{err}");
        assert!(
            err.contains("EntryPoint: must be a list of strings"),
            "{err}"
        );
    }

    #[test]
    fn fargate_pairs() {
        assert!(fargate_size(256, 2048).is_ok());
        assert!(fargate_size(256, 4096).is_err());
        assert!(fargate_size(1024, 3072).is_ok());
        assert!(fargate_size(8192, 20480).is_ok());
        assert!(fargate_size(8192, 17408).is_err());
        assert!(fargate_size(300, 512).is_err());
    }

    #[test]
    fn diff_classifies_changes() {
        let old = Spec::parse(&required()).unwrap();
        let mut new = old.clone();
        new.image = "nginx".into();
        new.desired_count = 2;
        let diff = old.diff(&new);
        assert_eq!(diff.changed, BTreeSet::from(["Image", "DesiredCount"]));
        assert!(diff.needs_replacement().is_empty());
        new.container_port = 8080;
        assert_eq!(old.diff(&new).needs_replacement(), vec!["ContainerPort"]);
        assert!(old.diff(&old).is_empty());
    }

    #[test]
    fn the_fingerprint_changes_exactly_with_a_replacement_property() {
        let old = Spec::parse(&required()).unwrap();
        let fp = old.fingerprint();
        assert_eq!(fp.len(), FINGERPRINT_LEN);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
        let mut in_place = old.clone();
        in_place.image = "nginx".into();
        in_place.desired_count = 3;
        in_place.wait_for_steady_state = false;
        assert_eq!(in_place.fingerprint(), fp);
        let mut port = old.clone();
        port.container_port = 8080;
        let mut cluster = old.clone();
        cluster.cluster_name = "other".into();
        assert_ne!(port.fingerprint(), fp);
        assert_ne!(cluster.fingerprint(), fp);
        assert_ne!(cluster.fingerprint(), port.fingerprint());
    }

    #[test]
    fn locator_survives_invalid_properties() {
        let loc = Locator::from_properties(
            &json!({"ClusterName": 7, "ServiceName": "svc", "ListenerArn": "nope"}),
        );
        assert_eq!(loc.cluster_name, "prod-e-cluster");
        assert_eq!(loc.service_name, "svc");
        assert_eq!(loc.listener_arn, None);
    }
}
