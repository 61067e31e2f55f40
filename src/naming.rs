//! Deterministic names and ownership tags: what makes a resource ours.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Tags as they are stored on every resource.
pub type Tags = BTreeMap<String, String>;

/// The tag whose value must equal our PhysicalResourceId before we modify or delete anything.
pub const OWNER_TAG: &str = "prod-e:physical-id";
/// The stack that owns the resource (for operators and `prod-e orphans`).
pub const STACK_TAG: &str = "prod-e:stack-id";
/// The logical id of the custom resource in that stack.
pub const LOGICAL_TAG: &str = "prod-e:logical-id";
/// The prefix of prod-e's own tag keys.
pub const OWN_TAG_PREFIX: &str = "prod-e:";
/// User tags may not use these prefixes.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["aws:", OWN_TAG_PREFIX];

/// The reserved prefix tag key `key` starts with, in any case (AWS reserves `aws:` whatever its
/// case), if it does: a tag that is not the user's.
pub fn reserved_prefix(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    RESERVED_TAG_PREFIXES
        .into_iter()
        .find(|p| lower.starts_with(p))
}

/// The tags of a set's IAM roles: its `tags` less the user's, but for the keys in `allowed` (the
/// operator's `RoleTagKeys`). A role's tags are the principal tags (`aws:PrincipalTag`) of every
/// session of it (IAM User Guide, "Pass session tags in AWS STS"), so a stack's own tags there
/// could satisfy another team's tag-based conditions.
pub fn role_tags(tags: &Tags, allowed: &[String]) -> Tags {
    tags.iter()
        .filter(|(key, _)| key.starts_with(OWN_TAG_PREFIX) || allowed.contains(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The prefix of every name prod-e makes unless the operator chose another (`NamePrefix`).
pub const DEFAULT_NAME_PREFIX: &str = "prod-e-";
/// The variable holding the install's `NamePrefix` (set by the template; the CLI reads it too).
pub const NAME_PREFIX_ENV: &str = "PROD_E_NAME_PREFIX";

/// The install's name prefix: [`NAME_PREFIX_ENV`] if it is a valid one (a lower-case letter,
/// up to eight lower-case letters, digits or `-`, and `-`: a target group's name keeps within 32
/// characters), else [`DEFAULT_NAME_PREFIX`]. Two installs in one account with different
/// prefixes own disjoint names, and the function's policy (which matches its own prefix) keeps
/// each from the other's resources.
pub fn name_prefix() -> &'static str {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PREFIX.get_or_init(|| {
        std::env::var(NAME_PREFIX_ENV)
            .ok()
            .filter(|p| is_name_prefix(p))
            .unwrap_or_else(|| DEFAULT_NAME_PREFIX.to_string())
    })
}

/// `^[a-z][a-z0-9-]{0,8}-$`, the template's `NamePrefix` pattern.
fn is_name_prefix(p: &str) -> bool {
    let Some(body) = p.strip_suffix('-') else {
        return false;
    };
    (1..=9).contains(&body.len())
        && body.starts_with(|c: char| c.is_ascii_lowercase())
        && body
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
/// The prefix of the id a Create answers when it failed and removed everything.
const NOTHING_CREATED: &str = "prod-e-nothing-created-";
const HASH_LEN: usize = 10;
/// Hex digits of the fingerprint of the replacement-class properties in a PhysicalResourceId.
pub const FINGERPRINT_LEN: usize = 8;

/// The stack resource a set belongs to: the stack's ARN and the custom resource's logical id,
/// as the [`STACK_TAG`] and [`LOGICAL_TAG`] tags on every resource of the set carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    /// The stack's ARN.
    pub stack_id: String,
    /// The custom resource's logical id in that stack.
    pub logical_id: String,
}

/// One deployment (one complete set of resources): the PhysicalResourceId
/// `<prefix><key>-<fingerprint>` (the install's [`name_prefix`], `prod-e-` by default) and
/// every name derived from it. The key (10 hex digits) hashes
/// stack ARN and logical id; the fingerprint hashes the properties that need replacement, so
/// the id changes exactly when a replacement builds a new set.
///
/// Names are short (a target group's may have 32 characters), so two stack resources can share
/// a key (by chance one pair in 2^40, or found on purpose by choosing a logical id). Decisions
/// therefore compare the full stack ARN and logical id: a resource is this set's only if its
/// tags carry this id *and* this stack resource ([`Deployment::owns`]), and another set's is a
/// sibling only if it carries this stack resource ([`Deployment::sibling_owns`]). Two stack
/// resources cannot get the same id without also asking for the same cluster, which ECS names
/// per region and prod-e never shares between stack resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    physical_id: String,
    /// Whose set this is; `None` where only the id is known (an operator naming an id).
    resource: Option<StackResource>,
}

impl Deployment {
    /// The set of logical resource `logical_id` in stack `stack_id` whose replacement-class
    /// properties have `fingerprint`. The stack ARN holds region and account, so two stacks,
    /// or one stack name in two regions, never share a deployment (IAM role names are global).
    pub fn new(stack_id: &str, logical_id: &str, fingerprint: &str) -> Self {
        Deployment {
            physical_id: format!("{}-{fingerprint}", resource_key(stack_id, logical_id)),
            resource: Some(StackResource {
                stack_id: stack_id.into(),
                logical_id: logical_id.into(),
            }),
        }
    }

    /// The set `physical_id` of logical resource `logical_id` in `stack_id`: `None` unless it is
    /// an id prod-e issued for that stack resource.
    pub fn of(physical_id: &str, stack_id: &str, logical_id: &str) -> Option<Self> {
        let parsed = Deployment::parse(physical_id)?;
        (parsed.key() == resource_key(stack_id, logical_id)).then(|| Deployment {
            resource: Some(StackResource {
                stack_id: stack_id.into(),
                logical_id: logical_id.into(),
            }),
            ..parsed
        })
    }

    /// Recognises a PhysicalResourceId we issued, owner unknown (an operator naming an id:
    /// ownership is then the id tag alone); anything else is `None` ("nothing to do").
    pub fn parse(physical_id: &str) -> Option<Self> {
        Deployment::parse_in(name_prefix(), physical_id)
    }

    /// [`Deployment::parse`] for an install whose name prefix is `prefix`.
    fn parse_in(prefix: &str, physical_id: &str) -> Option<Self> {
        let rest = physical_id.strip_prefix(prefix)?;
        let (hash, fingerprint) = rest.split_once('-')?;
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        (hex(hash, HASH_LEN) && hex(fingerprint, FINGERPRINT_LEN)).then(|| Deployment {
            physical_id: physical_id.to_string(),
            resource: None,
        })
    }

    /// `<prefix><10 hex>`: what every set of one stack resource has in common.
    pub fn key(&self) -> &str {
        let id = self.physical_id.as_str();
        id.rsplit_once('-').map_or(id, |(key, _fingerprint)| key)
    }

    /// The id returned to CloudFormation when a Create fails with nothing left behind;
    /// `parse` rejects it, so the rollback Delete touches nothing.
    pub fn nothing_created(request_id: &str) -> String {
        format!("{NOTHING_CREATED}{request_id}")
    }

    /// Whether `physical_id` is one [`Deployment::nothing_created`] made: nothing exists under it.
    pub fn is_nothing_created(physical_id: &str) -> bool {
        physical_id.starts_with(NOTHING_CREATED)
    }

    /// The PhysicalResourceId (`<prefix><10 hex>-<8 hex>`).
    pub fn physical_id(&self) -> &str {
        &self.physical_id
    }

    /// A number that identifies the stack resource (every set of it has the same one): the
    /// hash of stack ARN and logical id in the PhysicalResourceId, read as a number.
    pub fn stack_resource_number(&self) -> u64 {
        let key = self.key();
        u64::from_str_radix(&key[key.len() - HASH_LEN..], 16).unwrap_or_default()
    }

    /// The execution role's name (`<id>-execution`).
    pub fn execution_role(&self) -> String {
        format!("{}-execution", self.physical_id)
    }

    /// The task role's name (`<prefix><10 hex>-task`): one per stack resource, kept by every
    /// replacement. A stack resource whose key another one's already holds (a 40-bit
    /// collision) names its own after its set instead ([`Deployment::legacy_task_role`]).
    pub fn task_role(&self) -> String {
        format!("{}-task", self.key())
    }

    /// The task role's name after the set (`<id>-task`): every set's, as an older prod-e named
    /// them, and the role of a stack resource whose key collides; such a role keeps its name
    /// when a replacement takes it over.
    pub fn legacy_task_role(&self) -> String {
        format!("{}-task", self.physical_id)
    }

    /// What the names of the task roles named after a set of this stack resource start with
    /// (`<prefix><10 hex>-`).
    pub fn task_roles_prefix(&self) -> String {
        format!("{}-", self.key())
    }

    /// The security group's name (`<id>-service`).
    pub fn security_group(&self) -> String {
        format!("{}-service", self.physical_id)
    }

    /// The log group's name (`/ecs/<id>`).
    pub fn log_group(&self) -> String {
        format!("/ecs/{}", self.physical_id)
    }

    /// Target group names are limited to 32 characters: this one has 20.
    pub fn target_group(&self) -> String {
        format!("{}-tg", self.physical_id)
    }

    /// The alternate target group's name (`<id>-tga`), with a native `DeploymentStrategy`.
    pub fn alternate_target_group(&self) -> String {
        format!("{}-tga", self.physical_id)
    }

    /// The name of the role ECS moves traffic with (`<id>-traffic`), with a native
    /// `DeploymentStrategy`.
    pub fn traffic_role(&self) -> String {
        format!("{}-traffic", self.physical_id)
    }

    /// A baseline alarm's name (`<id>-<kind>`, a kind of [`crate::spec::alarms::KINDS`]).
    pub fn alarm(&self, kind: &str) -> String {
        format!("{}-{kind}", self.physical_id)
    }

    /// A target tracking policy's name (`<id>-<metric>`: `cpu`, `memory`, `requests`).
    pub fn scaling_policy(&self, metric: &str) -> String {
        format!("{}-{metric}", self.physical_id)
    }

    /// The Application Auto Scaling name of the user's scheduled action `name` (`<id>-<name>`).
    pub fn scheduled_action(&self, name: &str) -> String {
        format!("{}-{name}", self.physical_id)
    }

    /// Whether an Application Auto Scaling name (policy, scheduled action) is this set's.
    pub fn owns_name(&self, name: &str) -> bool {
        name.starts_with(&format!("{}-", self.physical_id))
    }

    /// Ownership tags (this id, and its stack resource where known) plus the user's tags, for a
    /// resource created by this deployment.
    pub fn tags(&self, user: &Tags) -> Tags {
        let mut tags = user.clone();
        tags.insert(OWNER_TAG.into(), self.physical_id.clone());
        if let Some(r) = &self.resource {
            tags.insert(STACK_TAG.into(), r.stack_id.clone());
            tags.insert(LOGICAL_TAG.into(), r.logical_id.clone());
        }
        tags
    }

    /// Whether a resource with these tags belongs to this deployment: it carries this id and,
    /// where the owner is known, this stack resource (the full stack ARN and logical id).
    pub fn owns(&self, tags: &Tags) -> bool {
        tags.get(OWNER_TAG) == Some(&self.physical_id) && self.same_resource(tags)
    }

    /// Whether a resource with these tags belongs to another set of the same stack resource:
    /// such a resource may be handed over in a replacement, never taken without one. Only
    /// where the owner is known, by the full stack ARN and logical id.
    pub fn sibling_owns(&self, tags: &Tags) -> bool {
        self.resource.is_some()
            && self.same_resource(tags)
            && tags
                .get(OWNER_TAG)
                .is_some_and(|id| id != &self.physical_id && Deployment::parse(id).is_some())
    }

    fn same_resource(&self, tags: &Tags) -> bool {
        self.resource.as_ref().is_none_or(|r| {
            tags.get(STACK_TAG) == Some(&r.stack_id) && tags.get(LOGICAL_TAG) == Some(&r.logical_id)
        })
    }

    /// The ECS service name for this set: the user's name, or, when another set of the same
    /// stack resource holds that name in the same cluster (a replacement), the name with
    /// this set's fingerprint appended.
    pub fn service_names(&self, service_name: &str) -> [String; 2] {
        let fingerprint = &self.physical_id[self.physical_id.len() - FINGERPRINT_LEN..];
        [
            service_name.to_string(),
            format!("{service_name}-{fingerprint}"),
        ]
    }
}

/// `<prefix><10 hex>`: what every set of one stack resource has in common.
fn resource_key(stack_id: &str, logical_id: &str) -> String {
    let digest = Sha256::digest(format!("{stack_id}|{logical_id}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}{}", name_prefix(), &hex[..HASH_LEN])
}

#[cfg(test)]
mod tests;
