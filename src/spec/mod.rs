//! The custom resource's Properties: typed and validated (every problem at once) as the table
//! in [`schema`] describes them, the diff old → new ([`Diff`]), and the lenient [`Locator`] for
//! Delete.

pub mod alarms;
pub mod balancing;
pub mod capacity;
pub mod caps;
pub mod checks;
mod deployment;
mod diff;
pub mod documents;
pub mod egress;
pub mod health;
pub mod hooks;
mod locator;
pub mod object;
pub mod overlap;
pub mod overrides;
pub mod policy;
pub mod problem;
pub mod property;
mod reader;
pub mod routing;
pub mod scaling;
pub mod schema;
pub mod smoke;
pub mod strategy;
#[cfg(test)]
mod tests;
mod typed;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::naming::{Tags, FINGERPRINT_LEN};
use balancing::Stickiness;
use capacity::CapacityProviderStrategyItem;
pub use diff::Diff;
use egress::EgressItem;
use health::{ContainerHealthCheck, TargetHealthCheck};
use hooks::LifecycleHook;
pub use locator::Locator;
pub use problem::{Invalid, Problem};
use reader::Reader;
use routing::{HttpHeader, QueryStringValue, Routing};
use scaling::{AutoScaling, ScheduledAction};
use schema::RepositoryCredentials;
use schema::{service_fields, target_group_fields, task_fields};
use schema::{Default, Property, ALIASES, CLOUDFORMATION_PROPERTIES};
use smoke::SmokeCheck;
use strategy::{CanaryConfiguration, LinearConfiguration};
use typed::FromProperty;

/// Declares [`Spec`] from the fields each group of the table names (`network_fields!`,
/// `service_fields!`, `target_group_fields!`, `task_fields!` in [`schema`], chained: each hands
/// its fields on to the next), `field: Type = CONST` (`CONST` its table entry), and with it
/// [`read`] (each field read as its type says: [`FromProperty`]) and [`PROPERTIES`] (the table,
/// in the same order).
macro_rules! spec {
    ([] $( $(#[$attr:meta])* $field:ident : $ty:ty = $property:ident, )*) => {
        /// What a deployment should be: one field per property, in the table's order
        /// (problems are reported in this order). Serialized field names are the property
        /// names ([`schema`]).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct Spec {
            $(
                #[doc = concat!("The value of [`schema::", stringify!($property), "`].")]
                $(#[$attr])*
                pub $field: $ty,
            )*
            /// The properties the Properties give (not their defaults).
            #[serde(skip)]
            pub stated: Vec<&'static str>,
            /// Whether the alarm gate's defaults apply (a new set's; an existing set's only if
            /// it was made with them: [`Spec::without_gate`]).
            #[serde(skip)]
            pub gate: bool,
        }

        /// Every property, in the order of the README's table.
        pub const PROPERTIES: &[Property] = &[ $( schema::$property, )* ];

        /// Every property, read in the table's order (problems are reported in this order).
        fn read(r: &mut Reader) -> Spec {
            Spec {
                $( $field: FromProperty::read(r, &schema::$property), )*
                stated: std::mem::take(&mut r.stated),
                gate: true,
            }
        }
    };
}

schema::network_fields! { [service_fields, target_group_fields, task_fields, spec] }

impl Spec {
    /// Validates `properties` (a JSON object as CloudFormation sends it: scalars may be strings,
    /// `""` is "not set"). Errors: every problem found, each naming its property.
    pub fn parse(properties: &Value) -> Result<Spec, Invalid> {
        let empty = Map::new();
        let (props, mut problems) = match properties {
            Value::Object(map) => (map, Vec::new()),
            Value::Null => (&empty, Vec::new()),
            _ => (
                &empty,
                vec![Problem::new("Properties", "must be an object")],
            ),
        };
        for name in props.keys() {
            let known = property(name).is_some()
                || ALIASES.iter().any(|alias| alias.name == name)
                || CLOUDFORMATION_PROPERTIES.contains(&name.as_str());
            if !known {
                problems.push(Problem::new(name, "unknown property"));
            }
        }
        let mut r = Reader {
            props,
            problems,
            stated: Vec::new(),
        };
        let mut spec = read(&mut r);
        if spec.alarms && !spec.states(schema::DEPLOYMENT_ALARMS.name) {
            spec.deployment_alarms = alarms::GATE.map(String::from).to_vec();
        }
        if let Err(message) = checks::fargate_size(spec.cpu, spec.memory) {
            let named = |p: &Problem| p.property == "Cpu" || p.property == "Memory";
            if !r.problems.iter().any(named) {
                r.problems.push(Problem::new("Cpu/Memory", &message));
            }
        }
        if spec.enable_execute_command && spec.readonly_root_filesystem {
            // ECS Developer Guide, "ECS Exec" considerations: a read-only root filesystem
            // is not supported.
            let message = "ECS Exec does not work with ReadonlyRootFilesystem: true";
            r.problems
                .push(Problem::new("EnableExecuteCommand", message));
        }
        if let Err(message) = checks::rolling(
            spec.desired_count,
            spec.minimum_healthy_percent,
            spec.maximum_percent,
        ) {
            r.problems.push(Problem::new("MaximumPercent", &message));
        }
        for message in alarms::problems(&spec.deployment_alarms, spec.alarms) {
            r.problems.push(Problem::new("DeploymentAlarms", &message));
        }
        r.problems.extend(balancing::problems(&spec));
        r.problems.extend(overrides::problems(&spec));
        if !spec.alarm_actions.is_empty() && !spec.alarms {
            let message = "are the baseline alarms' actions: they need Alarms: true";
            r.problems.push(Problem::new("AlarmActions", message));
        }
        for message in alarms::foreign_topics(&spec.alarm_actions, &spec.listener_arn) {
            r.problems.push(Problem::new("AlarmActions", &message));
        }
        r.problems
            .extend(deployment::strategy_problems(&spec, properties));
        if !spec.scheduled_actions.is_empty() && spec.auto_scaling.is_none() {
            let message = "needs AutoScaling (the bounds it changes)";
            r.problems.push(Problem::new("ScheduledActions", message));
        }
        for message in spec.routing().problems() {
            r.problems
                .push(Problem::new("listener rule conditions", &message));
        }
        match r.problems.is_empty() {
            true => Ok(spec),
            false => Err(Invalid(r.problems)),
        }
    }

    /// Whether the Properties give property `name` (rather than leave it to its default).
    pub fn states(&self, name: &str) -> bool {
        self.stated.contains(&name)
    }

    /// These properties with the defaults of a set made before the alarm gate where they
    /// leave a setting out: `Alarms` off (unless `DeploymentAlarms` names a baseline alarm),
    /// `DeploymentAlarms` empty. An existing set keeps the defaults it was made with, so that
    /// it changes only when its properties do.
    pub fn without_gate(&mut self) {
        self.gate = false;
        let given = self.states(schema::DEPLOYMENT_ALARMS.name);
        let baseline = |e: &String| alarms::kind_of(e).is_some();
        let named = given && self.deployment_alarms.iter().any(baseline);
        if !self.states(schema::ALARMS.name) && !named {
            self.alarms = false;
        }
        if !given {
            self.deployment_alarms.clear();
        }
    }

    /// The minutes a deployment of this strategy bakes ([`strategy::bake_minutes`]).
    pub fn bake_minutes(&self) -> u64 {
        let (canary, linear) = (&self.canary_configuration, &self.linear_configuration);
        strategy::bake_minutes(
            &self.deployment_strategy,
            self.bake_time_in_minutes,
            canary,
            linear,
        )
    }

    /// The target group's health check as ELBv2 takes it for `ProtocolVersion`
    /// ([`TargetHealthCheck::for_version`]).
    pub fn target_health_check(&self) -> TargetHealthCheck {
        self.health_check.for_version(&self.protocol_version)
    }

    /// Whether ECS deploys with its blue/green engine ([`strategy::is_native`]).
    pub fn native_strategy(&self) -> bool {
        strategy::is_native(&self.deployment_strategy)
    }

    /// The secrets the execution role reads for the task: `Secrets`' values and the
    /// `RepositoryCredentials` secret.
    pub fn secret_sources(&self) -> Vec<String> {
        let credentials = self.repository_credentials.as_ref();
        let credentials = credentials.map(|o| o.credentials_parameter.clone());
        self.secrets.values().cloned().chain(credentials).collect()
    }

    /// The outbound rules the tasks' group should have ([`egress::wanted`]).
    pub fn egress_rules(&self) -> Vec<egress::Rule> {
        egress::wanted(&self.egress)
    }

    /// The listener rule's conditions.
    pub fn routing(&self) -> Routing {
        Routing {
            host_headers: self.host_headers.clone(),
            path_patterns: self.path_patterns.clone(),
            http_header: self.http_header.clone(),
            query_string: self.query_string.clone(),
        }
    }

    /// The test listener rule's conditions: the listener rule's with `TestHostHeaders` and
    /// `TestPathPatterns` in place of `HostHeaders` and `PathPatterns`; `None` when both are
    /// empty (no test rule).
    pub fn test_routing(&self) -> Option<Routing> {
        let (hosts, paths) = (&self.test_host_headers, &self.test_path_patterns);
        if hosts.is_empty() && paths.is_empty() {
            return None;
        }
        let mut routing = self.routing();
        if !hosts.is_empty() {
            routing.host_headers = hosts.clone();
        }
        if !paths.is_empty() {
            routing.path_patterns = paths.clone();
        }
        Some(routing)
    }

    /// Names of the properties whose values differ between `self` (old) and `new`.
    pub fn diff(&self, new: &Spec) -> Diff {
        let (old_map, new_map) = (as_map(self), as_map(new));
        let changed = PROPERTIES
            .iter()
            .map(|p| p.name)
            .filter(|name| old_map.get(*name) != new_map.get(*name))
            .collect();
        let uses = |s: &Spec| !s.capacity_provider_strategy.is_empty();
        Diff {
            changed,
            capacity_switch: uses(self) != uses(new),
            reapplied: false,
        }
    }

    /// 8 hex digits of a hash of the replacement-class properties: part of the
    /// PhysicalResourceId, so that a replacement gets a new id and its own names. Whether the
    /// service uses capacity providers counts too (ECS cannot switch a service between a launch
    /// type and a strategy in place); it enters the hash only when it does, so that the ids
    /// of sets without one stay what they were.
    pub fn fingerprint(&self) -> String {
        let all = as_map(self);
        let at_default = |name: &str| {
            let default = HASHED_WHEN_SET.iter().find(|(n, _)| *n == name);
            default.is_some_and(|(_, d)| all.get(name) == Some(&Value::from(*d)))
        };
        let mut fixed: Map<String, Value> = PROPERTIES
            .iter()
            .filter(|p| p.needs_replacement() && !at_default(p.name))
            .map(|p| {
                let value = all.get(p.name).cloned().unwrap_or(Value::Null);
                (p.name.to_string(), value)
            })
            .collect();
        if !self.capacity_provider_strategy.is_empty() {
            fixed.insert("UsesCapacityProviders".into(), Value::Bool(true));
        }
        let digest = Sha256::digest(Value::Object(fixed).to_string().as_bytes());
        digest
            .iter()
            .take(FINGERPRINT_LEN / 2)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Replacement properties added once sets existed, with their defaults: each enters the
/// fingerprint only when set otherwise, so that the ids of sets made before stay what they
/// were (CloudFormation keeps a resource's PhysicalResourceId; a set's names derive from it).
const HASHED_WHEN_SET: [(&str, &str); 2] =
    [("TargetProtocol", "HTTP"), ("ProtocolVersion", "HTTP1")];

/// The property called `name`.
pub fn property(name: &str) -> Option<&'static Property> {
    PROPERTIES.iter().find(|p| p.name == name)
}

/// The default of a text property (`""` if it has none).
pub fn default_text(p: &Property) -> &'static str {
    match p.default {
        Default::Text(t) => t,
        _ => "",
    }
}

fn as_map(spec: &Spec) -> Map<String, Value> {
    match serde_json::to_value(spec) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}
