//! For unit tests only: [`Clients`] whose every AWS call is answered at once, in memory, by
//! [`FakeAws`], which records the calls (service and action) in order. An action's answer is
//! what the test gives for it, else an empty success in the service's protocol (JSON `{}`,
//! or the Query protocols' empty `<ActionResponse>`), which the SDK reads as an output with no
//! members. No byte leaves the process.

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

/// One call: the SigV4 service name (`ecs`, `elasticloadbalancing`, …) and the action.
pub type Call = (String, String);

/// An in-memory AWS: answers every call, recording it.
#[derive(Debug, Clone)]
pub struct FakeAws {
    calls: Arc<Mutex<Vec<Call>>>,
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
        let calls = self.calls.lock().map(|c| c.clone()).unwrap_or_default();
        calls.into_iter().map(|(_, action)| action).collect()
    }

    /// The actions called so far that write (neither Describe, List nor Get), in order.
    pub fn writes(&self) -> Vec<String> {
        let reads = ["Describe", "List", "Get"];
        let writes = self.actions().into_iter();
        writes
            .filter(|a| !reads.iter().any(|r| a.starts_with(r)))
            .collect()
    }

    fn answer(&self, request: &HttpRequest) -> String {
        let (service, action, json) = identify(request);
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((service.clone(), action.clone()));
        }
        let given = self.answers.iter().find(|(a, _)| *a == action);
        match (given, json, service.as_str()) {
            (Some((_, body)), _, _) => body.clone(),
            (None, true, _) => "{}".into(),
            (None, false, "ec2") => format!("<{action}Response></{action}Response>"),
            (None, false, _) => {
                format!("<{action}Response><{action}Result></{action}Result></{action}Response>")
            }
        }
    }
}

/// (SigV4 service, action, whether the protocol is JSON) of a signed request.
fn identify(request: &HttpRequest) -> (String, String, bool) {
    let header = |name: &str| request.headers().get(name).unwrap_or_default().to_string();
    // `Credential=AKID/20261207/us-east-1/ecs/aws4_request`
    let authorization = header("authorization");
    let scope = authorization
        .split("Credential=")
        .nth(1)
        .unwrap_or_default();
    let service = scope.split('/').nth(3).unwrap_or_default().to_string();
    let target = header("x-amz-target");
    if let Some((_, action)) = target.rsplit_once('.') {
        return (service, action.to_string(), true);
    }
    let body = request.body().bytes().unwrap_or_default();
    let form = String::from_utf8_lossy(body);
    let action = form
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .unwrap_or("Unknown");
    (service, action.to_string(), false)
}

impl HttpConnector for FakeAws {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let body = self.answer(&request);
        let ok =
            StatusCode::try_from(200).map(|status| HttpResponse::new(status, SdkBody::from(body)));
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
