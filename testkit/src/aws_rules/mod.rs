//! The AWS rules layer of the test proxy: what real AWS refuses (or answers otherwise) and
//! moto accepts, played in front of moto. Every rule is on for every
//! [`super::proxy::Proxy`]; one proxy's rules state is one AWS account. A test changes it
//! through `proxy.rules` ([`AwsRules`]: `set(Rule, bool)`, `service_linked_role_exists(bool)`,
//! `fresh_reads(u32)`, `draining_for(Duration)`); rule 9 lives in [`super::rollout`]
//! (`proxy.rollouts.crash_image(&str)`). Each rule's module cites its AWS sources in full.
//!
//! | # | Rule | AWS source | Test (`aws_rules::`, in `tests/aws_rules/`) |
//! |---|------|------------|-----------------------------|
//! | 1 | CreateService/UpdateService: a target group in `loadBalancers` must be forwarded to by a listener or rule (`InvalidParameterException` … does not have an associated load balancer) | umotif-public/terraform-aws-ecs-fargate#43, hashicorp/terraform#32908 | `elbv2::a_target_group_nothing_forwards_to_cannot_serve` |
//! | 2 | DeleteTargetGroup while a listener or rule forwards to it: `ResourceInUse` | ELBv2 API reference, DeleteTargetGroup | `elbv2::a_target_group_a_rule_forwards_to_cannot_be_deleted` |
//! | 3 | DeleteCluster with ACTIVE or DRAINING services: `ClusterContainsServicesException` | ECS ClusterContainsServicesException (botocore reference) | `ecs::a_cluster_with_services_cannot_be_deleted` |
//! | 4 | A deleted service is DRAINING (for [`DRAINING_FOR`]; under a timed rollout for its deregistration delay and stop timeout, played) before INACTIVE | AWS CLI delete-service; hashicorp/terraform-provider-aws#2283 | `ecs::a_deleted_service_drains_before_it_is_inactive` |
//! | 5 | CreateService of an ACTIVE or DRAINING name: `InvalidParameterException` (still Draining / not idempotent), unless the same clientToken and request (then the existing service) | DeleteService doc; ECS API Idempotency; terraform-provider-aws#23462 | `ecs::a_service_name_in_use_is_not_created_again` |
//! | 6 | CreateCluster of an existing ACTIVE name returns that cluster unchanged | terraform-provider-aws#38875, #44817 | `ecs::an_existing_cluster_is_returned_unchanged` |
//! | 7 | The ECS service-linked role: none in a new account; GetRole / CreateServiceLinkedRole played (`NoSuchEntity`, `InvalidInput`); CreateService without it: `InvalidParameterException` … Unable to assume the service linked role; CreateCluster does not make it | aws-modern-application-workshop#69, IAM CreateServiceLinkedRole, terraform-aws-hasura#17, ECS CreateCluster | `iam::ecs_needs_its_service_linked_role` |
//! | 8 | Read-after-write: the first N uses of a new security group (`InvalidGroup.NotFound`), cluster (`ClusterNotFoundException`; PutClusterCapacityProviders: `ClientException` Cluster was not ACTIVE), service (DescribeServices `MISSING`), role (`AccessDeniedException` on iam:PassRole), service-linked role, or target group association (CreateService: … does not have an associated load balancer) fail | EC2 eventual consistency; terraform#15066, terraform-provider-aws#11701, #11285, #3387; ECS API failure reasons; IAM troubleshooting | `fresh::new_resources_are_not_found_at_first`, `cloudformation::a_new_cluster_takes_capacity_providers_once_active` |
//! | 9 | Rollouts follow the task definition: a crashing one fails a create, and the circuit breaker rolls an update back | ECS DeploymentCircuitBreaker; ECS deployment failure detection | `rollouts::a_crashing_task_definition_fails_or_is_rolled_back` |
//! | 10 | UpdateService of a service that is not ACTIVE (DRAINING or INACTIVE): `ServiceNotActiveException` | ECS API reference, UpdateService errors | `ecs::a_deleted_service_cannot_be_updated` |
//! | 11 | A service runs tasks (moto launches none): ListTasks of a service lists its running tasks; DescribeTasks puts them round-robin in its subnets' zones | ECS task placement ("Fargate will try its best to spread tasks across accessible Availability Zones"); ECS `Task` reference | `cli::status_shows_running_tasks_per_zone` |
//! | 12 | Service settings moto drops from DescribeServices (`enableExecuteCommand`, `healthCheckGracePeriodSeconds`, `deploymentConfiguration`, `capacityProviderStrategy`) are shown as asked | ECS API reference, `Service` | `health::ecs_exec_is_turned_on_and_off_in_place` |
//! | 12b | A target group's gRPC codes (`Matcher.GrpcCode`), which moto's ModifyTargetGroup drops, shown in DescribeTargetGroups | ELBv2 API Reference, ModifyTargetGroup `Matcher` | `elbv2::a_target_groups_grpc_codes_change_in_place` |
//! | 9b | ListServiceDeployments / DescribeServiceDeployments (moto has neither): a rollout a deployment alarm failed (`Rollout::Alarm`, only for a service whose `deploymentConfiguration.alarms` names it, enabled, with rollback) is ROLLBACK_SUCCESSFUL with the alarm in `triggeredAlarmNames`; a timed native deployment in progress is IN_PROGRESS at its `lifecycleStage`; ListServiceDeployments keeps to the cluster and `status` asked; played by [`super::rollout`] | ECS API Reference, ServiceDeploymentAlarms, ListServiceDeployments (`cluster`, `status`), ServiceDeployment (`lifecycleStage`); ECS Developer Guide, "How CloudWatch alarms detect Amazon ECS deployment failures" | `deployment::a_deployment_an_alarm_fails_is_failed_naming_the_alarm` |
//! | 13 | A capacity provider strategy may only name providers associated with the cluster: `InvalidParameterException` | dask/dask-cloudprovider#328 (the ECS error text) | `capacity::a_strategy_naming_a_provider_the_cluster_lacks_is_refused` |
//! | 14 | Application Auto Scaling (`Rule::ScalableTargets`): a scalable target keeps the `Tags` it was created with — ListTagsForResource / TagResource / UntagResource answered by the rules (an ARN that names no target: `ResourceNotFoundException`); DeregisterScalableTarget deletes the target's scaling policies and scheduled actions first (no target: `ObjectNotFoundException`); PutScalingPolicy of an existing name updates that policy (moto's old target tracking alarms deleted, not leaked); DeleteScalingPolicy / DeleteScheduledAction of one that does not exist, and PutScalingPolicy / PutScheduledAction on a target that does not exist: `ObjectNotFoundException`; DescribeScalingPolicies / DescribeScheduledActions keep only the items of exactly the ResourceId asked for; `Tags` for a target that exists are refused (`ValidationException` … tried to tag already exists); a registration moves the ECS service's desired count into its bounds; PutScheduledAction of an existing name keeps the bounds and time zone it is not given (moto: tags dropped, count left, the action replaced) | Application Auto Scaling API Reference: RegisterScalableTarget (`Tags`: "tag the scalable target when it is created"), TagResource / ListTagsForResource, DeregisterScalableTarget ("deletes the scaling policies and the scheduled actions that are associated with it"), PutScalingPolicy ("only the properties you specify are updated"), ObjectNotFoundException | `scaling::a_scalable_target_keeps_its_tags_and_takes_its_policies_with_it` |
//! | 15 | CloudWatch DeleteAlarms naming an alarm that does not exist deletes nothing: `ResourceNotFound` (moto deletes the others, 200) | CloudWatch API Reference, DeleteAlarms | `scaling::deleting_a_missing_alarm_deletes_nothing` |
//! | 15b | CloudWatch PutMetricAlarm whose SNS action is in another region or partition than the alarm's: `ValidationError` "Invalid region … specified. Only us-east-1 is supported." (moto stores it) ([`alarms`]) | public reports: cds-snc/notification-terraform#128, aws-samples/amazon-cloudwatch-auto-alarms#61 | `scaling::an_alarm_notifies_topics_of_its_own_region_only` |
//! | 16 | CreateTargetGroup of an existing name with the same settings returns that group (moto: `DuplicateTargetGroupName`); with other settings `DuplicateTargetGroupName` | ELBv2 API reference, CreateTargetGroup ("If you attempt to create multiple target groups with the same settings, each call succeeds") | `elbv2::a_target_group_created_again_with_the_same_settings_is_returned` |
//! | 17 | CloudFormation's DescribeStacks / DescribeStackResource / DescribeStackEvents of a stack the tests run answer what CloudFormation shows while it waits for, cancels or rolls back an operation (moto cannot run custom resources) | CloudFormation API Reference, DescribeStackResource, DescribeStackEvents, CancelUpdateStack; cloudformation-coverage-roadmap#1814, remind101/empire#918 | `cloudformation::cloudformation_shows_each_resource_as_the_events_it_sent_left_it` |
//! | 18 | A service behind a load balancer none of whose security groups lets TCP out to its tasks on the container port never has a healthy target: its rollout fails with the unhealthy-target event ([`reach`]) | ELB guide, Security groups for your Application Load Balancer; ECS Developer Guide, Troubleshooting service load balancers | `elbv2::a_service_whose_groups_let_nothing_out_never_becomes_healthy` |
//! | 19 | CreateService / UpdateService with more than 5 security groups in `awsvpcConfiguration`: `InvalidParameterException` (moto takes any number) | ECS API reference, AwsVpcConfiguration ("a limit of 5 security groups") | `ecs::more_than_five_security_groups_are_refused` |
//! | 20 | A task whose `repositoryCredentials` secret its execution role may not read never starts: the rollout fails with `ResourceInitializationError: unable to pull secrets or registry auth` ([`credentials`]) | ECS Developer Guide, Private registry authentication for tasks | `secrets::a_private_registry_image_pulls_with_credentials_only_the_execution_role_reads` (in `tests/secrets.rs`) |
//! | 21 | A task whose image is in an ECR repository under a pull-through cache prefix (`proxy.rules.pull_through_cache`) never starts unless its execution role may `ecr:BatchImportUpstreamImage` there: the rollout fails with `CannotPullContainerError` ([`credentials`]) | ECR User Guide, IAM permissions required to sync an upstream registry | `secrets::a_pull_through_cache_image_is_imported_by_the_execution_role` (in `tests/secrets.rs`) |
//! | 22 | DeleteSecurityGroup of a group another group's rule names: `DependencyViolation` (moto deletes it) ([`reach::referenced`]) | EC2 API reference, DeleteSecurityGroup | `elbv2::a_group_another_group_names_cannot_be_deleted` |
//! | 23 | A service whose tasks' security groups let no TCP 443 out to their image's registry (or, for private ECR, its endpoints and S3) or to CloudWatch Logs, each the way their subnet reaches it, never starts a task: the rollout fails with `CannotPullContainerError` ([`outbound`]) | EC2 User Guide, Security group rules; AWS Knowledge Center, ecs-fargate-pull-container-error | `elbv2::a_service_whose_groups_let_nothing_out_never_becomes_healthy` |
//! | 24 | Every request of a JSON service (ECS, Logs, Application Auto Scaling, KMS, tagging) or a `.member.N` query service (IAM, ELBv2, CloudFormation) is checked against the service's API model, botocore's `service-2.json` read at test time: required members, lengths, patterns, enums, ranges, list and map sizes; a request that breaks one is refused with AWS's `ValidationException` / `ValidationError` and message ([`models`]) | the services' published API models (botocore data) | `models::a_request_that_breaks_its_services_model_is_refused_as_aws_refuses_it` |
//! | 25 | CreateService / UpdateService naming a security group that does not exist or is not in the subnets' VPC: `InvalidParameterException` … does not appear to belong to the same VPC as the input subnets (moto takes any) ([`ecs::foreign_groups`]) | aws/aws-dotnet-deploy#735 (the CreateService error) | `ecs::a_group_of_another_vpc_is_refused` |
//! | 26 | RevokeSecurityGroupEgress naming a rule id the group lacks: `InvalidSecurityGroupRuleId.NotFound`, nothing revoked (moto 5.2.6 refuses with `InvalidPermission.NotFound`) ([`reach::unknown_rules`]) | EC2 API reference, error codes | `elbv2::a_rule_id_the_group_lacks_is_not_revoked` |
//! | 27 | A load balancer's `advancedConfiguration` (ECS blue/green, canary, linear) needs both target groups in the production rule and a role ECS may assume, and is added or dropped only on a service with no deployment in progress (`InvalidParameterException`); a deployment of a new revision on such a service moves the rule's weights to the other group, step by step under the timed model (the canary's share, each linear step), else all at once when it has completed; a rolled-back one puts them back; a test listener rule it names follows the new revision from the first step ([`strategy`]) | ECS Developer Guide, "Required resources for Amazon ECS blue/green deployments", "canary deployments", "linear deployments"; go-to-k/cdk-real-drift#1730, aws/aws-cdk#36649 | `strategy::a_blue_green_load_balancer_needs_both_groups_and_moves_weights_when_deployed`, `deploy::deploy_shows_a_native_deployments_stage_and_the_bake_time_left`, `test_route::a_test_route_follows_each_deployment_and_lives_and_dies_with_its_property` |
//! | 27b | Lifecycle hooks of such a deployment run stage by stage (PRE_SCALE_UP to POST_PRODUCTION_TRAFFIC_SHIFT), each invoked with its `roleArn`; one that answers FAILED (`Rollouts::fail_hook`) or that its role may not invoke (`lambda:InvokeFunction`) rolls the deployment back, ListServiceDeployments and DescribeServiceDeployments showing it FAILED in `lifecycleHookDetails` ([`hooks`]) | ECS API Reference, DeploymentLifecycleHook, DeploymentLifecycleHookDetail; ECS Developer Guide, "Lambda hooks for Amazon ECS service deployments", "Permissions required for Lambda functions in Amazon ECS blue/green deployments" | `strategy::lifecycle_hooks_run_stage_by_stage_and_one_that_fails_rolls_back` |
//! | 27c | A `PAUSE` lifecycle hook stops such a deployment at its stage, IN_PROGRESS, DescribeServiceDeployments showing the hook `AWAITING_ACTION` with its `hookId`, the test listener rule on the new revision's group; ContinueServiceDeployment (moto has none) goes on to the next stage (`CONTINUE`) or rolls the deployment back (`ROLLBACK`), and refuses a hook that is not awaiting action ([`hooks::resume`]) | ECS API Reference, ContinueServiceDeployment, DeploymentLifecycleHookDetail; ECS Developer Guide, "Pause hooks for Amazon ECS service deployments", "Continuing service deployments" | `pause::a_pause_hook_waits_for_continue_service_deployment` |
//! | 28 | One-off tasks (RunTask; moto never ends them) stop after a few reads with their container's exit code (0, a test's code for the command, 1 for a crashing image); ListTasks by `startedBy` allows no other filter (`InvalidParameterException`) and lists RUNNING tasks only; StopTask stops one; DeleteCluster while one runs: `ClusterContainsTasksException` ([`one_off`]) | ECS API reference, RunTask, ListTasks, DescribeTasks, StopTask, DeleteCluster | `one_off::a_one_off_task_ends_with_its_exit_code_and_holds_its_cluster` |
//! | 28b | prod-e's `SmokeChecks` task (RunTask with the smoke-check variables): each check gets the status a test gave the revision's image for its path (`AwsRules::smoke_answers`; 200 otherwise), the task prints the script's line per check to its awslogs stream in moto and exits with the number of the first check that got another status ([`smoke`]) | ECS API reference, RunTask (`containerOverrides.environment`); ECS Developer Guide, "Using the awslogs log driver" (stream `prefix/container/task id`) | `smoke::a_failing_check_rolls_the_paused_deployment_back_naming_the_check` |

pub mod alarms;
pub mod capacity;
pub mod credentials;
pub mod ecs;
pub mod elbv2;
pub mod fresh;
pub mod hooks;
pub mod iam;
pub mod models;
pub mod one_off;
pub mod outbound;
pub mod reach;
pub mod revisions;
pub mod scaling;
pub mod settings;
pub mod smoke;
pub mod strategy;
pub mod tasks;
pub mod upstream;
pub mod verdict;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::call::{Call, Fields};
pub use upstream::Upstream;
pub use verdict::{Refusal, Verdict};

/// A rule that can be switched off (rule 9 is the rollouts' and always on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    TargetGroupAssociated,
    TargetGroupInUse,
    ClusterWithServices,
    Draining,
    ServiceNameTaken,
    ClusterExists,
    ServiceLinkedRole,
    FreshReads,
    ServiceNotActive,
    Tasks,
    CapacityProviders,
    ScalableTargets,
    MissingAlarms,
    TargetGroupIdempotent,
    /// CloudFormation's reads of the stacks the tests run ([`crate::cloudformation`]); off in
    /// the operator's proxy, which sees moto's own stacks.
    CloudFormation,
    Reach,
    SecurityGroupLimit,
    Credentials,
    PullThroughCache,
    ReferencedGroup,
    Outbound,
    Models,
    GroupsInVpc,
    UnknownRuleIds,
    NativeDeployments,
    OneOffTasks,
}

/// How long a deleted service stays DRAINING (tests poll every 150 ms: 1 % of 15 s).
pub const DRAINING_FOR: Duration = Duration::from_millis(300);

/// One AWS account's rules and what they remember.
pub struct AwsRules {
    state: Mutex<State>,
    /// Held from check to record by calls that create or delete ECS services and clusters or
    /// register scalable targets, so that concurrent ones meet each other's results as on AWS.
    writes: tokio::sync::Mutex<()>,
}

#[derive(Debug)]
struct State {
    off: HashSet<Rule>,
    /// Uses of a new resource that do not find it yet (rule 8).
    fresh_reads: u32,
    draining_for: Duration,
    /// Whether the ECS service-linked role exists (rule 7).
    service_linked_role: bool,
    /// New resources → uses left that will not find them (rule 8).
    fresh: HashMap<fresh::Key, u32>,
    ecs: ecs::Memory,
    /// Task ARNs listed by rule 11 → their Availability Zone.
    tasks: HashMap<String, String>,
    /// Service or target group ARN → the settings moto drops (rules 12, 12b).
    settings: HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// The account's ECR pull-through cache rules' repository prefixes (rule 21).
    pull_through: Vec<String>,
    /// Service ARN → the target group its tasks are registered in, for services with an
    /// advanced configuration (rule 27).
    serving: HashMap<String, String>,
    /// Service ARN → the production rule its deployment of a revision moves, and the revision.
    shifts: HashMap<String, strategy::Shift>,
    /// One-off tasks (rule 28).
    one_offs: one_off::Memory,
}

impl Default for AwsRules {
    fn default() -> Self {
        AwsRules {
            state: Mutex::new(State {
                off: HashSet::new(),
                fresh_reads: 1,
                draining_for: DRAINING_FOR,
                service_linked_role: false,
                fresh: HashMap::new(),
                ecs: ecs::Memory::default(),
                tasks: HashMap::new(),
                settings: HashMap::new(),
                pull_through: Vec::new(),
                serving: HashMap::new(),
                shifts: HashMap::new(),
                one_offs: one_off::Memory::default(),
            }),
            writes: tokio::sync::Mutex::new(()),
        }
    }
}

impl AwsRules {
    /// Switches `rule` on (the default) or off (moto answers as it would).
    pub fn set(&self, rule: Rule, on: bool) {
        self.with(|s| match on {
            true => s.off.remove(&rule),
            false => s.off.insert(rule),
        });
    }

    /// Whether the account already has the ECS service-linked role (a new one has not).
    pub fn service_linked_role_exists(&self, exists: bool) {
        self.with(|s| {
            s.service_linked_role = exists;
            s.fresh.remove(&fresh::Key::ServiceLinkedRole);
        });
    }

    /// The account has an ECR pull-through cache rule for `prefix/` repositories (rule 21).
    pub fn pull_through_cache(&self, prefix: &str) {
        self.with(|s| s.pull_through.push(prefix.to_string()));
    }

    /// The pull-through cache prefixes ([`AwsRules::pull_through_cache`]).
    fn pull_through(&self) -> Vec<String> {
        self.with(|s| s.pull_through.clone())
    }

    /// How many uses of each resource created from now on do not find it yet (0: none).
    pub fn fresh_reads(&self, n: u32) {
        self.with(|s| s.fresh_reads = n);
    }

    /// How long a deleted service stays DRAINING, counted from its deletion; it applies to
    /// services already deleted too (`Duration::ZERO` ends every drain at once).
    pub fn draining_for(&self, time: Duration) {
        self.with(|s| s.draining_for = time);
    }

    /// The deleted service `arn` stays DRAINING for `time` from its deletion instead of the
    /// rules' time (a timed rollout's drain: [`super::rollout::Rollout::Timed`]).
    pub fn drains_for(&self, arn: &str, time: Duration) {
        ecs::drains_for(self, arn, time);
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("aws rules"))
    }

    fn on(&self, rule: Rule) -> bool {
        self.with(|s| !s.off.contains(&rule))
    }

    /// For calls that create or delete services or clusters: a turn, held until recorded.
    pub async fn exclusive(&self, action: &str) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        let writes = [
            "CreateService",
            "UpdateService",
            "DeleteService",
            "CreateCluster",
            "DeleteCluster",
            "RegisterScalableTarget",
        ];
        match writes.contains(&action) {
            true => Some(self.writes.lock().await),
            false => None,
        }
    }

    /// What the rules make of `call`, reading moto where they must.
    pub async fn before(&self, moto: &Upstream, call: &Call) -> Verdict {
        let fields = Fields::of(call);
        let body = &fields.body;
        let broken = self
            .on(Rule::Models)
            .then(|| models::refused(&call.service, &call.action, &fields));
        if let Some(refused) = broken.flatten() {
            return refused;
        }
        let verdict = match (call.service.as_str(), call.action.as_str()) {
            ("iam", action) => iam::play(self, action, &fields),
            ("ec2", "AuthorizeSecurityGroupIngress") => fresh::security_group(self, &fields),
            ("ec2", "RevokeSecurityGroupEgress") => reach::unknown_rules(self, moto, &fields).await,
            ("ec2", "DeleteSecurityGroup") => {
                reach::referenced(self, moto, fields.get("GroupId")).await
            }
            ("ecs", "RegisterTaskDefinition") => fresh::passed_roles(self, body),
            ("ecs", "CreateService") => self.create_service(moto, body).await,
            ("ecs", "UpdateService") => self.update_service(moto, body).await,
            ("ecs", "CreateCluster") => ecs::existing_cluster(self, moto, body).await,
            ("ecs", "PutClusterCapacityProviders") => fresh::cluster_activating(self, body),
            ("ecs", "DeleteCluster") => match one_off::cluster_with_tasks(self, body) {
                None => ecs::cluster_with_services(self, moto, body).await,
                refused => refused,
            },
            ("ecs", "RunTask") => one_off::run(self, moto, body).await,
            ("ecs", "ContinueServiceDeployment") => hooks::resume(self, moto, body).await,
            ("ecs", "StopTask") => one_off::stop(self, body),
            ("ecs", "ListTasks") => match one_off::list(self, body) {
                None => tasks::list(self, moto, body).await,
                listed => listed,
            },
            ("ecs", "DescribeTasks") => {
                one_off::describe(self, body).or_else(|| tasks::describe(self, body))
            }
            ("elasticloadbalancing", "CreateTargetGroup") => {
                elbv2::existing(self, moto, &fields).await
            }
            ("elasticloadbalancing", "DeleteTargetGroup") => {
                elbv2::in_use(self, moto, &fields).await
            }
            ("elasticloadbalancing", "DescribeTargetHealth") => {
                strategy::health(self, moto, &fields).await
            }
            ("application-autoscaling", action) => scaling::before(self, moto, action, body).await,
            ("monitoring", action) => alarms::before(self, moto, action, body).await,
            ("cloudformation", action) if self.on(Rule::CloudFormation) => {
                crate::cloudformation::answer(action, &|k| fields.get(k))
            }
            _ => None,
        };
        verdict.unwrap_or(Verdict::Forward)
    }

    async fn create_service(&self, moto: &Upstream, body: &Value) -> Option<Verdict> {
        if let Some(refused) = ecs::too_many_groups(self, body) {
            return Some(refused);
        }
        if let Some(refused) = ecs::foreign_groups(self, moto, body).await {
            return Some(refused);
        }
        if let Some(refused) = iam::unassumable(self) {
            return Some(refused);
        }
        if let Some(delayed) = fresh::cluster(self, body) {
            return Some(delayed);
        }
        if let Some(v) = ecs::name_taken(self, moto, body).await {
            return Some(v);
        }
        if let Some(v) = capacity::unassociated(self, moto, body).await {
            return Some(v);
        }
        match elbv2::unassociated(self, moto, body).await {
            None => {
                self.tasks_fail(moto, body, true).await;
                fresh::association(self, body)
            }
            refused => refused,
        }
    }

    async fn update_service(&self, moto: &Upstream, body: &Value) -> Option<Verdict> {
        if let Some(refused) = ecs::too_many_groups(self, body) {
            return Some(refused);
        }
        if let Some(refused) = ecs::foreign_groups(self, moto, body).await {
            return Some(refused);
        }
        if let Some(v) = ecs::not_active(self, moto, body).await {
            return Some(v);
        }
        if let Some(v) = capacity::unassociated(self, moto, body).await {
            return Some(v);
        }
        if let Some(v) = strategy::mid_deployment(self, moto, body) {
            return Some(v);
        }
        if let Some(v) = strategy::refused(self, moto, body).await {
            return Some(v);
        }
        let refused = elbv2::unassociated(self, moto, body).await;
        if refused.is_none() {
            self.tasks_fail(moto, body, false).await;
            strategy::deploy(self, moto, body).await;
        }
        refused
    }

    /// Rules 18, 23, 20 and 21: the first reason the tasks of a service created (`created`) or
    /// updated onto `body`'s revision never serve, played as its failed rollout with ECS's
    /// event. An update may change only the revision: it is judged on that alone.
    async fn tasks_fail(&self, moto: &Upstream, body: &Value, created: bool) {
        let asked = serde_json::json!({"taskDefinition": body["taskDefinition"]});
        let found = moto.ecs("DescribeTaskDefinition", asked).await;
        let definition = found
            .map(|f| f["taskDefinition"].clone())
            .unwrap_or_default();
        let mut event = None;
        if created {
            event = reach::unreachable(self, moto, body).await;
        }
        if created && event.is_none() {
            event = outbound::blocked(self, moto, (body, &definition)).await;
        }
        if event.is_none() {
            event = credentials::unreadable(self, moto, (body, &definition)).await;
        }
        if let Some(event) = event {
            let failed = crate::rollout::Rollout::Failed(vec![event]);
            moto.rollouts().set_for(&ecs::service_arn(body), failed);
        }
    }

    /// Records what a forwarded call did and rewrites moto's answer as AWS would give it;
    /// true if the answer now counts as a fault (a read-after-write delay).
    pub fn after(&self, call: &Call, reply: Vec<u8>) -> (Vec<u8>, bool) {
        if call.service == "application-autoscaling" {
            return (scaling::after(self, call, reply), false);
        }
        if call.service == "ecs"
            && ["CreateService", "UpdateService"].contains(&call.action.as_str())
        {
            settings::record(self, call, &reply);
        }
        match (call.service.as_str(), call.action.as_str()) {
            ("ecs", "DescribeServices") => return settings::describe_services(self, reply),
            ("elasticloadbalancing", "DescribeTargetGroups") => {
                return (settings::show_grpc_codes(self, reply), false)
            }
            ("elasticloadbalancing", "ModifyTargetGroup") => settings::record_grpc_code(self, call),
            ("ecs", "CreateService") => ecs::created(self, call, &reply),
            ("ecs", "DeleteService") => ecs::deleted(self, &reply),
            _ => {}
        }
        fresh::record(self, call, &reply);
        (reply, false)
    }
}
