//! Delivering a response: which ResponseURLs may be used, and the PUT with bounded retries.

use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};

use super::{Envelope, Response};

/// Connecting to the ResponseURL's host.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One PUT attempt, start to finish.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// PUT attempts for connection errors and 5xx answers.
pub const MAX_ATTEMPTS: u32 = 6;
/// First backoff; doubled on each retry, with jitter.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// The name of CloudFormation's response bucket in a region, before the region without dashes.
const RESPONSE_BUCKET: &str = "cloudformation-custom-resource-response-";

/// Set to `true` to also allow `http` ResponseURLs on loopback (local runs and tests).
pub const ALLOW_LOCAL_ENV: &str = "PROD_E_ALLOW_LOCAL_RESPONSE_URL";

/// PUTs responses to presigned URLs.
#[derive(Debug, Clone)]
pub struct Responder {
    http: reqwest::Client,
    allow_local: bool,
}

impl Responder {
    /// A responder; `allow_local` admits loopback `http://` ResponseURLs (the emulator's presigned
    /// S3). Errors: the HTTP client could not be built.
    pub fn new(allow_local: bool) -> Result<Self, String> {
        Self::with_timeouts(allow_local, CONNECT_TIMEOUT, ATTEMPT_TIMEOUT)
    }

    /// With other timeouts (tests use short ones to exercise a hanging ResponseURL).
    pub fn with_timeouts(
        allow_local: bool,
        connect: Duration,
        attempt: Duration,
    ) -> Result<Self, String> {
        let http = crate::aws::http_client_builder()
            // A presigned S3 URL answers itself; a redirect would be someone else's.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(connect)
            .timeout(attempt)
            .no_proxy()
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        Ok(Responder { http, allow_local })
    }

    /// Reads [`ALLOW_LOCAL_ENV`] from the environment.
    pub fn from_env() -> Result<Self, String> {
        Self::new(std::env::var(ALLOW_LOCAL_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("true")))
    }

    /// Whether `e`'s ResponseURL may be answered: CloudFormation's own, `https` on port 443 of
    /// its response bucket for the stack's region, `cloudformation-custom-resource-response-`
    /// and the region without dashes (CloudFormation User Guide, "AWS CloudFormation and
    /// interface VPC endpoints": "When using custom resources, AWS Region names don't contain
    /// dashes"), on an S3 host, with a key that begins with the event's own stack ARN, logical
    /// id and request id, separated by `|` (the form every CloudFormation ResponseURL has). Or,
    /// when allowed, `http` on loopback. Anything else names the reason.
    pub fn check(&self, e: &Envelope) -> Result<(), String> {
        let refused = |why: &str| {
            let url = redact(&e.response_url);
            Err(format!(
                "ResponseURL {url} {why}; refusing to send anything to it"
            ))
        };
        let Ok(parsed) = reqwest::Url::parse(&e.response_url) else {
            return refused("is not a URL");
        };
        let host = parsed
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        if self.allow_local && matches!(parsed.scheme(), "http" | "https") && is_loopback(&host) {
            return Ok(());
        }
        if parsed.scheme() != "https" || !is_s3_host(&host) || parsed.port().is_some() {
            return refused("is not an https S3 URL");
        }
        let region = e
            .stack_id
            .split(':')
            .nth(3)
            .unwrap_or_default()
            .replace('-', "");
        if !host.starts_with(&format!("{RESPONSE_BUCKET}{region}.")) {
            return refused("is not on CloudFormation's response bucket for the stack's region");
        }
        let key = percent_encoding::percent_decode_str(parsed.path()).decode_utf8_lossy();
        let own = format!("/{}|{}|{}", e.stack_id, e.logical_id, e.request_id);
        match key.starts_with(&own) {
            true => Ok(()),
            false => refused("is not for this event's stack, logical id and request id"),
        }
    }

    /// PUTs `body` to `url` exactly as received, with an empty Content-Type. Retries
    /// connection errors and 5xx with jittered backoff; any other non-2xx is final.
    pub async fn send(&self, url: &str, response: &Response, body: Vec<u8>) -> Result<(), String> {
        let target = redact(url);
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=MAX_ATTEMPTS {
            let sent = self
                .http
                .put(url)
                .header(CONTENT_TYPE, HeaderValue::from_static(""))
                .header(CONTENT_LENGTH, body.len())
                .body(body.clone())
                .send()
                .await;
            let retryable = match sent {
                Ok(r) if r.status().is_success() => {
                    let status = response.status;
                    tracing::info!(?status, url = %target, attempt, "response delivered");
                    return Ok(());
                }
                Ok(r) if r.status().is_server_error() => format!("HTTP {}", r.status()),
                Ok(r) => return Err(format!("PUT to {target} answered HTTP {}", r.status())),
                Err(e) => format!("{}", without_url(e)),
            };
            tracing::warn!(url = %target, attempt, error = %retryable, "response delivery failed");
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(jitter(backoff)).await;
                backoff *= 2;
            }
        }
        Err(format!("PUT to {target} failed {MAX_ATTEMPTS} times"))
    }
}

/// The URL without its query (the signature) — the only form that may be logged.
pub fn redact(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_string()
}

fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

fn is_s3_host(host: &str) -> bool {
    let Some(rest) = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    rest.split('.')
        .any(|label| label == "s3" || label.starts_with("s3-"))
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Between half and all of `d`, from the clock's low bits (no RNG needed for spreading retries).
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    d / 2 + d.mul_f64(f64::from(nanos % 1000) / 2000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/web/1a2b";

    fn to(url: &str) -> Envelope {
        Envelope {
            response_url: url.into(),
            stack_id: STACK.into(),
            request_id: "r-1".into(),
            logical_id: "Service".into(),
            physical_id: None,
        }
    }

    #[test]
    fn only_cloudformations_bucket_and_this_events_key_unless_local_allowed() {
        let strict = Responder::new(false).unwrap();
        let local = Responder::new(true).unwrap();
        let key = "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/web/1a2b\
                   %7CService%7Cr-1?X-Amz-Signature=s";
        let name = "cloudformation-custom-resource-response-";
        let bucket = format!("https://{name}useast1");
        let hosts = [".s3.amazonaws.com", ".s3.us-east-1.amazonaws.com"];
        for host in hosts.into_iter().chain([".s3-external-1.amazonaws.com"]) {
            let ok = format!("{bucket}{host}/{key}");
            assert_eq!(strict.check(&to(&ok)), Ok(()), "{ok}");
        }
        let other = "arn%3Aaws%3Acloudformation%3Aus-east-1%3A1%3Astack/other/9%7CService%7Cr-1";
        for bad in [
            format!("http://{name}useast1.s3.amazonaws.com/{key}"),
            format!("{bucket}.s3.amazonaws.com:8443/{key}"),
            format!("https://attacker-bucket.s3.amazonaws.com/{key}"),
            format!("https://{name}euwest1.s3.amazonaws.com/{key}"),
            format!("{bucket}.s3.amazonaws.com/{other}"),
            format!("{bucket}.s3.amazonaws.com.evil.com/{key}"),
            "https://example.com/a".into(),
            "http://127.0.0.1:9000/b/k".into(),
            "not a url".into(),
            "file:///etc/passwd".into(),
        ] {
            assert!(strict.check(&to(&bad)).is_err(), "{bad}");
        }
        assert!(local.check(&to("http://127.0.0.1:9000/b/k")).is_ok());
        assert!(local.check(&to("http://[::1]:9000/b/k")).is_ok());
        assert!(local.check(&to("http://10.0.0.1:9000/b/k")).is_err());
    }

    #[test]
    fn redaction_drops_the_signature() {
        assert_eq!(
            redact("https://h/p%3Aa?X-Amz-Signature=abc"),
            "https://h/p%3Aa"
        );
    }

    #[test]
    fn the_sample_events_name_cloudformations_own_response_urls() {
        let strict = Responder::new(false).unwrap();
        for sample in [
            include_str!("../../events/create.json"),
            include_str!("../../events/update.json"),
            include_str!("../../events/replace.json"),
            include_str!("../../events/delete.json"),
            include_str!("../../events/delete-replaced.json"),
        ] {
            let event: serde_json::Value = serde_json::from_str(sample).unwrap();
            let envelope = Envelope::read(&event).unwrap();
            assert_eq!(strict.check(&envelope), Ok(()), "{sample}");
        }
    }
}
