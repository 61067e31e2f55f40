//! The operator's caps on what one stack may ask for: the template's parameters
//! `MaxDesiredCount`, `MaxTaskCpu`, `MaxTaskMemory` and `MaxScalingCapacity`, and the task
//! families it may register into (`TaskFamilyPrefix`), passed to the function as environment
//! variables. Anyone who may create a stack can use the ServiceToken, so the size of what it
//! runs, and whose task families it publishes revisions of, is the operator's to bound, not
//! each stack author's. So are the Lambda functions ECS may invoke as a set's lifecycle hooks
//! (`LifecycleHookFunctionArns`, which bounds the traffic roles too).

use super::overlap::globs_meet;
use super::Spec;

/// `MaxDesiredCount`, as the template passes it (unset or empty: no cap; so for the others).
pub const MAX_DESIRED_COUNT_ENV: &str = "PROD_E_MAX_DESIRED_COUNT";
/// `MaxTaskCpu`.
pub const MAX_TASK_CPU_ENV: &str = "PROD_E_MAX_TASK_CPU";
/// `MaxTaskMemory`.
pub const MAX_TASK_MEMORY_ENV: &str = "PROD_E_MAX_TASK_MEMORY";
/// `MaxScalingCapacity`.
pub const MAX_SCALING_CAPACITY_ENV: &str = "PROD_E_MAX_SCALING_CAPACITY";
/// `TaskFamilyPrefix`.
pub const TASK_FAMILY_PREFIX_ENV: &str = "PROD_E_TASK_FAMILY_PREFIX";
/// `LifecycleHookFunctionArns`, comma-separated (set and empty: none).
pub const HOOK_FUNCTIONS_ENV: &str = "PROD_E_LIFECYCLE_HOOK_FUNCTIONS";

/// The most one stack resource may ask for; `None`: no cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caps {
    /// `DesiredCount`, tasks.
    pub desired_count: Option<u32>,
    /// `Cpu`, CPU units (1024 = 1 vCPU).
    pub cpu: Option<u32>,
    /// `Memory`, MiB.
    pub memory: Option<u32>,
    /// `AutoScaling.MaxCapacity` and every `ScheduledActions[].MaxCapacity`, tasks.
    pub scaling_capacity: Option<u32>,
    /// What every `TaskFamily` must start with: a revision registers under the family's name
    /// (`ecs:RegisterTaskDefinition`), and another team's family would get a newest revision
    /// it did not write.
    pub task_family_prefix: Option<String>,
    /// The ARN patterns (`*`, `?`) every `LifecycleHooks` function must match: ECS invokes
    /// hooks with the set's traffic role, whose permissions boundary allows exactly these.
    pub hook_functions: Option<Vec<String>>,
}

impl Caps {
    /// From the environment variables above.
    pub fn from_env() -> Caps {
        let var = |name| std::env::var(name).ok().and_then(|v| v.parse().ok());
        Caps {
            desired_count: var(MAX_DESIRED_COUNT_ENV),
            cpu: var(MAX_TASK_CPU_ENV),
            memory: var(MAX_TASK_MEMORY_ENV),
            scaling_capacity: var(MAX_SCALING_CAPACITY_ENV),
            task_family_prefix: std::env::var(TASK_FAMILY_PREFIX_ENV)
                .ok()
                .filter(|p| !p.is_empty()),
            hook_functions: std::env::var(HOOK_FUNCTIONS_ENV).ok().map(|v| {
                let patterns = v.split(',').map(str::trim).filter(|p| !p.is_empty());
                patterns.map(str::to_string).collect()
            }),
        }
    }

    /// `Err` naming every property of `spec` over its cap, with the cap's parameter.
    pub fn check(&self, spec: &Spec) -> Result<(), String> {
        self.check_change(None, spec)
    }

    /// [`Caps::check`] for an Update from `old`: only what grows over its cap is refused, so
    /// that lowering a cap never blocks an Update, or CloudFormation's rollback, of a stack
    /// that was within the old one.
    pub fn check_change(&self, old: Option<&Spec>, new: &Spec) -> Result<(), String> {
        let before = old.map(|o| self.asked(o));
        let mut over: Vec<String> = self
            .asked(new)
            .into_iter()
            .enumerate()
            .filter_map(|(i, (property, value, cap, parameter))| {
                let was = before.as_ref().and_then(|b| b[i].1);
                match (value, cap) {
                    (Some(v), Some(cap)) if v > cap && was.is_none_or(|w| v > w) => Some(format!(
                        "{property} {v} is over the operator's cap ({parameter} {cap})"
                    )),
                    _ => None,
                }
            })
            .collect();
        over.extend(self.outside_the_families(new));
        over.extend(self.hooks_not_allowed(new));
        match over.is_empty() {
            true => Ok(()),
            false => Err(over.join("; ")),
        }
    }

    /// The refusal of `new`'s `TaskFamily` if it is outside the operator's families, kept or
    /// not: the function's policy lets it register revisions only inside them, so an Update
    /// is refused before any write rather than part-way.
    fn outside_the_families(&self, new: &Spec) -> Option<String> {
        let prefix = self.task_family_prefix.as_deref()?;
        let family = &new.task_family;
        (!family.starts_with(prefix)).then(|| {
            format!(
                "TaskFamily {family:?} is outside the operator's task families \
                 (TaskFamilyPrefix {prefix:?})"
            )
        })
    }

    /// The refusal of each `LifecycleHooks` function outside the operator's: the traffic
    /// role's boundary would keep ECS from invoking it, and the deployment would roll back.
    fn hooks_not_allowed(&self, new: &Spec) -> Vec<String> {
        let Some(allowed) = self.hook_functions.as_ref() else {
            return Vec::new();
        };
        let arns = new.lifecycle_hooks.iter().map(|h| &h.hook_target_arn);
        arns.filter(|arn| !allowed.iter().any(|p| globs_meet(p, arn, false)))
            .map(|arn| {
                format!(
                    "LifecycleHooks function {arn} is not among the operator's \
                     (LifecycleHookFunctionArns {:?})",
                    allowed.join(",")
                )
            })
            .collect()
    }

    /// (property, what `spec` asks, its cap, the cap's template parameter), in a fixed order.
    fn asked(&self, spec: &Spec) -> [(&'static str, Option<u32>, Option<u32>, &'static str); 5] {
        let scaled = spec.auto_scaling.as_ref().map(|o| o.bounds().1);
        let scheduled = spec
            .scheduled_actions
            .iter()
            .filter_map(|a| a.max_capacity)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .max();
        let tasks = self.scaling_capacity;
        [
            (
                "DesiredCount",
                Some(spec.desired_count),
                self.desired_count,
                "MaxDesiredCount",
            ),
            ("Cpu", Some(spec.cpu), self.cpu, "MaxTaskCpu"),
            ("Memory", Some(spec.memory), self.memory, "MaxTaskMemory"),
            (
                "AutoScaling.MaxCapacity",
                scaled,
                tasks,
                "MaxScalingCapacity",
            ),
            (
                "ScheduledActions MaxCapacity",
                scheduled,
                tasks,
                "MaxScalingCapacity",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> Spec {
        let mut props = json!({"VpcId": "vpc-1", "SubnetIds": ["subnet-1"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/b/c",
            "LoadBalancerSecurityGroupId": "sg-1"});
        if let (Some(p), serde_json::Value::Object(e)) = (props.as_object_mut(), extra) {
            p.extend(e);
        }
        Spec::parse(&props).expect("valid properties")
    }

    #[test]
    fn what_is_over_a_cap_is_named_with_the_cap() {
        let caps = Caps {
            desired_count: Some(4),
            cpu: Some(1024),
            memory: None,
            scaling_capacity: Some(10),
            task_family_prefix: None,
            hook_functions: None,
        };
        assert_eq!(caps.check(&spec(json!({"DesiredCount": 4}))), Ok(()));
        let big = spec(json!({"DesiredCount": 5, "Cpu": 2048, "Memory": 4096,
            "AutoScaling": {"MinCapacity": 1, "MaxCapacity": 50, "CpuTarget": 60},
            "ScheduledActions": [{"ScheduledActionName": "n", "Schedule": "rate(1 day)",
                                  "MaxCapacity": 20}]}));
        assert_eq!(
            caps.check(&big),
            Err(
                "DesiredCount 5 is over the operator's cap (MaxDesiredCount 4); Cpu 2048 is \
                 over the operator's cap (MaxTaskCpu 1024); AutoScaling.MaxCapacity 50 is over \
                 the operator's cap (MaxScalingCapacity 10); ScheduledActions MaxCapacity 20 \
                 is over the operator's cap (MaxScalingCapacity 10)"
                    .to_string()
            )
        );
        assert_eq!(Caps::default().check(&big), Ok(()));
    }

    #[test]
    fn an_update_is_refused_only_what_grows_over_a_cap() {
        let caps = Caps {
            desired_count: Some(4),
            ..Caps::default()
        };
        let (six, eight) = (
            spec(json!({"DesiredCount": 6})),
            spec(json!({"DesiredCount": 8})),
        );
        assert_eq!(caps.check_change(Some(&eight), &six), Ok(()));
        assert!(caps.check_change(Some(&six), &eight).is_err());
        assert!(caps.check_change(None, &six).is_err());
    }

    #[test]
    fn a_task_family_must_be_the_operators() {
        let caps = Caps {
            task_family_prefix: Some("team-a-".into()),
            ..Caps::default()
        };
        let (ours, theirs) = (
            spec(json!({"TaskFamily": "team-a-web"})),
            spec(json!({"TaskFamily": "team-b-web"})),
        );
        assert_eq!(caps.check(&ours), Ok(()));
        assert_eq!(
            caps.check(&theirs),
            Err(
                "TaskFamily \"team-b-web\" is outside the operator's task families \
                 (TaskFamilyPrefix \"team-a-\")"
                    .to_string()
            )
        );
        assert!(caps.check_change(Some(&ours), &theirs).is_err());
        assert!(caps.check_change(Some(&theirs), &theirs).is_err());
    }

    #[test]
    fn a_hook_must_be_among_the_operators_functions() {
        let hooked = spec(json!({"DeploymentStrategy": "CANARY", "LifecycleHooks": [
            {"HookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:team-a-check",
             "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}));
        let allowing = |patterns: &[&str]| Caps {
            hook_functions: Some(patterns.iter().map(|p| p.to_string()).collect()),
            ..Caps::default()
        };
        let team_a = "arn:aws:lambda:us-east-1:123456789012:function:team-a-*";
        assert_eq!(allowing(&[team_a]).check(&hooked), Ok(()));
        assert_eq!(
            allowing(&[]).check(&hooked),
            Err(
                "LifecycleHooks function arn:aws:lambda:us-east-1:123456789012:function:\
                 team-a-check is not among the operator's (LifecycleHookFunctionArns \"\")"
                    .to_string()
            )
        );
        assert_eq!(Caps::default().check(&hooked), Ok(()));
    }
}
