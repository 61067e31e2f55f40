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
/// User tags may not use these prefixes.
pub const RESERVED_TAG_PREFIXES: [&str; 2] = ["aws:", "prod-e:"];

const PREFIX: &str = "prod-e-";
const HASH_LEN: usize = 10;

/// One deployment: the PhysicalResourceId and every name derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    physical_id: String,
}

impl Deployment {
    /// The deployment of logical resource `logical_id` in stack `stack_id`. The stack ARN
    /// holds region and account, so two stacks, or one stack name in two regions, never
    /// share a deployment (IAM role names are global).
    pub fn for_resource(stack_id: &str, logical_id: &str) -> Self {
        let digest = Sha256::digest(format!("{stack_id}|{logical_id}").as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Deployment {
            physical_id: format!("{PREFIX}{}", &hex[..HASH_LEN]),
        }
    }

    /// Recognises a PhysicalResourceId we issued; anything else is `None` ("nothing to do").
    pub fn parse(physical_id: &str) -> Option<Self> {
        let hash = physical_id.strip_prefix(PREFIX)?;
        let ok = hash.len() == HASH_LEN
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        ok.then(|| Deployment {
            physical_id: physical_id.to_string(),
        })
    }

    /// The id returned to CloudFormation when a Create fails with nothing left behind;
    /// `parse` rejects it, so the rollback Delete touches nothing.
    pub fn nothing_created(request_id: &str) -> String {
        format!("prod-e-nothing-created-{request_id}")
    }

    pub fn physical_id(&self) -> &str {
        &self.physical_id
    }

    pub fn execution_role(&self) -> String {
        format!("{}-execution", self.physical_id)
    }

    pub fn task_role(&self) -> String {
        format!("{}-task", self.physical_id)
    }

    pub fn security_group(&self) -> String {
        format!("{}-service", self.physical_id)
    }

    pub fn log_group(&self) -> String {
        format!("/ecs/{}", self.physical_id)
    }

    /// Target group names are limited to 32 characters: this one has 20.
    pub fn target_group(&self) -> String {
        format!("{}-tg", self.physical_id)
    }

    /// Ownership tags plus the user's tags, for a resource created by this deployment.
    pub fn tags(&self, stack_id: &str, logical_id: &str, user: &Tags) -> Tags {
        let mut tags = user.clone();
        tags.insert(OWNER_TAG.into(), self.physical_id.clone());
        tags.insert(STACK_TAG.into(), stack_id.into());
        tags.insert(LOGICAL_TAG.into(), logical_id.into());
        tags
    }

    /// Whether a resource with these tags belongs to this deployment.
    pub fn owns(&self, tags: &Tags) -> bool {
        tags.get(OWNER_TAG) == Some(&self.physical_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1111";

    #[test]
    fn ids_are_stable_and_distinct_per_stack_and_region() {
        let a = Deployment::for_resource(STACK, "Svc");
        assert_eq!(a, Deployment::for_resource(STACK, "Svc"));
        assert_ne!(a, Deployment::for_resource(STACK, "Other"));
        let west = STACK.replace("us-east-1", "eu-west-1");
        assert_ne!(
            a.execution_role(),
            Deployment::for_resource(&west, "Svc").execution_role()
        );
        assert_eq!(Deployment::parse(a.physical_id()), Some(a));
    }

    #[test]
    fn names_fit_service_limits() {
        let d = Deployment::for_resource(STACK, "Svc");
        assert!(d.target_group().len() <= 32);
        assert!(d.execution_role().len() <= 64 && d.task_role().len() <= 64);
        assert!(d
            .target_group()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn foreign_ids_are_not_ours() {
        for id in [
            "",
            "made-up",
            "prod-e-XYZ",
            "prod-e-0123456789a",
            &Deployment::nothing_created("r"),
        ] {
            assert_eq!(Deployment::parse(id), None, "{id}");
        }
    }

    #[test]
    fn ownership_is_the_physical_id_tag() {
        let d = Deployment::for_resource(STACK, "Svc");
        let tags = d.tags(STACK, "Svc", &Tags::from([("team".into(), "a".into())]));
        assert!(d.owns(&tags));
        assert_eq!(tags.get("team").map(String::as_str), Some("a"));
        assert!(!d.owns(&Tags::new()));
        assert!(!Deployment::for_resource(STACK, "Other").owns(&tags));
    }
}
