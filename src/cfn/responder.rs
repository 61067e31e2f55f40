//! Delivering a response: which ResponseURLs may be used, and the PUT with bounded retries.

use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};

use super::Response;

/// Connecting to the ResponseURL's host.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// One PUT attempt, start to finish.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// PUT attempts for connection errors and 5xx answers.
pub const MAX_ATTEMPTS: u32 = 6;
/// First backoff; doubled on each retry, with jitter.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(250);

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

    /// Only `https` URLs on S3 hosts, plus `http` on loopback when allowed.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| format!("ResponseURL is not a URL: {e}"))?;
        let host = parsed
            .host_str()
            .unwrap_or_default()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let s3 = parsed.scheme() == "https" && is_s3_host(&host);
        let local =
            self.allow_local && matches!(parsed.scheme(), "http" | "https") && is_loopback(&host);
        if s3 || local {
            Ok(())
        } else {
            Err(format!(
                "ResponseURL {} is not an https S3 URL; refusing to send anything to it",
                redact(url)
            ))
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

    #[test]
    fn only_s3_https_unless_local_allowed() {
        let strict = Responder::new(false).unwrap();
        let local = Responder::new(true).unwrap();
        for ok in [
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/a?b=c",
            "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/a",
            "https://bucket.s3.eu-central-1.amazonaws.com/a",
            "https://x.s3.cn-north-1.amazonaws.com.cn/a",
        ] {
            assert!(strict.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://x.s3.amazonaws.com/a",
            "https://s3.amazonaws.com.evil.com/a",
            "https://example.com/a",
            "http://127.0.0.1:9000/b/k",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(strict.check(bad).is_err(), "{bad}");
        }
        assert!(local.check("http://127.0.0.1:9000/b/k").is_ok());
        assert!(local.check("http://[::1]:9000/b/k").is_ok());
        assert!(local.check("http://10.0.0.1:9000/b/k").is_err());
    }

    #[test]
    fn redaction_drops_the_signature() {
        assert_eq!(
            redact("https://h/p%3Aa?X-Amz-Signature=abc"),
            "https://h/p%3Aa"
        );
    }
}
