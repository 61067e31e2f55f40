//! The custom resource's Properties: typed and validated (every problem at once) as the table
//! in [`schema`] describes them, the diff old → new ([`Diff`]), and the lenient [`Locator`] for
//! Delete.

pub mod alarms;
pub mod balancing;
pub mod capacity;
pub mod caps;
pub mod checks;
mod diff;
pub mod documents;
pub mod egress;
pub mod health;
pub mod hooks;
mod locator;
pub mod object;
pub mod overlap;
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
        if !spec.alarm_actions.is_empty() && !spec.alarms {
            let message = "are the baseline alarms' actions: they need Alarms: true";
            r.problems.push(Problem::new("AlarmActions", message));
        }
        for message in alarms::foreign_topics(&spec.alarm_actions, &spec.listener_arn) {
            r.problems.push(Problem::new("AlarmActions", &message));
        }
        r.problems.extend(strategy_problems(&spec, properties));
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
        let mut fixed: Map<String, Value> = PROPERTIES
            .iter()
            .filter(|p| p.needs_replacement())
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

/// What is wrong with `spec`'s `DeploymentStrategy`: `RequestsPerTarget` with a native one,
/// `LifecycleHooks` without one, and bakes that cannot finish inside `ServiceTimeout` (from
/// `properties`) while waiting.
fn strategy_problems(spec: &Spec, properties: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let per_target = spec
        .auto_scaling
        .as_ref()
        .and_then(|a| a.requests_per_target);
    if per_target.is_some() && spec.native_strategy() {
        // ALBRequestCountPerTarget names one target group (Application Auto Scaling,
        // PredefinedMetricSpecification `ResourceLabel`); a native strategy serves from either
        // of two.
        let message = "RequestsPerTarget tracks one target group, and a native \
                       DeploymentStrategy moves traffic between two: use CpuTarget or \
                       MemoryTarget";
        problems.push(Problem::new("AutoScaling", message));
    }
    if !spec.lifecycle_hooks.is_empty() && !spec.native_strategy() {
        // The stages are those of a deployment with a blue and a green revision (ECS API
        // Reference, `DeploymentLifecycleHook.lifecycleStages`); prod-e's rolling
        // deployments run none.
        let message = "LifecycleHooks run at the stages of a BLUE_GREEN, CANARY or LINEAR \
                       deployment: set DeploymentStrategy to one of them";
        problems.push(Problem::new("LifecycleHooks", message));
    }
    problems.extend(test_route_problems(spec));
    let smoke = smoke::problems(spec).into_iter();
    problems.extend(smoke.map(|m| Problem::new(schema::SMOKE_CHECKS.name, &m)));
    // ECS's bakes, waited for with WaitForSteadyState (a replacement's own bake takes what
    // is left of its invocation and of ServiceTimeout: `plan::bake`).
    if spec.wait_for_steady_state {
        let timeout = strategy::service_timeout(properties);
        if let Err(message) = strategy::fits(spec.bake_minutes(), timeout) {
            problems.push(Problem::new("DeploymentStrategy", &message));
        }
    }
    problems
}

/// What is wrong with the test listener rule: one without a native strategy (ECS's
/// `advancedConfiguration.testListenerRule` is a native strategy's), one that matches exactly
/// what the listener rule matches (it would take all production traffic), and ALB's limits.
fn test_route_problems(spec: &Spec) -> Vec<Problem> {
    let Some(test) = spec.test_routing() else {
        return Vec::new();
    };
    let name = match spec.test_host_headers.is_empty() {
        true => schema::TEST_PATH_PATTERNS.name,
        false => schema::TEST_HOST_HEADERS.name,
    };
    let mut problems = Vec::new();
    if !spec.native_strategy() {
        let message = "a test listener rule is ECS's, for BLUE_GREEN, CANARY or LINEAR \
                       deployments: set DeploymentStrategy to one of them";
        problems.push(Problem::new(name, message));
    }
    if test == spec.routing() {
        let message = "the test listener rule would match exactly the requests the listener \
                       rule matches, and take all production traffic first: give other hosts \
                       or paths than HostHeaders/PathPatterns";
        problems.push(Problem::new(name, message));
    }
    for message in test.problems() {
        problems.push(Problem::new("test listener rule conditions", &message));
    }
    problems
}

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
