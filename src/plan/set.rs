//! What building a set starts from ([`Start`]), its resources ([`Parts`]) and what it leaves
//! ([`Built`]): shared by Create's stages (`create`, `traffic`), the routing that ends them
//! (`commit`) and Update (which requires the parts it changes).

use super::{Heir, Outputs};
use crate::naming::Deployment;
use crate::resources::{
    cluster, listener_rule, role, security_group, service, target_group, task_definition,
};
use crate::spec::Spec;

/// Where building a set starts from.
pub(super) struct Start {
    /// The priority a new listener rule gets.
    pub priority: u32,
    /// The stack resource's rule on the listener, if known (preflight read it).
    pub rule: Option<listener_rule::ListenerRule>,
    /// The task count of the service a replacement replaces (the new one starts there when
    /// scaling is on).
    pub running: Option<u32>,
    /// A new stack resource (a Create): no sibling set exists, so every resource is created
    /// first and read only if it exists already. Otherwise (a replacement, a restore) the
    /// rule and the service are read first: a sibling set holds their places.
    pub fresh: bool,
    /// The set whose task role and security group this one takes over (a replacement's
    /// original set; in the rollback of a replacement, the replacing one).
    pub from: Option<Deployment>,
}

impl Start {
    /// How the set comes by its task role and security group.
    pub(super) fn heir(&self) -> Heir<'_> {
        Heir {
            from: self.from.as_ref(),
            fresh: self.fresh,
        }
    }
}

/// The resources of a whole set but its service and its optional parts (scaling, alarms):
/// what Create builds before the service, and what an Update requires to exist and be ours.
#[derive(Default)]
pub(super) struct Parts {
    pub execution_role: role::Role,
    pub task_role: role::Role,
    /// The revision the set runs (a Create's: the one it registered).
    pub task_definition: task_definition::TaskDefinition,
    pub target_group: target_group::TargetGroup,
    /// The listener rule that forwards to the target group (while a set is built, matching no
    /// request yet or, in a replacement, the old set's rule, where the new group has weight 0).
    pub rule: listener_rule::ListenerRule,
    pub security_group: security_group::SecurityGroup,
    pub cluster: cluster::Cluster,
}

/// A set built but not yet receiving traffic (or, in an Update, changed in place).
pub(super) struct Built {
    pub parts: Parts,
    pub service: service::Service,
    /// Built by a Create: nothing was taken over from another set.
    pub fresh: bool,
}

impl Built {
    /// What the set reports (the `Fn::GetAtt` attributes), under `spec`: the one place a
    /// Create, a replacement and an Update build their [`Outputs`]. The rule's priority is
    /// `RulePriority` when given (an Update may have just moved the rule there).
    pub(super) fn outputs(self, d: &Deployment, spec: &Spec, url: String) -> Outputs {
        let priority = spec.rule_priority.map(|p| p.to_string());
        let parts = self.parts;
        Outputs {
            listener_rule_priority: priority.unwrap_or(parts.rule.priority),
            cluster_arn: parts.cluster.arn,
            cluster_name: parts.cluster.name,
            service_arn: self.service.arn,
            service_name: self.service.name,
            task_definition_arn: parts.task_definition.arn,
            target_group_arn: parts.target_group.arn,
            listener_rule_arn: parts.rule.arn,
            security_group_id: parts.security_group.id,
            execution_role_arn: parts.execution_role.arn,
            task_role_arn: parts.task_role.arn,
            log_group_name: d.log_group(),
            url,
            alarm_names: super::alarms::attributes(d, spec),
        }
    }
}
