//! Create, Update (in place or by replacement) and Delete of a whole deployment over the
//! dependency graph, one file per operation. Independent steps run concurrently; nothing here knows
//! CloudFormation.

mod adopt;
mod alarms;
mod bake;
mod commit;
mod create;
mod delete;
mod effects;
#[cfg(test)]
mod fixture;
mod inventory;
mod migration;
mod network;
mod replace;
mod revisions;
mod roles;
mod scaling;
mod set;
mod smoke;
mod strategy;
mod test_route;
mod traffic;
mod update;
pub mod url;
mod watch;

pub use alarms::{
    for_ecs, names as alarm_names, with_defaults_of, with_set_defaults, ALARM_GATE_TAG,
};
pub use create::{create, removes_what_it_made, CreateFailed};
pub use delete::{delete, delete_found};
pub use effects::effects;
#[cfg(test)]
pub use fixture::whole_set;
pub use inventory::{inventory, Inventory, Part, PartInfo, PARTS};
pub use replace::{replace, restore};
pub use update::update;
pub use watch::{confirm, deleted_under, rolls_back_a_replacement, Requested};

use serde::Serialize;

use crate::naming::{Deployment, Tags};

/// Who a deployment belongs to: its id and the stack resource that asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The set of resources, by its PhysicalResourceId.
    pub deployment: Deployment,
    /// The stack's ARN.
    pub stack_id: String,
    /// The stack resource's logical id.
    pub logical_id: String,
    /// The CloudFormation request being served (empty outside one, e.g. in the CLI).
    pub request_id: String,
}

impl Owner {
    /// The set of stack resource `logical_id` in `stack_id` for properties with `fingerprint`
    /// ([`crate::spec::Spec::fingerprint`]).
    pub fn new(stack_id: &str, logical_id: &str, fingerprint: &str) -> Self {
        let deployment = Deployment::new(stack_id, logical_id, fingerprint);
        Owner::of(deployment, stack_id, logical_id)
    }

    /// The owner of set `deployment` of logical resource `logical_id` in `stack_id`.
    pub fn of(deployment: Deployment, stack_id: &str, logical_id: &str) -> Self {
        Owner {
            deployment,
            stack_id: stack_id.to_string(),
            logical_id: logical_id.to_string(),
            request_id: String::new(),
        }
    }

    /// The same owner, serving CloudFormation request `request_id`.
    pub fn serving(self, request_id: &str) -> Self {
        Owner {
            request_id: request_id.to_string(),
            ..self
        }
    }

    /// The ECS `clientToken` for creating this set's service: unique to the set and the
    /// request (a later Create of the same set after a Delete gets another one, as ECS
    /// requires), and to the revision. 32 hex digits
    /// (ECS allows up to 36 ASCII characters: CreateService API reference). Seeded with the
    /// `revision` the service is created with too: each run of a request registers its own,
    /// and ECS promises an idempotent answer only for the same token with the same parameters
    /// (ECS API reference, "Ensuring idempotency"); another token meets the documented name
    /// conflict ("not idempotent"), which Create resolves by adopting the service.
    pub fn client_token(&self, revision: &str) -> String {
        let (id, request) = (self.deployment.physical_id(), &self.request_id);
        hex_digest(&format!("{id}\n{request}\n{revision}"), 16)
    }

    /// The `startedBy` of the one-off tasks this request runs for this set
    /// (`MigrationCommand`): `<PhysicalResourceId>/<16 hex digits of the request>`, within
    /// ECS's 128 letters, digits, hyphens, slashes and underscores (RunTask API reference).
    pub fn started_by(&self) -> String {
        let id = self.deployment.physical_id();
        format!("{id}/{}", hex_digest(&self.request_id, 8))
    }

    /// Ownership tags plus the user's tags.
    pub fn tags(&self, user: &Tags) -> Tags {
        self.deployment.tags(user)
    }

    /// The ARN of this account's IAM role `name` (path `/`, as prod-e creates its roles), from
    /// the stack's partition and account.
    pub fn role_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:iam::{}:role/{name}",
            self.partition(),
            self.arn_part(4)
        )
    }

    /// The ARN of the set's log group (CloudWatch Logs' `log-group:<name>` form), in the stack's
    /// partition, region and account.
    pub fn log_group_arn(&self) -> String {
        let (region, account) = (self.arn_part(3), self.arn_part(4));
        let name = self.deployment.log_group();
        format!(
            "arn:{}:logs:{region}:{account}:log-group:{name}",
            self.partition()
        )
    }

    /// The ARN partition (`aws`, `aws-cn`, `aws-us-gov`) of the stack.
    pub fn partition(&self) -> &str {
        Some(self.arn_part(1))
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
    }

    /// Field `n` of the stack's ARN (`arn:partition:service:region:account:resource`).
    fn arn_part(&self, n: usize) -> &str {
        self.stack_id.split(':').nth(n).unwrap_or_default()
    }
}

/// How a set being built comes by the stack resource's task role and security group, which
/// outlive replacements (their ARN and id are what databases, buckets and keys admit):
/// without a read on a Create (`fresh`: nothing exists yet), else its own if an earlier
/// attempt took them, else those of `from` (the set a replacement replaces, or gives the
/// traffic back to), handed over in [`commit::commit`]; else they are made.
#[derive(Debug, Clone, Copy)]
pub(super) struct Heir<'a> {
    /// The set whose task role and security group this one takes over, if any.
    pub from: Option<&'a Deployment>,
    /// A Create: nothing to read, everything is made.
    pub fresh: bool,
}

impl Heir<'_> {
    /// Of `found`: the one `d` owns, else the one `from` owns (a sibling of `d`'s).
    pub fn held<T: crate::resources::Tagged>(&self, d: &Deployment, found: Vec<T>) -> Option<T> {
        let from = |r: &T| {
            self.from
                .is_some_and(|f| d.sibling_owns(r.tags()) && f.owns(r.tags()))
        };
        let i = found.iter().position(|r| d.owns(r.tags()));
        let i = i.or_else(|| found.iter().position(from))?;
        found.into_iter().nth(i)
    }
}

/// What a finished Create or Update reports (CloudFormation's `Fn::GetAtt` attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Outputs {
    /// The ECS cluster.
    pub cluster_arn: String,
    /// The ECS cluster's name.
    pub cluster_name: String,
    /// The ECS service.
    pub service_arn: String,
    /// The ECS service's name.
    pub service_name: String,
    /// The task definition revision it runs.
    pub task_definition_arn: String,
    /// The target group it registers with.
    pub target_group_arn: String,
    /// The listener rule.
    pub listener_rule_arn: String,
    /// The listener rule's priority (`RulePriority`, or the one prod-e chose).
    pub listener_rule_priority: String,
    /// Its security group.
    pub security_group_id: String,
    /// The role ECS pulls images and writes logs with.
    pub execution_role_arn: String,
    /// The role the application runs with.
    pub task_role_arn: String,
    /// The container log group.
    pub log_group_name: String,
    /// Where the set answers: the listener's scheme, the rule's first exact host (else the
    /// load balancer's DNS name) and first path ([`url::url`]).
    pub url: String,
    /// The baseline alarms' names (`CpuHighAlarmName`, …), with `Alarms: true`.
    #[serde(flatten)]
    pub alarm_names: std::collections::BTreeMap<String, String>,
}

/// The first `bytes` bytes of the SHA-256 of `seed`, in hex.
fn hex_digest(seed: &str, bytes: usize) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}
