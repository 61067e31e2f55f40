//! `prod-e plan`: validate properties offline and show what Create, or an Update, would do;
//! with `--check`, also run Create's preflight checks against the account.

use std::path::PathBuf;

use serde_json::json;

use super::{exit, no_request, read_properties, Failure, Outcome};
use crate::aws::Clients;
use crate::naming::Deployment;
use crate::plan::{effects, for_ecs};
use crate::preflight;
use crate::resources::settings::describe;
use crate::resources::{cluster, listener_rule, log_group, scaling, security_group, service};
use crate::resources::{role, target_group, task_definition};
use crate::spec::strategy::ROLLING;
use crate::spec::{documents, Diff, Spec};

/// Validate a properties file and show the resources Create would make, in order; or print
/// the Properties' JSON Schema or README table.
#[derive(Debug, clap::Args)]
pub struct Plan {
    /// The custom resource's Properties, as YAML or JSON.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["schema", "properties_table"])]
    pub properties: Option<PathBuf>,
    /// Print the JSON Schema of the Properties (schema/prod-e-service.schema.json) and exit.
    #[arg(long, conflicts_with = "properties")]
    pub schema: bool,
    /// Print the README's table of properties (Markdown) and exit.
    #[arg(long, conflicts_with_all = ["properties", "schema"])]
    pub properties_table: bool,
    /// The previous Properties: show what an Update from them would do.
    #[arg(long, value_name = "FILE")]
    pub old: Option<PathBuf>,
    /// The stack ARN, to show the real derived names.
    #[arg(long, value_name = "ARN")]
    pub stack_id: Option<String>,
    /// The custom resource's logical id in the stack.
    #[arg(long, default_value = "ProdEService")]
    pub logical_id: String,
    /// Also run Create's preflight checks against the account (read-only; needs AWS access)
    /// and print them as a checklist; exit 6 if any fails.
    #[arg(long, requires = "properties")]
    pub check: bool,
}

impl Plan {
    /// Validates and plans, or prints the schema or the table.
    pub fn run(&self) -> Result<Outcome, Failure> {
        let Some(properties) = &self.properties else {
            return Ok(self.reference());
        };
        let spec = match Spec::parse(&read_properties(properties)?) {
            Ok(spec) => spec,
            Err(invalid) => {
                let problems: Vec<_> = invalid
                    .0
                    .iter()
                    .map(|p| json!({"property": p.property, "problem": p.message}))
                    .collect();
                return Ok(Outcome {
                    code: exit::INVALID,
                    text: format!("{invalid}\n"),
                    json: json!({"valid": false, "problems": problems}),
                });
            }
        };
        let names = Names::new(
            self.stack_id.as_deref(),
            &self.logical_id,
            &spec.fingerprint(),
        );
        let stages = stages(&names, &spec)?;
        let mut text = format!("Properties are valid. PhysicalResourceId: {}\n", names.id);
        if self.stack_id.is_none() {
            text.push_str(
                "(names use <id>, a hash of the stack ARN and logical id: pass \
                 --stack-id to see them)\n",
            );
        }
        text.push_str(
            "Create makes, stage by stage (the resources of one stage are made concurrently):\n",
        );
        for (i, stage) in stages.iter().enumerate() {
            text.push_str(&format!("  {}. {}\n", i + 1, stage.join("\n     ")));
        }
        let mut out = json!({"valid": true, "physical_id": names.id, "create": stages});
        if let Some(old) = &self.old {
            let old = Spec::parse(&read_properties(old)?).map_err(|e| Failure {
                code: exit::INVALID,
                message: format!("--old: {e}"),
            })?;
            let (update_text, update_json) = update(&old.diff(&spec));
            text.push_str(&update_text);
            out["update"] = update_json;
        }
        Ok(Outcome {
            code: exit::OK,
            text,
            json: out,
        })
    }
}

impl Plan {
    /// [`Plan::run`], then (with `--check`) the preflight checks of Create against the
    /// account behind `c`, as a checklist.
    pub async fn run_checked(&self, c: &Clients) -> Result<Outcome, Failure> {
        let mut outcome = self.run()?;
        let Some(properties) = self.properties.as_ref().filter(|_| self.check) else {
            return Ok(outcome);
        };
        let Ok(spec) = Spec::parse(&read_properties(properties)?) else {
            return Ok(outcome);
        };
        let names = Names::new(
            self.stack_id.as_deref(),
            &self.logical_id,
            &spec.fingerprint(),
        );
        let report = preflight::run(c, &names.d, &spec).await?;
        outcome
            .text
            .push_str("Preflight (read-only checks of the account and network):\n");
        for check in &report.checks {
            outcome.text.push_str(&match &check.problem {
                None => format!("  ✓ {}\n", check.what),
                Some(problem) => format!("  ✗ {}: {problem}\n", check.what),
            });
        }
        let failed = report.checks.iter().filter(|c| c.problem.is_some()).count();
        outcome.json["preflight"] = json!(report
            .checks
            .iter()
            .map(|c| json!({"check": c.what, "problem": c.problem}))
            .collect::<Vec<_>>());
        if failed > 0 {
            outcome.code = exit::CHECKS_FAILED;
            outcome
                .text
                .push_str(&format!("{failed} check(s) failed.\n"));
        }
        Ok(outcome)
    }
}

/// What an Update with `diff` would do: in words, and as JSON.
fn update(diff: &Diff) -> (String, serde_json::Value) {
    let replaced = diff.needs_replacement();
    let changes = effects(diff);
    let text = match (diff.is_empty(), replaced.is_empty()) {
        (true, _) => "Update: nothing changed; no AWS writes.\n".to_string(),
        (false, false) => format!(
            "Update: replacement, because {} cannot change in place: a new set with a new \
             PhysicalResourceId is built beside the old one, traffic moves to it once its \
             service is steady, and CloudFormation then deletes the old set.\n",
            replaced.join(", ")
        ),
        (false, true) => {
            let lines: Vec<String> = changes
                .iter()
                .map(|(resource, action, why)| {
                    format!("  {resource}: {action} ({})", why.join(", "))
                })
                .collect();
            format!(
                "Update in place, same PhysicalResourceId:\n{}\n",
                lines.join("\n")
            )
        }
    };
    let in_place: Vec<_> = match replaced.is_empty() {
        true => changes
            .iter()
            .map(|(resource, action, why)| {
                json!({"resource": resource, "action": action, "because": why})
            })
            .collect(),
        false => Vec::new(),
    };
    let json = json!({
        "changed": diff.changed,
        "replacement": !replaced.is_empty(),
        "replacement_because": replaced,
        "in_place": in_place,
    });
    (text, json)
}

/// Derived names, real when the stack is known, with `<id>` otherwise.
struct Names {
    id: String,
    d: Deployment,
}

impl Names {
    fn new(stack_id: Option<&str>, logical_id: &str, fingerprint: &str) -> Self {
        let d = Deployment::new(stack_id.unwrap_or_default(), logical_id, fingerprint);
        let id = match stack_id {
            Some(_) => d.physical_id().to_string(),
            None => format!("prod-e-<id>-{fingerprint}"),
        };
        Names { id, d }
    }

    /// `name` with the set's id, and the stack resource's key (`<prefix><10 hex>`, what the
    /// task role is named after), as shown.
    fn of(&self, name: String) -> String {
        let key = self
            .id
            .rsplit_once('-')
            .map_or(self.id.as_str(), |(key, _)| key);
        let name = name.replace(self.d.physical_id(), &self.id);
        name.replace(self.d.key(), key)
    }
}

/// The Create graph as `plan::create` runs it, one line per resource, each resource's settings
/// as its kind's table words them ([`settings::describe`]).
/// Errors: the properties make no revision or service (a member the SDK requires is missing).
fn stages(n: &Names, s: &Spec) -> Result<Vec<Vec<String>>, Failure> {
    // Born rolling: a native strategy comes once the set serves (the last stage).
    let born = Spec {
        deployment_strategy: ROLLING.to_string(),
        ..for_ecs(&n.d, s)
    };
    let service = service::expand(&born).map_err(no_request)?;
    let wait = match s.wait_for_steady_state || s.native_strategy() {
        true => ", then wait until it is steady",
        false => "",
    };
    let rule = listener_rule::expand(s);
    let mut stages = vec![
        first_stage(n, s),
        vec![task_definition(s)?],
        vec![format!(
            "ECS service {} ({}) after everything else{wait}",
            s.service_name,
            describe(service::SETTINGS, &service)
        )],
        vec![format!(
            "listener rule ({}) → the target group, last: traffic only reaches a ready \
             service",
            describe(listener_rule::SETTINGS, &rule)
        )],
    ];
    if s.alarms {
        let names: Vec<String> = crate::spec::alarms::KINDS
            .iter()
            .map(|k| n.of(n.d.alarm(k)))
            .collect();
        stages.insert(2, vec![format!("CloudWatch alarms {}", names.join(", "))]);
    }
    if let Some(line) = scaling(n, s) {
        stages.insert(stages.len() - 1, vec![line]);
    }
    if s.native_strategy() {
        stages.push(vec![native(n, s)]);
    }
    Ok(stages)
}

/// The stage a native `DeploymentStrategy` adds once the set serves.
fn native(n: &Names, s: &Spec) -> String {
    let (canary, linear) = (&s.canary_configuration, &s.linear_configuration);
    let settings = match s.deployment_strategy.as_str() {
        "CANARY" => format!(
            ", CanaryPercent {} for {} min",
            canary.canary_percent.0, canary.canary_bake_time_in_minutes
        ),
        "LINEAR" => format!(
            ", StepPercent {} every {} min",
            linear.step_percent.0, linear.step_bake_time_in_minutes
        ),
        _ => String::new(),
    };
    let test = s.test_routing().map_or(String::new(), |t| {
        format!(", a test listener rule ({t}) at the free priority just below the rule's")
    });
    format!(
        "target group {} (as the first, at weight 0 in the rule){test} and IAM role {} \
         (trusted by ecs.amazonaws.com: ModifyRule on the set's rules, Register/DeregisterTargets \
         on its two groups, within its permissions boundary), then UpdateService to \
         DeploymentStrategy {} (BakeTimeInMinutes {}{settings}) and wait until it is steady",
        n.of(n.d.alternate_target_group()),
        n.of(n.d.traffic_role()),
        s.deployment_strategy,
        s.bake_time_in_minutes,
    )
}

/// The scaling's line, when `AutoScaling` is on.
fn scaling(n: &Names, s: &Spec) -> Option<String> {
    s.auto_scaling.as_ref()?;
    let want = scaling::expand(s, &n.d);
    Some(format!(
        "scalable target service/{}/{} ({}) once the service is steady",
        s.cluster_name,
        s.service_name,
        describe(scaling::SETTINGS, &want)
    ))
}

/// The task definition's line: every setting of the revision Create registers.
fn task_definition(s: &Spec) -> Result<String, Failure> {
    let links = task_definition::Links::NONE;
    let revision = task_definition::expand(s, links, "").map_err(no_request)?;
    Ok(format!(
        "task definition (Fargate, awsvpc, {}) after the roles and log group",
        describe(task_definition::SETTINGS, &revision),
    ))
}

/// What the task role is given ([`role::TASK_ROLE`]), and ECS Exec's actions with it.
fn task_grants(s: &Spec) -> String {
    let exec = match s.enable_execute_command {
        true => ", ECS Exec's ssmmessages actions",
        false => "",
    };
    format!("{}{exec}", describe(role::TASK_ROLE, &role::task_role(s)))
}

/// What the execution role may do ([`role::execution_policy`]), within its permissions
/// boundary, and its secrets' key ([`role::EXECUTION_ROLE`]).
fn execution_grants(s: &Spec) -> String {
    let pull = match role::ecr_repository(&s.image).is_some() {
        true => "pull from its image's ECR repository, ",
        false => "",
    };
    let secrets = describe(role::EXECUTION_ROLE, &role::execution_role(s));
    format!("{pull}write its log group within its permissions boundary, {secrets}")
}

/// The resources Create makes first, all at once.
fn first_stage(n: &Names, s: &Spec) -> Vec<String> {
    let d = &n.d;
    let trusted = "trusted by ecs-tasks.amazonaws.com";
    let port = s.container_port;
    vec![
        format!(
            "IAM role {} ({trusted}, {})",
            n.of(d.execution_role()),
            execution_grants(s)
        ),
        format!(
            "IAM role {} ({trusted}, {})",
            n.of(d.task_role()),
            task_grants(s)
        ),
        format!(
            "log group {} ({})",
            n.of(d.log_group()),
            describe(log_group::SETTINGS, &log_group::expand(s))
        ),
        format!(
            "security group {} in {} (tcp/{port} in from the load balancer only; {})",
            n.of(d.security_group()),
            s.vpc_id,
            describe(security_group::SETTINGS, &security_group::expand(s))
        ),
        format!(
            "the account's ECS service-linked role if it has none, then ECS cluster {}{}",
            s.cluster_name,
            match describe(cluster::SETTINGS, &cluster::expand(s)) {
                settings if settings.is_empty() => settings,
                settings => format!(" ({settings})"),
            }
        ),
        format!(
            "target group {} (ip, port {port}, {}), then a listener rule at priority {} that \
             matches no request yet (ECS needs the group associated)",
            n.of(d.target_group()),
            describe(target_group::SETTINGS, &target_group::expand(s)),
            s.rule_priority
                .map_or("(a free one, derived)".to_string(), |p| p.to_string())
        ),
    ]
}

impl Plan {
    /// The JSON Schema (`--schema`) or the README's table (`--properties-table`).
    fn reference(&self) -> Outcome {
        let schema = documents::json_schema();
        let text = match self.properties_table {
            true => documents::markdown_table(),
            false => format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            ),
        };
        Outcome {
            code: exit::OK,
            text,
            json: schema,
        }
    }
}
