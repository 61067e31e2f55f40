//! The one table of `Custom::ProdEService` Properties, one file per group (the network, the
//! service, its target group, the task definition): each property's entry (name, type, default,
//! what a change does, one line of documentation) and its line in the group's field list
//! (`*_fields!`: its Rust field and type in [`super::Spec`]). The parser
//! ([`super::Spec::parse`]), the unknown-name check, the update diff and its effects, `prod-e
//! plan`, the README's property table and the JSON Schema ([`super::documents`]) all come from
//! it.

mod network;
mod service;
mod target_group;
mod task;

pub use network::*;
pub use service::*;
pub use target_group::*;
pub use task::*;

pub use super::property::{Default, Effect, Kind, Property};

const fn text(check: fn(&str) -> Result<(), String>, pattern: &'static str) -> Kind {
    Kind::Text {
        check,
        pattern: Some(pattern),
    }
}

const ECS_NAME: &str = "^[A-Za-z0-9_-]{1,255}$";

/// CloudFormation's own properties, always allowed and never ours to interpret.
pub const CLOUDFORMATION_PROPERTIES: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// An old name still accepted: for a whole property, or for one field of an object property.
/// Giving both is a problem.
#[derive(Debug, Clone, Copy)]
pub struct Alias {
    /// The old name.
    pub name: &'static str,
    /// The property it stands for.
    pub property: &'static str,
    /// The field of that (object) property it stands for, if not the whole.
    pub field: Option<&'static str>,
}

/// Every old name still accepted.
pub const ALIASES: [Alias; 2] = [
    Alias {
        name: "PathPattern",
        property: "PathPatterns",
        field: None,
    },
    Alias {
        name: "HealthCheckPath",
        property: "HealthCheck",
        field: Some("Path"),
    },
];

/// The alias of property `name` (of the whole or of a field), if it has one.
pub fn alias_of(name: &str) -> Option<&'static Alias> {
    ALIASES.iter().find(|a| a.property == name)
}
