//! CloudWatch between two protocols: aws-sdk-cloudwatch 1.140 speaks only Smithy RPC v2 CBOR,
//! moto only CloudWatch's AWS JSON 1.0 (getmoto/moto#9195: no RPC v2 CBOR support, none
//! planned). This module owns the translation: an rpcv2Cbor request into the same call in
//! AWS JSON 1.0, and moto's JSON answer (success or error) back into the rpcv2Cbor answer the
//! SDK decodes. Sources: the Smithy RPC v2 CBOR protocol spec
//! (smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html), and the SDK's generated code:
//! `src/operation/*.rs` (request path and headers), `src/protocol_serde/shape_*.rs` (response
//! decoders), `src/cbor_errors.rs` and `src/protocol_serde.rs` (error code and message).

use ciborium::value::Value as Cbor;
use serde_json::{Map, Number, Value as Json};

use super::http::Request;

/// CBOR tag 1, epoch seconds (RFC 8949 §3.4.2): the only form `Decoder::timestamp` accepts.
const EPOCH_SECONDS: u64 = 1;

const JSON_TYPE: &str = "application/x-amz-json-1.0";

/// Output members the SDK reads with `Decoder::timestamp` (every `decoder.timestamp()` in
/// aws-sdk-cloudwatch-1.140.0/src/protocol_serde/; `Timestamps` is a list of them). moto sends
/// epoch seconds, an integer when there are no milliseconds.
const TIMESTAMP_KEYS: &str = "AlarmConfigurationUpdatedTimestamp CreatedAt CreationDate EndTime \
    ExpireDate LastModified LastUpdateDate LastUpdatedTimestamp StartDate StartTime \
    StateTransitionedTimestamp StateUpdatedTimestamp Timestamp Timestamps UpdatedAt";

/// Output members read with `Decoder::double` (minicbor's `f64`: a CBOR float or an error, never
/// an integer); `Values` is a list of doubles, `ExtendedStatistics` a map of them.
const DOUBLE_KEYS: &str = "AggregateValue ApproximateAggregateValue ApproximateValue Average \
    ExtendedStatistics MaxContributorValue Maximum Minimum SampleCount Sum Threshold \
    UniqueContributors Values";

/// Output members read with `Decoder::integer` or `long` (a CBOR integer or an error).
const INTEGER_KEYS: &str = "ActionLogLineCount ActionsSuppressorExtensionPeriod \
    ActionsSuppressorWaitPeriod ApproximateUniqueCount DatapointsToAlarm EndTimeOffset \
    EvaluationInterval EvaluationPeriods PendingPeriod Period QueryResultsToAlarm \
    QueryResultsToEvaluate RecoveryPeriod Size StartTimeOffset WarmUpPeriodDurationInMinutes";

/// Where the error message may be in moto's JSON; `cbor_errors.rs` reads the same three.
const MESSAGE_KEYS: [&str; 3] = ["message", "Message", "errorMessage"];

/// moto's headers that go back to the SDK: the request id, and the awsQueryCompatible error
/// code (`code;Sender`), which the SDK puts before `__type` (`parse_http_error_metadata`).
const KEPT_HEADERS: [&str; 2] = ["x-amzn-requestid", "x-amzn-query-error"];

/// How the SDK decodes a number, where the CBOR type matters.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Timestamp,
    Double,
    Integer,
}

fn kind_of(key: &str) -> Kind {
    let listed = |keys: &str| keys.split_whitespace().any(|k| k == key);
    if listed(TIMESTAMP_KEYS) {
        Kind::Timestamp
    } else if listed(DOUBLE_KEYS) {
        Kind::Double
    } else if listed(INTEGER_KEYS) {
        Kind::Integer
    } else {
        Kind::Plain
    }
}

/// Whether `req` is an RPC v2 CBOR request (header `smithy-protocol: rpc-v2-cbor`, path
/// `/service/<Service>/operation/<Op>`).
pub fn is_cbor(req: &Request) -> bool {
    let protocol = req.header("smithy-protocol").unwrap_or_default();
    protocol.eq_ignore_ascii_case("rpc-v2-cbor") && route(&req.target).is_some()
}

/// (path before `/service/`, service, operation) of an rpcv2Cbor path; the SDK writes
/// `/service/GraniteServiceVersion20100801/operation/<Op>` (src/operation/*.rs, `uri_base`).
fn route(target: &str) -> Option<(&str, &str, &str)> {
    let path = target.split('?').next().unwrap_or(target);
    let at = path.rfind("/service/")?;
    let (service, operation) = path[at + "/service/".len()..].split_once("/operation/")?;
    let name = |s: &str| !s.is_empty() && !s.contains('/');
    (name(service) && name(operation)).then_some((&path[..at], service, operation))
}

/// The same call in AWS JSON 1.0: path `/`, `x-amz-target: <Service>.<Op>`, content-type
/// `application/x-amz-json-1.0`, the body as JSON (`{}` for an empty one); every other header
/// kept but content-type, content-length (set anew), smithy-protocol and accept. A request that
/// is not rpcv2Cbor comes back unchanged; a body that is not CBOR goes on as it is, for moto to
/// reject.
pub fn to_json_request(req: &Request) -> Request {
    let Some((prefix, service, operation)) = route(&req.target) else {
        return req.clone();
    };
    let body = if req.body.is_empty() {
        b"{}".to_vec()
    } else {
        match ciborium::from_reader::<Cbor, _>(req.body.as_slice()) {
            Ok(value) => to_json(&value).to_string().into_bytes(),
            Err(_) => req.body.clone(),
        }
    };
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.to_ascii_lowercase().as_str(),
                "content-type" | "content-length" | "smithy-protocol" | "accept" | "x-amz-target"
            )
        })
        .cloned()
        .collect();
    headers.push(("x-amz-target".into(), format!("{service}.{operation}")));
    headers.push(("content-type".into(), JSON_TYPE.into()));
    headers.push(("content-length".into(), body.len().to_string()));
    Request {
        method: req.method.clone(),
        target: format!("{prefix}/"),
        headers,
        body,
    }
}

/// A CBOR value as AWS JSON: tag 1 (and any other tag) gives its bare number, byte strings
/// become base64, non-finite floats the strings `NaN`, `Infinity`, `-Infinity`.
fn to_json(value: &Cbor) -> Json {
    match value {
        Cbor::Null => Json::Null,
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Integer(i) => {
            let n = i128::from(*i);
            match (i64::try_from(n), u64::try_from(n)) {
                (Ok(n), _) => Json::from(n),
                (_, Ok(n)) => Json::from(n),
                _ => float_json(n as f64),
            }
        }
        Cbor::Float(f) => float_json(*f),
        Cbor::Text(s) => Json::String(s.clone()),
        Cbor::Bytes(bytes) => Json::String(base64(bytes)),
        Cbor::Tag(_, inner) => to_json(inner),
        Cbor::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_text()?.to_string(), to_json(v))))
                .collect(),
        ),
        _ => Json::Null,
    }
}

fn float_json(f: f64) -> Json {
    match Number::from_f64(f) {
        Some(n) => Json::Number(n),
        None if f.is_nan() => Json::from("NaN"),
        None if f > 0.0 => Json::from("Infinity"),
        None => Json::from("-Infinity"),
    }
}

/// Standard base64 with padding (blob members; none in the alarm operations).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// moto's whole HTTP answer (status line, headers, body) to a JSON 1.0 request, as the rpcv2Cbor
/// answer: same status; `smithy-protocol: rpc-v2-cbor`, `content-type: application/cbor`, the
/// request id and `x-amzn-query-error` if moto gave them, a new content-length; the body in
/// CBOR, with timestamps as tag 1. Any status but 2xx is an error to the SDK
/// (`!success && status != 200`): a map of `__type` and `message` plus the error's other
/// members. Not an HTTP answer: given back unchanged; a 2xx that is not JSON: a 500.
/// Not translated: blob members (`MetricWidgetImage` stays a base64 text).
pub fn to_cbor_reply(reply: &[u8]) -> Vec<u8> {
    let Some(parsed) = Reply::parse(reply) else {
        return reply.to_vec();
    };
    let json = parse_json(parsed.body);
    let body = if (200..300).contains(&parsed.status) {
        match json {
            Some(json) => to_cbor(&json, Kind::Plain),
            None => return internal_error("moto's answer is not JSON"),
        }
    } else {
        error_body(json.as_ref(), &parsed)
    };
    let kept: Vec<(&str, &str)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| Some((*name, parsed.header(name)?)))
        .collect();
    match encode(&body) {
        Some(bytes) => assemble(parsed.status_line, &kept, &bytes),
        None => reply.to_vec(),
    }
}

/// One HTTP answer, split.
struct Reply<'a> {
    status_line: &'a str,
    status: u16,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

impl<'a> Reply<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Reply<'a>> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = std::str::from_utf8(&bytes[..end]).ok()?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next()?;
        let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim(), v.trim()))
            .collect();
        Some(Reply {
            status_line,
            status,
            headers,
            body: &bytes[end + 4..],
        })
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// The body as JSON; an empty body is `{}`; `None` if it is not JSON.
fn parse_json(body: &[u8]) -> Option<Json> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Json::Object(Map::new()));
    }
    serde_json::from_slice(body).ok()
}

/// A JSON value as CBOR for the SDK's decoders: numbers as `kind` (or the member's own kind)
/// wants them.
fn to_cbor(value: &Json, kind: Kind) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => number(n, kind),
        Json::String(s) => match (kind, s.as_str()) {
            (Kind::Double, "NaN") => Cbor::Float(f64::NAN),
            (Kind::Double, "Infinity") => Cbor::Float(f64::INFINITY),
            (Kind::Double, "-Infinity") => Cbor::Float(f64::NEG_INFINITY),
            _ => Cbor::Text(s.clone()),
        },
        Json::Array(items) => Cbor::Array(items.iter().map(|v| to_cbor(v, kind)).collect()),
        Json::Object(map) => Cbor::Map(
            map.iter()
                .map(|(k, v)| {
                    // The member's own kind, else the enclosing one (a map of doubles).
                    let child = match kind_of(k) {
                        Kind::Plain => kind,
                        own => own,
                    };
                    (Cbor::Text(k.clone()), to_cbor(v, child))
                })
                .collect(),
        ),
    }
}

fn number(n: &Number, kind: Kind) -> Cbor {
    let float = n.as_f64().unwrap_or(f64::NAN);
    let plain = match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => Cbor::Integer(i.into()),
        (_, Some(u)) => Cbor::Integer(u.into()),
        _ => Cbor::Float(float),
    };
    match (kind, plain) {
        (Kind::Timestamp, plain) => Cbor::Tag(EPOCH_SECONDS, Box::new(plain)),
        (Kind::Double, _) => Cbor::Float(float),
        (Kind::Integer, Cbor::Float(f)) if f.fract() == 0.0 => Cbor::Integer((f as i64).into()),
        (_, plain) => plain,
    }
}

/// The error map: `__type` from moto's `__type`, else its `x-amzn-errortype` header, else an
/// XML `<Code>` (the proxy's injected faults); the message from `message`, `Message` or
/// `errorMessage`, else an XML `<Message>`, else the text of a body that is not JSON. The SDK
/// strips a `namespace#` prefix itself (`sanitize_error_code` in cbor_errors.rs).
fn error_body(json: Option<&Json>, reply: &Reply<'_>) -> Cbor {
    let object = json.and_then(Json::as_object);
    let raw = String::from_utf8_lossy(reply.body);
    let code = field(object, &["__type"])
        .or_else(|| reply.header("x-amzn-errortype").map(str::to_string))
        .or_else(|| xml_field(&raw, "Code"))
        .unwrap_or_else(|| "UnknownError".to_string());
    let message = field(object, &MESSAGE_KEYS)
        .or_else(|| xml_field(&raw, "Message"))
        .or_else(|| json.is_none().then(|| raw.trim().to_string()))
        .filter(|m| !m.is_empty());
    let mut entries = vec![text_pair("__type", &code)];
    if let Some(message) = message {
        entries.push(text_pair("message", &message));
    }
    for (key, value) in object.into_iter().flatten() {
        if key != "__type" && !MESSAGE_KEYS.contains(&key.as_str()) {
            entries.push((Cbor::Text(key.clone()), to_cbor(value, kind_of(key))));
        }
    }
    Cbor::Map(entries)
}

/// The first of `keys` in `object` that holds a string.
fn field(object: Option<&Map<String, Json>>, keys: &[&str]) -> Option<String> {
    let object = object?;
    keys.iter()
        .find_map(|k| object.get(*k)?.as_str())
        .map(str::to_string)
}

fn xml_field(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&format!("</{tag}>"))?;
    Some(text[start..start + len].to_string())
}

fn text_pair(key: &str, value: &str) -> (Cbor, Cbor) {
    (Cbor::Text(key.to_string()), Cbor::Text(value.to_string()))
}

fn encode(value: &Cbor) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).ok()?;
    Some(out)
}

fn internal_error(message: &str) -> Vec<u8> {
    let body = Cbor::Map(vec![
        text_pair("__type", "InternalFailure"),
        text_pair("message", message),
    ]);
    let bytes = encode(&body).unwrap_or_default();
    assemble("HTTP/1.1 500 Internal Server Error", &[], &bytes)
}

fn assemble(status_line: &str, kept: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "{status_line}\r\nsmithy-protocol: rpc-v2-cbor\r\ncontent-type: application/cbor\r\n"
    );
    for (name, value) in kept {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Tests in cbor/tests.rs (this file is near its 400 lines).
#[cfg(test)]
mod tests;
