//! prod-e's test world, a dev-only crate built once for the integration tests, the demo, the
//! policy judgement and the benchmark: moto server, a VPC with an ALB to deploy behind, the
//! proxy that holds moto to AWS's rules and plays ECS rollouts, and CloudFormation played by
//! hand (events with presigned S3 ResponseURLs, responses read back from S3).

pub mod aws_rules;
pub mod call;
pub mod capture;
pub mod cbor;
pub mod cloudformation;
pub mod http;
pub mod iam;
pub mod judgement;
pub mod logs;
pub mod moto;
pub mod network;
pub mod ownership;
pub mod patience;
pub mod proxy;
pub mod rollout;
pub mod runtime;
pub mod s3;
mod stack;
pub mod template;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use lambda_runtime::{Context, LambdaEvent};
use prod_e::aws::{config_loader, Clients};
use prod_e::cfn::Responder;
use prod_e::handler::{handle, Provider};
use prod_e::resources::role;
use serde_json::{json, Value};

pub use network::Network;
pub use stack::Stack;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
/// The function's own ARN, as Lambda gives it in the context.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:prod-e-provisioner";
/// The task roles' permissions boundary, as the template (stack `prod-e`) names it.
pub const TASK_ROLE_BOUNDARY: &str = "arn:aws:iam::123456789012:policy/prod-e-task-role-boundary";
/// The execution roles' permissions boundary, as the template (stack `prod-e`) names it.
pub const EXECUTION_ROLE_BOUNDARY: &str =
    "arn:aws:iam::123456789012:policy/prod-e-execution-role-boundary";
/// The traffic roles' permissions boundary, as the template (stack `prod-e`) names it.
pub const TRAFFIC_ROLE_BOUNDARY: &str =
    "arn:aws:iam::123456789012:policy/prod-e-traffic-role-boundary";
/// The function's environment variables the template sets beside Lambda's own.
pub const TEMPLATE_ENV: [(&str, &str); 3] = [
    (role::TASK_ROLE_BOUNDARY_ENV, TASK_ROLE_BOUNDARY),
    (role::EXECUTION_ROLE_BOUNDARY_ENV, EXECUTION_ROLE_BOUNDARY),
    (role::TRAFFIC_ROLE_BOUNDARY_ENV, TRAFFIC_ROLE_BOUNDARY),
];
/// The actions only preflight calls (all reads), for tests and the benchmark to find them.
pub const PREFLIGHT_READS: [&str; 7] = [
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeVpcEndpoints",
    "DescribeLoadBalancers",
    "DescribeListeners",
    "DescribeAccountLimits",
];
/// The Lambda timeout tests run under unless they say otherwise.
pub const LAMBDA_TIME: Duration = Duration::from_secs(300);

/// Clients, a provider wired to moto, and the stack-wide names of one test.
pub struct Harness {
    /// Straight to moto: what the tests look at.
    pub clients: Clients,
    /// The provider's clients go through [`Harness::proxy`].
    pub provider: Provider,
    pub network: Network,
    pub proxy: proxy::Proxy,
}

impl Harness {
    /// A fresh VPC, subnets and ALB with a listener in the shared moto server; the provider
    /// talks to moto through a proxy of its own that plays ECS rollouts.
    pub async fn new() -> Harness {
        Self::through(&proxy::Proxy::start(moto::endpoint()).await).await
    }

    /// The same, with the provider's AWS calls going through `proxy`.
    pub async fn through(proxy: &proxy::Proxy) -> Harness {
        logs::capture();
        prod_e::retry::set_delay_scale(DELAY_SCALE);
        let clients = observing(&clients(moto::endpoint()).await).await;
        s3::ensure_bucket().await;
        let network = Network::create(&clients).await;
        proxy.deploys_behind(
            &network.vpc_id,
            &network.listener_arn,
            &network.alb_security_group_id,
        );
        let provider = Provider {
            clients: self::clients(&proxy.endpoint).await,
            responder: Responder::new(true).expect("responder"),
        };
        Harness {
            clients,
            provider,
            network,
            proxy: proxy.clone(),
        }
    }

    /// The four required properties for this harness's network, plus `extra`.
    pub fn properties(&self, extra: Value) -> Value {
        let mut props = json!({
            "ServiceToken": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:prod-e-provisioner"),
            "VpcId": self.network.vpc_id,
            "SubnetIds": self.network.subnet_ids,
            "ListenerArn": self.network.listener_arn,
            "LoadBalancerSecurityGroupId": self.network.alb_security_group_id,
        });
        if let (Some(p), Value::Object(extra)) = (props.as_object_mut(), extra) {
            p.extend(extra);
        }
        props
    }

    /// Invokes the handler as Lambda would; returns its result and the response PUT to S3.
    pub async fn invoke(&self, event: Value) -> Outcome {
        self.invoke_with_time(event, LAMBDA_TIME).await
    }

    pub async fn invoke_with_time(&self, event: Value, time: Duration) -> Outcome {
        cloudformation::sends(&event);
        let out = self.invoke_directly(event.clone(), time).await;
        if let Some(response) = &out.response {
            cloudformation::answered(&event, response);
        }
        out
    }

    /// Invokes the handler with `event` as anyone holding `lambda:InvokeFunction` could,
    /// without CloudFormation having sent it (its stacks show nothing of it).
    pub async fn invoke_directly(&self, event: Value, time: Duration) -> Outcome {
        let url = event["ResponseURL"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut context = Context::default();
        context.request_id = format!("lambda-{}", unique());
        context.invoked_function_arn = FUNCTION_ARN.to_string();
        context.deadline = (SystemTime::now() + time)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let returned = handle(&self.provider, LambdaEvent::new(event, context))
            .await
            .map_err(|e| e.to_string());
        let response = s3::read_response(&url).await;
        Outcome { returned, response }
    }
}

impl Harness {
    /// The JSON body of the provider's last call of `action` (`null` if none or not JSON).
    pub fn last_request(&self, action: &str) -> Value {
        let calls = self.proxy.calls();
        let call = calls.iter().rev().find(|c| c.action == action);
        let body = call.map(|c| c.body.clone()).unwrap_or_default();
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// Invokes `event`, which must succeed, and returns the writes it made, in order.
    pub async fn writes_of(&self, event: Value) -> Vec<String> {
        let before = self.proxy.calls().len();
        self.invoke(event).await.assert_success();
        self.writes_since(before)
    }

    /// The writes among the provider's calls from call `from` on, in order (reads — the
    /// `Describe*`, `List*` and `Get*` actions — left out).
    pub fn writes_since(&self, from: usize) -> Vec<String> {
        self.proxy.calls()[from..]
            .iter()
            .filter(|c| !is_read(&c.action))
            .map(|c| c.action.clone())
            .collect()
    }
}

/// Whether an AWS action only reads.
pub fn is_read(action: &str) -> bool {
    ["Describe", "List", "Get"]
        .iter()
        .any(|p| action.starts_with(p))
}

impl Harness {
    /// Invokes `event` with `time` for each invocation and delivers every continuation the
    /// provider queued (the proxy keeps them) as Lambda would, until an invocation answers;
    /// returns that outcome and how many invocations it took.
    pub async fn invoke_to_the_end(&self, event: Value, time: Duration) -> (Outcome, usize) {
        let (mut payload, mut invocations) = (event, 1);
        loop {
            let queued = self.proxy.invocations().len();
            let out = self.invoke_with_time(payload, time).await;
            match self.proxy.invocations().get(queued) {
                Some(next) => {
                    payload = next.clone();
                    invocations += 1;
                }
                None => return (out, invocations),
            }
        }
    }
}

/// What one invocation produced.
#[derive(Debug)]
pub struct Outcome {
    pub returned: Result<Value, String>,
    /// The JSON that reached the ResponseURL, if any.
    pub response: Option<Value>,
}

impl Outcome {
    /// The response, which must exist.
    pub fn response(&self) -> &Value {
        self.response.as_ref().unwrap_or_else(|| {
            panic!(
                "no response reached S3; handler returned {:?}",
                self.returned
            )
        })
    }

    pub fn status(&self) -> &str {
        self.response()["Status"].as_str().unwrap_or_default()
    }

    pub fn reason(&self) -> &str {
        self.response()["Reason"].as_str().unwrap_or_default()
    }

    pub fn physical_id(&self) -> String {
        self.response()["PhysicalResourceId"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn data(&self, key: &str) -> String {
        self.response()["Data"][key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Panics with the reason unless the response is SUCCESS.
    pub fn assert_success(&self) -> &Self {
        assert_eq!(self.status(), "SUCCESS", "reason: {}", self.reason());
        assert!(self.returned.is_ok(), "{:?}", self.returned);
        self
    }
}

/// `c` with Application Auto Scaling and CloudWatch read through [`operator_endpoint`]: the
/// AWS rules keep the scalable targets' tags, which moto drops, and translate the CloudWatch
/// SDK's CBOR, which moto cannot read.
pub async fn observing(c: &Clients) -> Clients {
    let through = clients(operator_endpoint()).await;
    Clients {
        scaling: through.scaling,
        cloudwatch: through.cloudwatch,
        ..c.clone()
    }
}

/// A proxy in front of moto for the tests' own calls and the operator CLI's (never the
/// provider's: they stay out of the policy judgement), one per test process, on a thread and
/// runtime of its own so that it outlives every test's runtime.
pub fn operator_endpoint() -> &'static str {
    static ENDPOINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let upstream = moto::endpoint();
        let (sent, received) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("operator proxy runtime");
            runtime.block_on(async move {
                let proxy = proxy::Proxy::start(upstream).await;
                proxy.not_the_provider();
                let _ = sent.send(proxy.endpoint.clone());
                std::future::pending::<()>().await
            })
        });
        received.recv().expect("operator proxy started")
    })
}

/// Clients for `endpoint` (see [`config`]), creating roles under the template's boundaries.
pub async fn clients(endpoint: &str) -> Clients {
    Clients {
        roles: role::RoleSettings {
            task: Some(TASK_ROLE_BOUNDARY.into()),
            execution: Some(EXECUTION_ROLE_BOUNDARY.into()),
            traffic: Some(TRAFFIC_ROLE_BOUNDARY.into()),
            tag_keys: vec![],
            pull_through_repositories: vec![],
        },
        continuation_key: Some(moto::continuation_key().to_string()),
        ..Clients::new(&config(endpoint).await)
    }
}

/// The SDK configuration for `endpoint`, with prod-e's retry settings; only the first backoff
/// is shortened (the attempt counts are the provider's own), so that injected throttling does
/// not make tests sleep for seconds.
pub async fn config(endpoint: &str) -> aws_config::SdkConfig {
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(prod_e::aws::SDK_MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(5));
    config_loader()
        .endpoint_url(endpoint)
        .region(aws_config::Region::new(REGION))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(retry)
        .load()
        .await
}

/// Retry and poll delays in tests are 1 % of production's (attempt counts unchanged).
pub const DELAY_SCALE: f64 = 0.01;

/// A short string unique within this test run.
pub fn unique() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{:x}{:04x}", nanos, COUNTER.fetch_add(1, Ordering::SeqCst))
}
