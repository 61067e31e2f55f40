//! For unit tests only: [`Clients`] whose every AWS call is answered at once, in memory, by
//! [`FakeAws`], which records the actions called, in order. An action's answer is what the
//! test gives for it, else an empty success in the service's protocol (JSON `{}`, the Query
//! protocols' empty `<ActionResponse>`, or RPC v2 CBOR's empty map: CloudWatch's), which the
//! SDK reads as an output with no members. No byte leaves the process.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use crate::aws::Clients;

/// An in-memory AWS: answers every call, recording it.
#[derive(Debug, Clone)]
pub struct FakeAws {
    calls: Arc<Mutex<Vec<String>>>,
    answers: Arc<Vec<(&'static str, String)>>,
}

impl FakeAws {
    /// An AWS answering each `(action, body)` given with its body, every other action with an
    /// empty success.
    pub fn new(answers: Vec<(&'static str, String)>) -> Self {
        FakeAws {
            calls: Arc::default(),
            answers: Arc::new(answers),
        }
    }

    /// Clients that talk to this fake only.
    pub fn clients(&self) -> Clients {
        let credentials = Credentials::new("AKIDFAKE", "fake", None, None, "fake");
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .endpoint_url("http://aws.invalid")
            .http_client(self.clone())
            .build();
        Clients::new(&config)
    }

    /// The actions called so far, in order.
    pub fn actions(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The actions called so far that write (neither Describe, List nor Get), in order.
    pub fn writes(&self) -> Vec<String> {
        let reads = ["Describe", "List", "Get"];
        let writes = self.actions().into_iter();
        writes
            .filter(|a| !reads.iter().any(|r| a.starts_with(r)))
            .collect()
    }

    /// The answer to `request` (status 200): its body and, for RPC v2 CBOR, its protocol
    /// header.
    fn answer(&self, request: &HttpRequest, ok: StatusCode) -> HttpResponse {
        let (protocol, action) = identify(request);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(action.clone());
        }
        let given = self.answers.iter().find(|(a, _)| *a == action);
        let body = match (given, protocol) {
            (Some((_, body)), _) => SdkBody::from(body.clone()),
            (None, Protocol::Json) => SdkBody::from("{}"),
            (None, Protocol::Ec2) => {
                SdkBody::from(format!("<{action}Response></{action}Response>"))
            }
            (None, Protocol::Query) => SdkBody::from(format!(
                "<{action}Response><{action}Result></{action}Result></{action}Response>"
            )),
            // An empty CBOR map.
            (None, Protocol::Cbor) => SdkBody::from(vec![0xA0u8]),
        };
        let mut response = HttpResponse::new(ok, body);
        if protocol == Protocol::Cbor {
            response
                .headers_mut()
                .insert("smithy-protocol", "rpc-v2-cbor");
        }
        response
    }
}

/// How a service's requests and answers are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// AWS JSON (ECS, Logs, KMS, …): the action in `X-Amz-Target`.
    Json,
    /// EC2's query protocol: the action in the form body, the answer `<ActionResponse>`.
    Ec2,
    /// AWS Query (IAM, ELBv2, CloudFormation): the answer wrapped in `<ActionResult>` too.
    Query,
    /// Smithy RPC v2 CBOR (CloudWatch): the action in the path, `/operation/<Action>`.
    Cbor,
}

/// The protocol and the action of a signed request.
fn identify(request: &HttpRequest) -> (Protocol, String) {
    let header = |name: &str| request.headers().get(name).unwrap_or_default().to_string();
    if header("smithy-protocol") == "rpc-v2-cbor" {
        let action = request
            .uri()
            .rsplit("/operation/")
            .next()
            .unwrap_or("Unknown");
        return (Protocol::Cbor, action.to_string());
    }
    if let Some((_, action)) = header("x-amz-target").rsplit_once('.') {
        return (Protocol::Json, action.to_string());
    }
    // The SigV4 scope names the service: `Credential=AKID/20261207/us-east-1/ec2/aws4_request`.
    let authorization = header("authorization");
    let scope = authorization
        .split("Credential=")
        .nth(1)
        .unwrap_or_default();
    let protocol = match scope.split('/').nth(3) {
        Some("ec2") => Protocol::Ec2,
        _ => Protocol::Query,
    };
    let body = request.body().bytes().unwrap_or_default();
    let form = String::from_utf8_lossy(body);
    let action = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or("Unknown");
    (protocol, action.to_string())
}

impl HttpConnector for FakeAws {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let ok = StatusCode::try_from(200).map(|ok| self.answer(&request, ok));
        let response = ok.map_err(|e| {
            aws_smithy_runtime_api::client::result::ConnectorError::other(e.into(), None)
        });
        HttpConnectorFuture::ready(response)
    }
}

impl HttpClient for FakeAws {
    fn http_connector(
        &self,
        _: &HttpConnectorSettings,
        _: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
