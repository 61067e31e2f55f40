//! The diff old → new of an Update: which properties changed, and what their changes need
//! (a replacement, or writes in place by [`Effect`]).

use std::collections::BTreeSet;

use super::schema::{self, Effect, Property};
use super::Spec;
use super::PROPERTIES;

/// The properties an Update changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// The names of the changed properties.
    pub changed: BTreeSet<&'static str>,
    /// Whether the service moves between the FARGATE launch type and a capacity provider
    /// strategy (a replacement, though the property itself changes in place).
    pub capacity_switch: bool,
    /// Every in-place property is re-applied because the old values are unknown
    /// ([`Diff::all_in_place`]): what is in AWS converges to the new values.
    pub reapplied: bool,
}

impl Diff {
    /// Changed properties that need a new set of resources.
    pub fn needs_replacement(&self) -> Vec<&'static str> {
        let mut names = self.with(|p| p.needs_replacement());
        if self.capacity_switch {
            names.push(schema::CAPACITY_PROVIDER_STRATEGY.name);
        }
        names
    }

    /// Whether a changed property needs a new task definition revision: the task definition
    /// itself, or its secrets.
    pub fn revises_task_definition(&self) -> bool {
        self.any(Effect::TaskDefinition) || self.any(Effect::Secrets)
    }

    /// Whether a changed property has `effect`.
    pub fn any(&self, effect: Effect) -> bool {
        !self.with(|p| p.effect == effect).is_empty()
    }

    /// The changed properties `keep` accepts, in the table's order.
    pub fn with(&self, keep: impl Fn(&Property) -> bool) -> Vec<&'static str> {
        PROPERTIES
            .iter()
            .filter(|p| keep(p) && self.changed.contains(p.name))
            .map(|p| p.name)
            .collect()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }

    /// Whether the listener rule's conditions, or its priority given in `new`, change.
    pub fn reroutes(&self, new: &Spec) -> bool {
        self.any(Effect::Routing) || (self.any(Effect::Priority) && new.rule_priority.is_some())
    }

    /// Every in-place property, for re-applying a spec whose previous values are unknown.
    pub fn all_in_place() -> Self {
        let changed = PROPERTIES
            .iter()
            .filter(|p| !p.needs_replacement())
            .map(|p| p.name)
            .collect();
        Diff {
            changed,
            capacity_switch: false,
            reapplied: true,
        }
    }
}
