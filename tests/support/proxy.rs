//! A fault-injecting loopback proxy between the AWS SDK and moto: it can add latency, and per
//! AWS action answer throttling, 5xx or any named error in the service's own wire format (JSON
//! for ECS and Logs, query XML for EC2, IAM and ELBv2), reset the connection, hang, count
//! calls, and kill a process right after the k-th call reached moto. It also plays ECS
//! rollouts, which moto does not ([`super::rollout`]). With `PROD_E_CALL_LOG` set (as
//! `make test` does) every proxy also reads the ownership tag of the resource each call acts
//! on ([`super::ownership`]) and appends every call to that file, for `examples/policy.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::http::{read_request, Request};
use super::rollout::Rollouts;

/// What to do instead of (or besides) forwarding a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Throttling in the service's words (SDK: retryable).
    Throttle,
    /// HTTP 500 (SDK: retryable).
    ServerError,
    /// A service error with this HTTP status, code and message.
    Error {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    /// HTTP 200 with this body instead of moto's answer (e.g. what AWS shows and moto cannot).
    Answer(&'static str),
    /// Close the connection without answering.
    Reset,
    /// Never answer.
    Hang,
}

/// One call as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub service: String,
    pub action: String,
    /// When the call arrived and when it was answered (after any latency).
    pub arrived: std::time::Instant,
    pub answered: Option<std::time::Instant>,
    /// The request path and query.
    pub target: String,
    /// The request body (JSON or form), for checks on what was asked.
    pub body: String,
    pub faulted: bool,
    /// What the [`Probe`], if one is set, saw before the call was forwarded.
    pub probed: Option<String>,
}

/// Looks at each call before it is forwarded (e.g. at the tags of the resource it acts on).
pub type Probe = Arc<
    dyn Fn(Call) -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<String>> + Send>>
        + Send
        + Sync,
>;

#[derive(Debug)]
struct Rule {
    action: String,
    remaining: u32,
    fault: Fault,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    calls: Vec<Call>,
    flaky: Option<(f64, u64)>,
    latency: Duration,
    serial: bool,
    kill: Option<(usize, u32)>,
    probe: Option<Probe>,
    /// Where every call is appended (`PROD_E_CALL_LOG`).
    log: Option<std::path::PathBuf>,
}

/// The environment variable naming the file every proxy appends its calls to.
pub const CALL_LOG: &str = "PROD_E_CALL_LOG";

impl Call {
    /// One line of the call log.
    fn logged(&self) -> String {
        let line = serde_json::json!({
            "service": self.service,
            "action": self.action,
            "target": self.target,
            "body": self.body,
            "probed": self.probed,
        });
        format!("{line}\n")
    }

    /// A call read back from the call log.
    pub fn from_log(line: &str) -> Option<Call> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        let text = |k: &str| v[k].as_str().map(str::to_string);
        Some(Call {
            service: text("service")?,
            action: text("action")?,
            arrived: std::time::Instant::now(),
            answered: None,
            target: text("target")?,
            body: text("body")?,
            faulted: false,
            probed: text("probed"),
        })
    }
}

#[derive(Clone)]
pub struct Proxy {
    pub endpoint: String,
    /// How the ECS services seen through this proxy roll out.
    pub rollouts: Arc<Rollouts>,
    state: Arc<Mutex<State>>,
}

/// Held while a call is served when the proxy is serialized.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Proxy {
    /// Starts a proxy in front of `upstream` on a free loopback port.
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let log = std::env::var_os(CALL_LOG).map(std::path::PathBuf::from);
        let probe = match log {
            Some(_) => Some(super::ownership::probe(super::clients(upstream).await)),
            None => None,
        };
        let state = Arc::new(Mutex::new(State {
            log,
            probe,
            ..State::default()
        }));
        let rollouts = Arc::new(Rollouts::default());
        let (shared, upstream, played) = (state.clone(), upstream.to_string(), rollouts.clone());
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("proxy client");
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let served = serve(
                    sock,
                    shared.clone(),
                    played.clone(),
                    upstream.clone(),
                    http.clone(),
                );
                tokio::spawn(served);
            }
        });
        Proxy {
            endpoint,
            rollouts,
            state,
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("proxy state"))
    }

    /// The first `n` calls of `action` get `fault`.
    pub fn fail_first(&self, action: &str, n: u32, fault: Fault) {
        self.with(|s| {
            s.rules.push(Rule {
                action: action.into(),
                remaining: n,
                fault,
            })
        });
    }

    /// Each call is throttled or answered 500 with probability `rate` (seeded, reproducible).
    pub fn flaky(&self, rate: f64, seed: u64) {
        self.with(|s| s.flaky = Some((rate, seed.max(1))));
    }

    /// Every call waits this long before it is forwarded (a round trip to a real region).
    pub fn latency(&self, latency: Duration) {
        self.with(|s| s.latency = latency);
    }

    /// Answers one call at a time, so that nothing overlaps: the benchmark's "concurrency
    /// switched off", without touching the code under test.
    pub fn serialize(&self, on: bool) {
        self.with(|s| s.serial = on);
    }

    /// Kill `pid` right after the `k`-th call (from now, 1-based) reached moto, before it is answered.
    pub fn kill_after(&self, k: usize, pid: u32) {
        self.with(|s| s.kill = Some((s.calls.len() + k, pid)));
    }

    /// Runs `probe` on every call before it is forwarded.
    pub fn probe(&self, probe: Probe) {
        self.with(|s| s.probe = Some(probe));
    }

    /// Stops every fault, latency and kill.
    pub fn calm(&self) {
        self.with(|s| {
            s.rules.clear();
            s.flaky = None;
            s.latency = Duration::ZERO;
            s.serial = false;
            s.kill = None;
        });
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// The payloads of the asynchronous Lambda invocations the provider made, in order.
    pub fn invocations(&self) -> Vec<serde_json::Value> {
        self.with(|s| {
            s.calls
                .iter()
                .filter(|c| c.action == "Invoke")
                .map(|c| serde_json::from_str(&c.body).unwrap_or_default())
                .collect()
        })
    }

    pub fn faults(&self) -> usize {
        self.with(|s| s.calls.iter().filter(|c| c.faulted).count())
    }
}

/// What happens to one call.
enum Decision {
    Forward { kill: Option<u32> },
    Fault(Fault),
}

async fn serve(
    mut sock: TcpStream,
    state: Arc<Mutex<State>>,
    rollouts: Arc<Rollouts>,
    upstream: String,
    http: reqwest::Client,
) {
    while let Some(req) = read_request(&mut sock).await {
        let (service, action) = identify(&req);
        let (decision, index, latency, serial) = {
            let mut s = state.lock().expect("proxy state");
            let decision = decide(&mut s, &action);
            let faulted = matches!(decision, Decision::Fault(_));
            let body = String::from_utf8_lossy(&req.body).into();
            let arrived = std::time::Instant::now();
            let call = Call {
                service: service.clone(),
                action: action.clone(),
                arrived,
                answered: None,
                target: req.target.clone(),
                body,
                faulted,
                probed: None,
            };
            s.calls.push(call);
            (decision, s.calls.len() - 1, s.latency, s.serial)
        };
        let (probe, log) = {
            let s = state.lock().expect("proxy state");
            (s.probe.clone(), s.log.clone())
        };
        if let Some(probe) = probe {
            let call = state.lock().expect("proxy state").calls[index].clone();
            let probed = probe(call).await;
            state.lock().expect("proxy state").calls[index].probed = probed;
        }
        if let Some(path) = log {
            let line = state.lock().expect("proxy state").calls[index].logged();
            append(&path, &line);
        }
        let _turn = match serial {
            true => Some(ONE_AT_A_TIME.lock().await),
            false => None,
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let reply = match decision {
            Decision::Fault(Fault::Reset) => return,
            Decision::Fault(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            Decision::Fault(fault) => error_reply(&service, &fault),
            // Lambda's asynchronous Invoke (moto would need Docker): accepted and kept, for the
            // test to deliver as the next invocation.
            Decision::Forward { .. } if action == "Invoke" => {
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec()
            }
            Decision::Forward { kill } => {
                let mut reply = forward(&http, &upstream, &req).await;
                if action == "DescribeServices" {
                    reply = rollouts.rewrite(reply);
                }
                if let Some(pid) = kill {
                    let _ = std::process::Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .status();
                    return;
                }
                reply
            }
        };
        if let Some(call) = state.lock().expect("proxy state").calls.get_mut(index) {
            call.answered = Some(std::time::Instant::now());
        }
        if sock.write_all(&reply).await.is_err() {
            return;
        }
    }
}

/// Appends one line with one write (O_APPEND: lines of concurrent proxies do not interleave).
fn append(path: &std::path::Path, line: &str) {
    use std::io::Write;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    if let Ok(mut file) = file {
        let _ = file.write_all(line.as_bytes());
    }
}

fn decide(s: &mut State, action: &str) -> Decision {
    if let Some(rule) = s
        .rules
        .iter_mut()
        .find(|r| r.action == action && r.remaining > 0)
    {
        rule.remaining -= 1;
        return Decision::Fault(rule.fault.clone());
    }
    if let Some((rate, seed)) = s.flaky.as_mut() {
        // xorshift64: reproducible for a seed, good enough to spread faults.
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let draw = (*seed % 10_000) as f64 / 10_000.0;
        if draw < *rate {
            return Decision::Fault(if *seed % 2 == 0 {
                Fault::Throttle
            } else {
                Fault::ServerError
            });
        }
    }
    let index = s.calls.len() + 1;
    let kill = match s.kill {
        Some((k, pid)) if k == index => {
            s.kill = None;
            Some(pid)
        }
        _ => None,
    };
    Decision::Forward { kill }
}

/// (service, action): the service from the SigV4 credential scope, the action from
/// `X-Amz-Target` (JSON protocols) or the form's `Action=` (query protocols).
fn identify(req: &Request) -> (String, String) {
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

fn error_reply(service: &str, fault: &Fault) -> Vec<u8> {
    let json = matches!(service, "ecs" | "logs");
    let (status, code, message) = match fault {
        Fault::Throttle if json => (400, "ThrottlingException", "Rate exceeded"),
        Fault::Throttle if service == "ec2" => {
            (503, "RequestLimitExceeded", "Request limit exceeded.")
        }
        Fault::Throttle => (400, "Throttling", "Rate exceeded"),
        Fault::ServerError if json => (500, "ServerException", "Internal failure (injected)"),
        Fault::ServerError => (500, "InternalFailure", "Internal failure (injected)"),
        Fault::Error {
            status,
            code,
            message,
        } => (*status, *code, *message),
        Fault::Answer(body) => {
            let kind = if json {
                "application/x-amz-json-1.1"
            } else {
                "text/xml"
            };
            return format!(
                "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes();
        }
        Fault::Reset | Fault::Hang => (500, "InternalFailure", "unreachable"),
    };
    let (content_type, body, extra) = if json {
        let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
        (
            "application/x-amz-json-1.1",
            body,
            format!("x-amzn-errortype: {code}\r\n"),
        )
    } else if service == "ec2" {
        let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>injected</RequestID></Response>");
        ("text/xml", body, String::new())
    } else {
        let body = format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>injected</RequestId></ErrorResponse>");
        ("text/xml", body, String::new())
    };
    format!("HTTP/1.1 {status} Injected\r\ncontent-type: {content_type}\r\n{extra}x-amzn-requestid: injected\r\ncontent-length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

async fn forward(http: &reqwest::Client, upstream: &str, req: &Request) -> Vec<u8> {
    let method =
        reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut out = http
        .request(method, format!("{upstream}{}", req.target))
        .body(req.body.clone());
    for (name, value) in &req.headers {
        if !matches!(
            name.to_ascii_lowercase().as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            out = out.header(name, value);
        }
    }
    let Ok(resp) = out.send().await else {
        return b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n".to_vec();
    };
    let status = resp.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("X")
    );
    for (name, value) in resp.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding"
        ) {
            head.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().unwrap_or_default()
            ));
        }
    }
    let body = resp.bytes().await.unwrap_or_default();
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}
