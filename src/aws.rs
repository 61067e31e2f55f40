//! The AWS clients, built once from the standard environment, with retry and timeouts set here
//! only.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};

/// Attempts per AWS call for throttling, 5xx and connection errors (SDK standard mode, with
/// exponential backoff up to 20 s). Terraform's AWS provider allows 25; 10 makes a call that
/// fails 30 % of the time get through all but once in 170 000 calls.
pub const SDK_MAX_ATTEMPTS: u32 = 10;
/// Connecting to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One attempt of one AWS call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// One AWS call with all its retries.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable naming the KMS key that seals continuations (the template sets it).
pub const CONTINUATION_KEY_ENV: &str = "PROD_E_CONTINUATION_KEY";

/// One client per AWS service the provider calls.
#[derive(Clone, Debug)]
pub struct Clients {
    /// ECS: clusters, services, task definitions.
    pub ecs: aws_sdk_ecs::Client,
    /// EC2: the security group and the network it lives in.
    pub ec2: aws_sdk_ec2::Client,
    /// IAM: the task roles and the ECS service-linked role.
    pub iam: aws_sdk_iam::Client,
    /// ELBv2: the target group and the listener rule.
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    /// CloudWatch Logs: the container log group.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// The provider's own function, invoked to continue a long operation.
    pub lambda: aws_sdk_lambda::Client,
    /// Application Auto Scaling: the service's scalable target, policies, scheduled actions.
    pub scaling: aws_sdk_applicationautoscaling::Client,
    /// CloudWatch: the baseline alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Resource Groups Tagging API: this deployment's task definition revisions, by tag.
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    /// CloudFormation, read only: whether a stack still waits for an operation (the
    /// provider), whether a deployment's stack still exists (`prod-e orphans`).
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// KMS: the HMAC key that seals continuations.
    pub kms: aws_sdk_kms::Client,
    /// The ARN of that key (`PROD_E_CONTINUATION_KEY`); without one an operation cannot
    /// continue in another invocation, and no continuation is accepted.
    pub continuation_key: Option<String>,
    /// The template's settings for the roles the provider creates: their permissions
    /// boundaries and the user tag keys they may carry (none for the CLI, which creates none).
    pub roles: crate::resources::role::RoleSettings,
    /// The operator's caps on what one stack may ask for (none for the CLI).
    pub caps: crate::spec::caps::Caps,
}

/// A client of SDK crate `$sdk` for `$config`, in prod-e's retry partition.
macro_rules! client {
    ($sdk:ident, $config:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .retry_partition(partition())
                .build(),
        )
    };
}

impl Clients {
    /// Region, credentials and `AWS_ENDPOINT_URL` come from the environment, as for any AWS tool;
    /// so do the roles' settings ([`RoleSettings::from_env`]) and the operator's
    /// caps (`Caps::from_env`).
    ///
    /// [`RoleSettings::from_env`]: crate::resources::role::RoleSettings::from_env
    pub async fn from_env() -> Self {
        Clients {
            roles: crate::resources::role::RoleSettings::from_env(),
            caps: crate::spec::caps::Caps::from_env(),
            continuation_key: std::env::var(CONTINUATION_KEY_ENV)
                .ok()
                .filter(|k| !k.is_empty()),
            ..Self::new(&load_config().await)
        }
    }

    /// Clients for an already loaded configuration, creating roles without boundaries or user
    /// tags.
    pub fn new(config: &SdkConfig) -> Self {
        Clients {
            ecs: client!(aws_sdk_ecs, config),
            ec2: client!(aws_sdk_ec2, config),
            iam: client!(aws_sdk_iam, config),
            elb: client!(aws_sdk_elasticloadbalancingv2, config),
            logs: client!(aws_sdk_cloudwatchlogs, config),
            lambda: client!(aws_sdk_lambda, config),
            scaling: client!(aws_sdk_applicationautoscaling, config),
            cloudwatch: client!(aws_sdk_cloudwatch, config),
            tagging: client!(aws_sdk_resourcegroupstagging, config),
            cloudformation: client!(aws_sdk_cloudformation, config),
            kms: client!(aws_sdk_kms, config),
            continuation_key: None,
            roles: Default::default(),
            caps: Default::default(),
        }
    }
}

/// The standard environment's configuration with prod-e's retry and timeout settings.
pub async fn load_config() -> SdkConfig {
    config_loader().load().await
}

/// The SDK's retry token bucket is unlimited: prod-e makes few calls, and a bucket drained by
/// sustained throttling would fail a deployment outright; [`SDK_MAX_ATTEMPTS`] and the
/// backoff still bound each call.
fn partition() -> RetryPartition {
    RetryPartition::custom("prod-e")
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// A builder of reqwest clients (the ResponseURL PUT) whose TLS uses ring, as the SDK's does.
/// reqwest takes the process's rustls crypto provider, installed here; an Err from the install
/// only says one was installed already.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// The loader with prod-e's retry and timeout settings; callers may override more.
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        // hyper and rustls with ring as the crypto provider, in place of the SDK's default
        // aws-lc-rs: the same TLS for a smaller package (README, "Performance").
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .build_https(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
}
