//! Unit tests of the CBOR ↔ JSON 1.0 translation: requests, success answers (read back with the
//! SDK's own decoder too) and error answers as moto gives them.

use super::*;

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

fn tagged(inner: Cbor) -> Cbor {
    Cbor::Tag(1, Box::new(inner))
}

/// The member `key` of the CBOR map `map`.
fn get<'a>(map: &'a Cbor, key: &str) -> &'a Cbor {
    let entries = map.as_map().expect("a map");
    let found = entries.iter().find(|(k, _)| k.as_text() == Some(key));
    &found.unwrap_or_else(|| panic!("no {key} in {map:?}")).1
}

/// A request as aws-sdk-cloudwatch sends DescribeAlarms (src/operation/describe_alarms.rs).
fn cbor_request(body: &Cbor) -> Request {
    let mut bytes = Vec::new();
    ciborium::into_writer(body, &mut bytes).expect("encodes");
    let auth = "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/monitoring/aws4_request";
    let headers = [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("Accept", "application/cbor"),
        ("x-amzn-query-mode", "true"),
        ("Authorization", auth),
    ];
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    headers.push(("Content-Length".into(), bytes.len().to_string()));
    Request {
        method: "POST".into(),
        target: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms".into(),
        headers,
        body: bytes,
    }
}

fn moto_reply(status: &str, headers: &str, body: &str) -> Vec<u8> {
    let length = body.len();
    format!("HTTP/1.1 {status}\r\n{headers}content-length: {length}\r\n\r\n{body}").into_bytes()
}

/// The answer split, and its body decoded.
fn decoded(reply: &[u8]) -> (Reply<'_>, Cbor) {
    let parsed = Reply::parse(reply).expect("an HTTP answer");
    let body = ciborium::from_reader(parsed.body).expect("a CBOR body");
    (parsed, body)
}

#[test]
fn a_cbor_request_becomes_the_same_call_in_json_1_0() {
    let body = Cbor::Map(vec![
        (text("AlarmNames"), Cbor::Array(vec![text("a")])),
        (text("Threshold"), Cbor::Float(80.0)),
        (text("StartDate"), tagged(Cbor::Float(1_700_000_000.5))),
    ]);
    let req = cbor_request(&body);
    assert!(is_cbor(&req));
    let json = to_json_request(&req);
    assert_eq!(json.method, "POST");
    assert_eq!(json.target, "/");
    let target = json.header("x-amz-target");
    assert_eq!(target, Some("GraniteServiceVersion20100801.DescribeAlarms"));
    assert_eq!(
        json.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
    let types = json
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    assert_eq!(types.count(), 1);
    assert_eq!(json.header("smithy-protocol"), None);
    assert_eq!(json.header("accept"), None);
    assert_eq!(json.header("x-amzn-query-mode"), Some("true"));
    assert!(json.header("authorization").is_some());
    let length = json.body.len().to_string();
    assert_eq!(json.header("content-length"), Some(length.as_str()));
    let sent: Json = serde_json::from_slice(&json.body).expect("a JSON body");
    let expected = serde_json::json!({
        "AlarmNames": ["a"],
        "Threshold": 80.0,
        "StartDate": 1_700_000_000.5,
    });
    assert_eq!(sent, expected);
    assert!(sent["Threshold"].is_f64());
}

#[test]
fn only_rpc_v2_cbor_requests_are_translated() {
    let mut req = cbor_request(&Cbor::Map(vec![]));
    req.headers.retain(|(n, _)| n != "smithy-protocol");
    assert!(!is_cbor(&req));
    let mut req = cbor_request(&Cbor::Map(vec![]));
    req.target = "/".into();
    assert!(!is_cbor(&req));
    assert_eq!(to_json_request(&req).body, req.body);
    let mut req = cbor_request(&Cbor::Map(vec![]));
    req.body.clear();
    assert_eq!(to_json_request(&req).body, b"{}");
}

#[test]
fn byte_strings_become_base64() {
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b"hi"), "aGk=");
    assert_eq!(base64(b"abc"), "YWJj");
    assert_eq!(to_json(&Cbor::Bytes(b"hi".to_vec())), Json::from("aGk="));
}

#[test]
fn a_json_answer_becomes_cbor_with_tagged_timestamps() {
    let body = r#"{"CompositeAlarms": [], "MetricAlarms": [{"AlarmName": "a",
        "StateUpdatedTimestamp": 1700000000.5, "AlarmConfigurationUpdatedTimestamp": 1700000000,
        "Threshold": 80, "Period": 60, "ActionsEnabled": true}],
        "Values": [1, 2.5], "Timestamps": [1700000000]}"#;
    let headers = "Content-Type: text\r\nx-amzn-requestid: r1\r\n";
    let reply = to_cbor_reply(&moto_reply("200 OK", headers, body));
    let (parsed, cbor) = decoded(&reply);
    assert_eq!(parsed.status_line, "HTTP/1.1 200 OK");
    assert_eq!(parsed.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(parsed.header("content-type"), Some("application/cbor"));
    assert_eq!(parsed.headers.len(), 4, "{:?}", parsed.headers);
    assert_eq!(parsed.header("x-amzn-requestid"), Some("r1"));
    let length = parsed.body.len().to_string();
    assert_eq!(parsed.header("content-length"), Some(length.as_str()));
    let alarm = &get(&cbor, "MetricAlarms").as_array().expect("a list")[0];
    let updated = get(alarm, "StateUpdatedTimestamp");
    assert_eq!(updated, &tagged(Cbor::Float(1_700_000_000.5)));
    let configured = get(alarm, "AlarmConfigurationUpdatedTimestamp");
    assert_eq!(configured, &tagged(Cbor::Integer(1_700_000_000_i64.into())));
    assert_eq!(get(alarm, "Threshold"), &Cbor::Float(80.0));
    assert_eq!(get(alarm, "Period"), &Cbor::Integer(60_i64.into()));
    assert_eq!(get(alarm, "ActionsEnabled"), &Cbor::Bool(true));
    assert_eq!(get(alarm, "AlarmName"), &text("a"));
    let values = Cbor::Array(vec![Cbor::Float(1.0), Cbor::Float(2.5)]);
    assert_eq!(get(&cbor, "Values"), &values);
    let timestamps = Cbor::Array(vec![tagged(Cbor::Integer(1_700_000_000_i64.into()))]);
    assert_eq!(get(&cbor, "Timestamps"), &timestamps);
    assert_eq!(get(&cbor, "CompositeAlarms"), &Cbor::Array(vec![]));
}

/// What the generated `de_metric_alarm` does: `Decoder::timestamp`, `double`, `integer`.
#[test]
fn the_sdk_decoder_reads_the_answer() {
    let body = r#"{"StateUpdatedTimestamp": 1700000000.5, "Threshold": 80, "Period": 60}"#;
    let reply = to_cbor_reply(&moto_reply("200 OK", "", body));
    let parsed = Reply::parse(&reply).expect("an HTTP answer");
    let mut decoder = aws_smithy_cbor::Decoder::new(parsed.body);
    let count = decoder.map().expect("a map").expect("a definite map");
    assert_eq!(count, 3);
    for _ in 0..count {
        let key = decoder.str().expect("a key").to_string();
        match key.as_str() {
            "StateUpdatedTimestamp" => {
                let at = decoder.timestamp().expect("tag 1");
                assert_eq!((at.secs(), at.subsec_nanos()), (1_700_000_000, 500_000_000));
            }
            "Threshold" => assert_eq!(decoder.double().expect("a double"), 80.0),
            "Period" => assert_eq!(decoder.integer().expect("an integer"), 60),
            other => panic!("unexpected member {other}"),
        }
    }
    assert_eq!(decoder.position(), parsed.body.len());
}

/// Why doubles and timestamps are special-cased: the SDK's decoder is strict.
#[test]
fn the_sdk_decoder_takes_no_integer_for_a_double_nor_an_untagged_timestamp() {
    let mut bytes = Vec::new();
    ciborium::into_writer(&Cbor::Integer(80_i64.into()), &mut bytes).expect("encodes");
    assert!(aws_smithy_cbor::Decoder::new(&bytes).double().is_err());
    assert!(aws_smithy_cbor::Decoder::new(&bytes).timestamp().is_err());
}

/// moto 5.2's answer to GetDashboard for a dashboard that is not there.
#[test]
fn a_json_error_becomes_a_cbor_error() {
    let body = r#"{"__type": "GraniteServiceVersion20100801#ResourceNotFound",
        "message": "Dashboard does not exist", "Message": "Dashboard does not exist"}"#;
    let headers = "X-Amzn-Errortype: GraniteServiceVersion20100801#ResourceNotFound\r\n\
        x-amzn-query-error: ResourceNotFound;Sender\r\nx-amzn-requestid: r2\r\n";
    let reply = to_cbor_reply(&moto_reply("404 NOT FOUND", headers, body));
    let (parsed, cbor) = decoded(&reply);
    assert_eq!(parsed.status, 404);
    assert_eq!(parsed.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert_eq!(
        parsed.header("x-amzn-query-error"),
        Some("ResourceNotFound;Sender")
    );
    assert_eq!(parsed.header("x-amzn-requestid"), Some("r2"));
    assert_eq!(parsed.header("x-amzn-errortype"), None);
    let expected = Cbor::Map(vec![
        (
            text("__type"),
            text("GraniteServiceVersion20100801#ResourceNotFound"),
        ),
        (text("message"), text("Dashboard does not exist")),
    ]);
    assert_eq!(cbor, expected);
}

#[test]
fn an_error_code_may_come_from_the_header_or_xml() {
    let headers = "x-amzn-errortype: ValidationError\r\n";
    let reply = to_cbor_reply(&moto_reply(
        "400 Bad Request",
        headers,
        r#"{"Message": "bad"}"#,
    ));
    let (parsed, cbor) = decoded(&reply);
    assert_eq!(parsed.status, 400);
    assert_eq!(get(&cbor, "__type"), &text("ValidationError"));
    assert_eq!(get(&cbor, "message"), &text("bad"));
    let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
        <Message>Rate exceeded</Message></Error></ErrorResponse>";
    let (_, cbor) = decoded(&to_cbor_reply(&moto_reply("400 Injected", "", xml)));
    assert_eq!(get(&cbor, "__type"), &text("Throttling"));
    assert_eq!(get(&cbor, "message"), &text("Rate exceeded"));
}

#[test]
fn an_answer_that_is_not_json_becomes_a_500() {
    let reply = to_cbor_reply(&moto_reply("200 OK", "", "<html>"));
    let (parsed, cbor) = decoded(&reply);
    assert_eq!(parsed.status, 500);
    assert_eq!(get(&cbor, "__type"), &text("InternalFailure"));
    // Not an HTTP answer at all: given back unchanged.
    assert_eq!(to_cbor_reply(b"garbage"), b"garbage");
}
