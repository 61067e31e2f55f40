//! The set an Update works on: every part required to exist and be ours, read once.

use super::super::set::{Built, Parts};
use super::super::strategy;
use super::super::Inventory;
use crate::error::{Error, Result};
use crate::naming::{Deployment, Tags};
use crate::resources::alarm::Alarm;
use crate::resources::listener_rule::ListenerRule;
use crate::resources::scaling::ScalableTarget;
use crate::resources::task_definition::family_of;
use crate::resources::{claim, log_group, role, service, target_group, task_definition, Tagged};
use crate::spec::{Diff, Spec};

/// The resources of the set an Update works on, each required to exist and be ours.
pub(super) struct Set {
    pub parts: Parts,
    pub logs: log_group::LogGroup,
    pub service: service::Service,
    /// Our revisions in any family (ACTIVE or not), newest first.
    pub revisions: Vec<task_definition::TaskDefinition>,
    /// The service's scalable target, if it has one (ours or not: decided when used).
    pub scalable_target: Option<ScalableTarget>,
    /// The baseline alarms that exist under the set's names.
    pub alarms: Vec<Alarm>,
    /// A native strategy's alternate target group, if the set has one (ours).
    pub alternate_target_group: Option<target_group::TargetGroup>,
    /// A native strategy's traffic role, if the set has one (ours).
    pub traffic_role: Option<role::Role>,
    /// A native strategy's test listener rules (ours; one, the highest priority first).
    pub test_listener_rules: Vec<ListenerRule>,
}

impl Set {
    /// What a revision registered for this set names: its roles and log group.
    pub(super) fn links(&self) -> task_definition::Links<'_> {
        task_definition::Links {
            execution_role_arn: &self.parts.execution_role.arn,
            task_role_arn: &self.parts.task_role.arn,
            log_group: &self.logs.name,
        }
    }

    /// Where this set's one-off tasks run.
    pub(super) fn migration_place(&self) -> super::super::migration::Place<'_> {
        super::super::migration::Place {
            cluster: &self.parts.cluster.name,
            security_group_id: &self.parts.security_group.id,
            log_group: &self.logs.name,
        }
    }

    /// The set in `found`, or [`Error::Missing`] / [`Error::NotOurs`] naming what is not.
    pub(super) fn require(d: &Deployment, found: Inventory, old: &Spec) -> Result<Set> {
        let execution_role = require(d, found.execution_role, || d.execution_role())?;
        let task_role = require(d, found.task_role, || d.task_role())?;
        let security_group = require(d, found.security_group, || d.security_group())?;
        let logs = require(d, found.log_group, || d.log_group())?;
        let cluster = require(d, found.cluster, || old.cluster_name.clone())?;
        let target_group = require(d, found.target_group, || d.target_group())?;
        let rule = require(d, found.listener_rule, || {
            format!("on {}", old.listener_arn)
        })?;
        let service = require(d, found.service, || old.service_name.clone())?;
        let parts = Parts {
            execution_role,
            task_role,
            task_definition: revision(&service.task_definition),
            target_group,
            rule,
            security_group,
            cluster,
        };
        Ok(Set {
            parts,
            logs,
            service,
            revisions: found.task_definitions,
            scalable_target: found.scalable_target,
            alarms: found.alarms,
            alternate_target_group: claim(d, found.alternate_target_group)?,
            traffic_role: claim(d, found.traffic_role)?,
            // Found by this set's own tag alone: ours.
            test_listener_rules: found.test_listener_rules,
        })
    }

    /// Where its deployment strategy lives ([`strategy::Place`]).
    pub(super) fn place(&self) -> strategy::Place<'_> {
        strategy::Place {
            cluster: &self.parts.cluster.name,
            service: &self.service,
            rule: &self.parts.rule,
            primary: &self.parts.target_group,
        }
    }

    /// The set as built, running revision `task_definition_arn` ([`Built::outputs`]).
    pub(super) fn built(self, task_definition_arn: String) -> Built {
        Built {
            parts: Parts {
                task_definition: revision(&task_definition_arn),
                ..self.parts
            },
            service: self.service,
            fresh: false,
        }
    }
    /// The revision the service is to run once the writes are done: the one they
    /// `registered`; in a continuation (writes done, `diff` empty) the one its first invocation
    /// registered, our newest in `family`; otherwise the one running.
    pub(super) fn revision_to_run(
        &self,
        registered: Option<String>,
        diff: &Diff,
        family: &str,
    ) -> String {
        let running = self.service.task_definition.clone();
        match registered {
            Some(arn) => arn,
            None if diff.is_empty() => self
                .revisions
                .iter()
                .find(|t| family_of(&t.arn) == family)
                .map_or(running, |t| t.arn.clone()),
            None => running,
        }
    }
}

/// Revision `arn`, as far as the outputs need it.
fn revision(arn: &str) -> task_definition::TaskDefinition {
    task_definition::TaskDefinition {
        arn: arn.to_string(),
        tags: Tags::new(),
    }
}

/// An Update needs every resource to exist and be ours.
fn require<T: Tagged>(d: &Deployment, found: Option<T>, name: impl Fn() -> String) -> Result<T> {
    claim(d, found)?.ok_or_else(|| Error::Missing {
        kind: T::KIND,
        name: name(),
    })
}
