//! `TaskDefinitionOverrides` and `ServiceOverrides`: the escape hatch, a JSON object merged
//! into the RegisterTaskDefinition, or the CreateService and UpdateService, request prod-e
//! sends, in the ECS API's own member names (`ulimits`, `dockerLabels`, `platformVersion`…).
//! Refused, naming the field, where it touches what prod-e owns (roles, network, names, tags,
//! load balancers, the container's image and port, its log configuration) or what a property
//! already says (the message names the property). How the merge is made on the wire is
//! [`crate::resources::overrides`]'s.
//!
//! Sources: ECS API Reference, RegisterTaskDefinition, `ContainerDefinition`, CreateService
//! and UpdateService (the members each takes).

use serde_json::{Map, Value};

use super::problem::Problem;
use super::reader::Reader;
use super::schema::Property;
use super::Spec;

/// RegisterTaskDefinition members prod-e owns, each with the property that sets it, if any.
const TASK_OWNED: [(&str, Option<&str>); 10] = [
    ("family", Some("TaskFamily")),
    ("taskRoleArn", None),
    ("executionRoleArn", None),
    ("networkMode", None),
    ("requiresCompatibilities", None),
    ("tags", Some("Tags")),
    ("cpu", Some("Cpu")),
    ("memory", Some("Memory")),
    ("runtimePlatform", Some("CpuArchitecture")),
    ("ephemeralStorage", Some("EphemeralStorageGiB")),
];

/// `ContainerDefinition` members prod-e owns, each with the property that sets it, if any.
const CONTAINER_OWNED: [(&str, Option<&str>); 12] = [
    ("image", Some("Image")),
    ("portMappings", Some("ContainerPort")),
    ("logConfiguration", None),
    ("essential", None),
    ("environment", Some("Environment")),
    ("secrets", Some("Secrets")),
    ("command", Some("Command")),
    ("entryPoint", Some("EntryPoint")),
    ("healthCheck", Some("ContainerHealthCheck")),
    ("readonlyRootFilesystem", Some("ReadonlyRootFilesystem")),
    ("stopTimeout", Some("StopTimeout")),
    ("repositoryCredentials", Some("RepositoryCredentials")),
];

/// The CreateService members `ServiceOverrides` may set: those UpdateService takes too (so a
/// change reaches the running service) and prod-e does not set itself.
/// Not `placementConstraints` / `placementStrategy` (ECS does not place Fargate tasks: prod-e
/// runs no other), nor `volumeConfigurations` / `vpcLatticeConfigurations` (each passes an
/// infrastructure role, which the function may not: [`passes_no_role`]).
pub const SERVICE_FREE: [&str; 4] = [
    "availabilityZoneRebalancing",
    "platformVersion",
    "serviceRegistries",
    "serviceConnectConfiguration",
];

impl Reader<'_> {
    /// An overrides object (a JSON object, or a string holding one) that `check` accepts, as
    /// compact JSON: `None` if not set.
    pub fn overrides(
        &mut self,
        p: &Property,
        check: fn(&Value) -> Result<(), String>,
    ) -> Option<String> {
        let value = self.given(p)?.clone();
        let value = match value {
            Value::String(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => v,
                Err(e) => return self.fail(p.name, &format!("is not JSON: {e}"), None),
            },
            other => match stringified(&other) {
                Some(at) => return self.fail(p.name, &stringified_message(&at), None),
                None => other,
            },
        };
        match check(&value).and_then(|()| passes_no_role(&value)) {
            Ok(()) => Some(value.to_string()),
            Err(message) => self.fail(p.name, &message, None),
        }
    }
}

/// The path (`a.b[0].c`) of the first place in `value`, depth first, where `found` holds.
fn first_where(value: &Value, at: &str, found: &dyn Fn(&Value) -> bool) -> Option<String> {
    if found(value) {
        return Some(at.to_string());
    }
    let member = |key: &str| match at.is_empty() {
        true => key.to_string(),
        false => format!("{at}.{key}"),
    };
    match value {
        Value::Object(members) => members
            .iter()
            .find_map(|(key, v)| first_where(v, &member(key), found)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_where(v, &format!("{at}[{i}]"), found)),
        _ => None,
    }
}

/// Where `value` (an overrides object as CloudFormation passed it) holds a string that reads
/// as a number or a boolean: CloudFormation passes a custom resource's properties with every
/// scalar as a string (CloudFormation User Guide, custom resources: "all values are
/// strings"), so an object's `4096` or `true` reaches prod-e as `"4096"` or `"true"`, which ECS
/// refuses in a number's or a boolean's place; given as a JSON string, the object keeps them.
fn stringified(value: &Value) -> Option<String> {
    let typed = |v: &Value| {
        v.as_str()
            .is_some_and(|s| s.parse::<f64>().is_ok() || s == "true" || s == "false")
    };
    first_where(value, "", &typed)
}

fn stringified_message(at: &str) -> String {
    format!(
        "{at} is a number or a boolean as a string, as CloudFormation passes an object's values: \
         give the overrides as a JSON string (Fn::ToJsonString, or a YAML block) so that ECS \
         gets them typed"
    )
}

/// No member named `roleArn` anywhere (Service Connect's TLS, a VPC Lattice or volume
/// configuration's infrastructure role): the function may pass only the roles it makes
/// (the template's `iam:PassRole` grants), so such a request fails with AccessDenied.
fn passes_no_role(value: &Value) -> Result<(), String> {
    match first_where(value, "", &|v| v.get("roleArn").is_some()) {
        Some(at) => Err(format!(
            "{}roleArn passes a role: the function may pass only the roles prod-e makes",
            match at.is_empty() {
                true => String::new(),
                false => format!("{at}."),
            }
        )),
        None => Ok(()),
    }
}

/// `TaskDefinitionOverrides`: an object of RegisterTaskDefinition members, none of them
/// prod-e's; `containerDefinitions` a list of objects each naming the container it merges into
/// (`name`), with none of prod-e's container members.
pub fn task_definition(value: &Value) -> Result<(), String> {
    let fields = object(value)?;
    refuse_owned(fields, &TASK_OWNED, "")?;
    let Some(containers) = fields.get("containerDefinitions") else {
        return Ok(());
    };
    let Value::Array(items) = containers else {
        return Err("containerDefinitions must be a list".to_string());
    };
    for (i, item) in items.iter().enumerate() {
        let at = format!("containerDefinitions[{i}].");
        let fields = object(item).map_err(|e| format!("containerDefinitions[{i}] {e}"))?;
        if !fields.get("name").is_some_and(Value::is_string) {
            return Err(format!("{at}name must name the container it changes"));
        }
        refuse_owned(fields, &CONTAINER_OWNED, &at)?;
    }
    Ok(())
}

/// `ServiceOverrides`: an object of [`SERVICE_FREE`] members only.
pub fn service(value: &Value) -> Result<(), String> {
    let fields = object(value)?;
    match fields.keys().find(|k| !SERVICE_FREE.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{key} is not one ServiceOverrides may set (prod-e's own, a property's, or one \
             UpdateService does not take): {}",
            SERVICE_FREE.join(", ")
        )),
        None => Ok(()),
    }
}

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err("must be a JSON object".to_string()),
    }
}

/// The first of `fields` that `owned` lists, as a problem naming it (`at` its place).
fn refuse_owned(
    fields: &Map<String, Value>,
    owned: &[(&str, Option<&str>)],
    at: &str,
) -> Result<(), String> {
    let found = owned.iter().find(|(key, _)| fields.contains_key(*key));
    match found {
        None => Ok(()),
        Some((key, Some(property))) => Err(format!("{at}{key} is set by the property {property}")),
        Some((key, None)) => Err(format!("{at}{key} is prod-e's own")),
    }
}

/// `TaskDefinitionOverrides`' containers that are not the task's (`ContainerName`).
pub fn problems(spec: &Spec) -> Vec<Problem> {
    let overrides = spec.task_definition_overrides.as_deref().unwrap_or("{}");
    let value: Value = serde_json::from_str(overrides).unwrap_or_default();
    let items = value["containerDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names = items.iter().filter_map(|c| c["name"].as_str());
    let foreign = names.filter(|name| *name != spec.container_name);
    let problem = |name: &str| {
        let message = format!(
            "containerDefinitions names {name}: the task's container is {}",
            spec.container_name
        );
        Problem::new("TaskDefinitionOverrides", &message)
    };
    foreign.map(problem).collect()
}
