//! The response as it goes over the wire: URL byte for byte, headers, retries, rejections.

use serde_json::json;

use crate::support::capture::Capture;
use crate::support::{Harness, Stack};

const SIGNED_PATH: &str = "/bucket/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/s/1%7CProdEService%7Creq?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261126%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123";

#[tokio::test]
async fn the_response_url_is_used_exactly_as_received() {
    let h = Harness::new().await;
    let capture = Capture::start(SIGNED_PATH, vec![200]).await;
    let stack = Stack::new("wire");
    let mut event = stack.delete("made-up", &h.properties(json!({})));
    event["ResponseURL"] = json!(capture.url);
    let out = h.invoke(event).await;
    assert!(out.returned.is_ok(), "{:?}", out.returned);
    let got = capture.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].method.as_str(), got[0].target.as_str()),
        ("PUT", SIGNED_PATH)
    );
    assert_eq!(got[0].header("content-type"), Some(""));
    assert_eq!(
        got[0].header("content-length"),
        Some(got[0].body.len().to_string().as_str())
    );
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).expect("json body");
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "made-up");
    assert_eq!(body["StackId"], stack.id.as_str());
    assert_eq!(body["LogicalResourceId"], "ProdEService");
    assert!(body.get("Reason").is_none());
}

#[tokio::test]
async fn server_errors_are_retried_until_delivered() {
    let h = Harness::new().await;
    let capture = Capture::start("/b/k?X-Amz-Signature=s", vec![503, 503, 200]).await;
    let mut event = Stack::new("retry").delete("made-up", &h.properties(json!({})));
    event["ResponseURL"] = json!(capture.url);
    let out = h.invoke(event).await;
    assert!(out.returned.is_ok(), "{:?}", out.returned);
    assert_eq!(capture.requests().len(), 3);
}

#[tokio::test]
async fn a_client_error_is_final_and_the_invocation_fails() {
    let h = Harness::new().await;
    let capture = Capture::start("/b/k?X-Amz-Signature=s", vec![403]).await;
    let mut event = Stack::new("forbidden").delete("made-up", &h.properties(json!({})));
    event["ResponseURL"] = json!(capture.url);
    let out = h.invoke(event).await;
    let err = out
        .returned
        .expect_err("delivery failure must fail the invocation");
    assert!(err.contains("403"), "{err}");
    assert!(!err.contains("X-Amz-Signature"), "{err}");
    assert_eq!(capture.requests().len(), 1);
}

#[tokio::test]
async fn a_disallowed_response_url_gets_nothing() {
    let h = Harness::new().await;
    let strict = prod_e::handler::Provider {
        clients: h.clients.clone(),
        responder: prod_e::cfn::Responder::new(false).expect("responder"),
    };
    let capture = Capture::start("/b/k?X-Amz-Signature=s", vec![200]).await;
    let mut event = Stack::new("strict").create(&h.properties(json!({})));
    event["ResponseURL"] = json!(capture.url);
    let result = prod_e::handler::handle(
        &strict,
        lambda_runtime::LambdaEvent::new(event, Default::default()),
    )
    .await;
    let err = result.expect_err("must be rejected").to_string();
    assert!(err.contains("not an https S3 URL"), "{err}");
    assert!(!err.contains("X-Amz-Signature"), "{err}");
    assert!(capture.requests().is_empty());
}

#[tokio::test]
async fn unanswerable_and_malformed_events() {
    let h = Harness::new().await;
    // No envelope: a Lambda error, nothing sent anywhere.
    for event in [
        json!("text"),
        json!({"RequestType": "Create"}),
        json!({"ResponseURL": 5}),
    ] {
        let out = h.invoke(event.clone()).await;
        assert!(out.returned.is_err(), "{event}");
    }
    // An envelope but an unknown RequestType or resource type: FAILED with the reason.
    let stack = Stack::new("malformed");
    let mut unknown = stack.create(&h.properties(json!({})));
    unknown["RequestType"] = json!("Explode");
    let out = h.invoke(unknown).await;
    assert_eq!(out.status(), "FAILED");
    assert!(
        out.reason().contains("malformed CloudFormation event"),
        "{}",
        out.reason()
    );
    let mut wrong_type = stack.create(&h.properties(json!({})));
    wrong_type["ResourceType"] = json!("AWS::S3::Bucket");
    let out = h.invoke(wrong_type).await;
    assert_eq!(out.status(), "FAILED");
    assert!(
        out.reason().contains("not \"AWS::S3::Bucket\""),
        "{}",
        out.reason()
    );
}

#[tokio::test]
async fn a_hanging_response_url_is_given_up_on_and_retried() {
    let h = Harness::new().await;
    // Shorter than production's 5 s and 15 s, long enough for the second attempt to be
    // answered on a loaded machine: only the hung one runs out of time.
    let quick = prod_e::handler::Provider {
        clients: h.clients.clone(),
        responder: prod_e::cfn::Responder::with_timeouts(
            true,
            std::time::Duration::from_secs(3),
            std::time::Duration::from_secs(3),
        )
        .expect("responder"),
    };
    let capture = Capture::start("/b/k?X-Amz-Signature=s", vec![0, 200]).await;
    let mut event = Stack::new("hang").delete("made-up", &h.properties(json!({})));
    event["ResponseURL"] = json!(capture.url);
    let result = prod_e::handler::handle(
        &quick,
        lambda_runtime::LambdaEvent::new(event, Default::default()),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        capture.requests().len(),
        2,
        "one hung attempt, one delivered"
    );
}
