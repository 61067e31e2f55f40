//! One file per AWS resource kind, each with the same verbs (`find`, `create`, `update_*`,
//! `delete`, `wait_*`). These files, and only these, call the AWS SDK.

/// Implements [`Tagged`] for a resource struct with a `tags` field.
macro_rules! tagged {
    ($ty:ty, $kind:literal, $label:ident) => {
        impl $crate::resources::Tagged for $ty {
            const KIND: &'static str = $kind;
            fn tags(&self) -> &$crate::naming::Tags {
                &self.tags
            }
            fn label(&self) -> &str {
                &self.$label
            }
        }
    };
}

pub mod alarm;
pub mod cluster;
pub mod continuation_key;
pub mod egress;
pub mod function;
pub mod listener_rule;
pub mod load_balancer;
pub mod log_group;
pub mod overrides;
pub mod role;
pub mod route_table;
pub mod scaling;
pub mod security_group;
pub mod security_group_rule;
pub mod service;
pub mod service_linked_role;
pub mod settings;
pub mod stack;
pub mod subnet;
pub mod tags;
pub mod target_group;
pub mod task;
pub mod task_definition;
pub mod vpc;
pub mod vpc_endpoint;

use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};

/// A resource as found in AWS, with the tags that decide whether it is ours.
pub trait Tagged {
    /// What the resource is called in messages ("ECS cluster").
    const KIND: &'static str;
    /// Its tags.
    fn tags(&self) -> &Tags;
    /// Its name or id, for messages.
    fn label(&self) -> &str;
}

/// The ownership rule, in one place: a found resource is usable only if it carries our tag.
/// `Ok(None)` means "not there, create it"; a foreign resource is an error naming it.
pub fn claim<T: Tagged>(deployment: &Deployment, found: Option<T>) -> Result<Option<T>> {
    match found {
        Some(r) if deployment.owns(r.tags()) => Ok(Some(r)),
        Some(r) => Err(Error::NotOurs {
            kind: T::KIND,
            name: r.label().to_string(),
        }),
        None => Ok(None),
    }
}

/// [`claim`], except that a resource of another set of the same stack resource is usable
/// too: a replacement shares it until it takes it over (the cluster when ClusterName stays).
pub fn borrow<T: Tagged>(deployment: &Deployment, found: Option<T>) -> Result<Option<T>> {
    match found {
        Some(r) if deployment.sibling_owns(r.tags()) => Ok(Some(r)),
        other => claim(deployment, other),
    }
}

/// For Delete: keeps only what is ours, logging what is skipped.
pub fn ours<T: Tagged>(deployment: &Deployment, found: Option<T>) -> Option<T> {
    match found {
        Some(r) if deployment.owns(r.tags()) => Some(r),
        Some(r) => {
            tracing::warn!(
                kind = T::KIND,
                name = r.label(),
                "not ours (no matching ownership tag): left untouched"
            );
            None
        }
        None => None,
    }
}

/// `value`, which AWS always sends in this answer (an id, a name, an ARN), or
/// [`Error::Incomplete`] naming it: an empty result is an error, not a zero value.
pub(crate) fn required(
    value: Option<&str>,
    kind: &'static str,
    field: &'static str,
) -> Result<String> {
    value
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or(Error::Incomplete { kind, field })
}

/// Turns "not found" into `None`: a missing resource is a value, not an error.
pub fn found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if crate::error::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Turns "not found" into success: deleting what is already gone is done.
pub fn gone(result: Result<()>) -> Result<()> {
    found(result).map(|_| ())
}

/// A stand-in for a resource whose build step failed in the SDK's own builder.
pub(crate) fn build_error(doing: &str, err: impl std::fmt::Display) -> Error {
    Error::Aws {
        doing: doing.to_string(),
        code: None,
        message: err.to_string(),
    }
}
