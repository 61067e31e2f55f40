//! The wire, for the proxy and the rules alike: which service and action a request is,
//! answers in each service's own format (JSON for ECS, Logs, Application Auto Scaling, the
//! Resource Groups Tagging API and CloudWatch, whose CBOR the proxy translates in `cbor.rs`;
//! query XML for EC2, IAM, ELBv2 and CloudFormation), and the parts of an HTTP answer moto gave.

use serde_json::Value;

use super::super::http::Request;

/// (service, action): the service from the SigV4 credential scope, the action from
/// `X-Amz-Target` (JSON protocols) or the form's `Action=` (query protocols).
pub fn identify(req: &Request) -> (String, String) {
    let service = req
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    if req.target.starts_with("/2015-03-31/functions/") {
        return (service, "Invoke".to_string());
    }
    let action = match req.header("x-amz-target") {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
        None => String::from_utf8_lossy(&req.body)
            .split('&')
            .find_map(|kv| kv.strip_prefix("Action="))
            .unwrap_or("unknown")
            .to_string(),
    };
    (service, action)
}

/// Whether `service` speaks a JSON protocol (else query XML). CloudWatch's SDK speaks CBOR,
/// which the proxy translates to and from JSON 1.0.
pub fn json(service: &str) -> bool {
    matches!(
        service,
        "ecs" | "logs" | "application-autoscaling" | "monitoring" | "tagging"
    )
}

/// The content type of `service`'s JSON: 1.0 for CloudWatch, 1.1 for the others.
fn json_type(service: &str) -> &'static str {
    match service {
        "monitoring" => "application/x-amz-json-1.0",
        _ => "application/x-amz-json-1.1",
    }
}

/// An error answer: HTTP `status` with `code` and `message` as `service` puts them.
pub fn error(service: &str, status: u16, code: &str, message: &str) -> Vec<u8> {
    let (content_type, body, extra) = if json(service) {
        let body = serde_json::json!({"__type": code, "message": message}).to_string();
        let extra = format!("x-amzn-errortype: {code}\r\n");
        (json_type(service), body, extra)
    } else if service == "ec2" {
        let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{}</Message></Error></Errors><RequestID>injected</RequestID></Response>", escape(message));
        ("text/xml", body, String::new())
    } else {
        let body = format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>injected</RequestId></ErrorResponse>", escape(message));
        ("text/xml", body, String::new())
    };
    format!("HTTP/1.1 {status} Injected\r\ncontent-type: {content_type}\r\n{extra}x-amzn-requestid: injected\r\ncontent-length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// HTTP 200 with `body` (JSON or XML as `service` speaks).
pub fn answer(service: &str, body: &str) -> Vec<u8> {
    let kind = if json(service) {
        json_type(service)
    } else {
        "text/xml"
    };
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\nx-amzn-requestid: rules\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// XML text escaping (ARNs and messages carry no markup, but quotes and ampersands may occur).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// (status, head, body) of a whole HTTP answer.
fn parts(reply: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = &reply[..split];
    let status = String::from_utf8_lossy(head)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())?;
    Some((status, head, &reply[split + 4..]))
}

/// The body of a successful (200) answer, as text.
pub fn ok_body(reply: &[u8]) -> Option<String> {
    let (status, _, body) = parts(reply)?;
    (status == 200).then(|| String::from_utf8_lossy(body).to_string())
}

/// The JSON body of a successful (200) answer.
pub fn ok_json(reply: &[u8]) -> Option<Value> {
    serde_json::from_str(&ok_body(reply)?).ok()
}

/// The same answer with another body (content-length follows).
pub fn with_body(reply: &[u8], body: &str) -> Vec<u8> {
    let Some((_, head, _)) = parts(reply) else {
        return reply.to_vec();
    };
    let head: String = String::from_utf8_lossy(head)
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    format!("{head}content-length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// The text of the first `<tag>` element of an XML document.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

/// The last part of an ARN or a name (`cluster/x` → `x`); ECS takes either.
pub fn short(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
}

/// A JSON string as text ("" if it is none).
pub fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The subnets and security groups of a CreateService's or UpdateService's
/// `awsvpcConfiguration`.
pub fn awsvpc(body: &Value) -> (Vec<String>, Vec<String>) {
    let vpc = &body["networkConfiguration"]["awsvpcConfiguration"];
    let list = |v: &Value| v.as_array().into_iter().flatten().map(text).collect();
    (list(&vpc["subnets"]), list(&vpc["securityGroups"]))
}
