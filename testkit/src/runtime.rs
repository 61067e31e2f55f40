//! The real `prod-e-provisioner` binary as a process, fed by a minimal Lambda Runtime API on
//! loopback (`/next`, `/response`, `/error`), as Lambda runs it. The same server plays
//! Lambda's Invoke API for asynchronous invocations (`InvocationType: Event` queues the
//! payload as a new invocation), which the function uses to continue long operations. Used
//! where a test must kill the process mid-flight, read its log, or follow continuations.

use std::collections::VecDeque;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prod_e::aws::CONTINUATION_KEY_ENV;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::http::read_request;

/// What the function reported for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Reported {
    Response(Value),
    Error(String),
}

#[derive(Default)]
struct Queue {
    pending: VecDeque<(String, Value)>,
    reported: Vec<(String, Reported)>,
    next_id: u64,
    /// Payloads that came in through the Invoke API.
    invoked: Vec<Value>,
}

impl Queue {
    fn push(&mut self, event: Value) -> String {
        self.next_id += 1;
        let id = format!("invocation-{}", self.next_id);
        self.pending.push_back((id.clone(), event));
        id
    }
}

/// The Runtime API, serving events to the process that asks.
struct RuntimeApi {
    address: String,
    first_poll: Arc<Mutex<Option<Instant>>>,
    queue: Arc<Mutex<Queue>>,
    arrived: Arc<Notify>,
    reported: Arc<Notify>,
}

impl RuntimeApi {
    /// Each invocation gets `timeout` from when a process picks it up.
    async fn start(timeout: Duration) -> RuntimeApi {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let address = listener.local_addr().expect("runtime addr").to_string();
        let queue = Arc::new(Mutex::new(Queue::default()));
        let (arrived, reported) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let first_poll = Arc::new(Mutex::new(None));
        let (q, a, r, first) = (
            queue.clone(),
            arrived.clone(),
            reported.clone(),
            first_poll.clone(),
        );
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (q, a, r, first) = (q.clone(), a.clone(), r.clone(), first.clone());
                tokio::spawn(async move {
                    while let Some(req) = read_request(&mut sock).await {
                        if let Ok(mut seen) = first.lock() {
                            seen.get_or_insert_with(Instant::now);
                        }
                        let reply =
                            route(&req.method, &req.target, &req.body, &q, &a, &r, timeout).await;
                        if sock.write_all(&reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        RuntimeApi {
            address,
            first_poll,
            queue,
            arrived,
            reported,
        }
    }

    /// Queues `event` for the next process that asks; returns its invocation id. An event
    /// CloudFormation sends moves its stack in the player; Lambda's retry of one does not.
    fn submit(&self, event: &Value, from_cloudformation: bool) -> String {
        if from_cloudformation {
            crate::cloudformation::sends(event);
        }
        let id = self.queue.lock().expect("queue").push(event.clone());
        self.arrived.notify_waiters();
        id
    }

    fn reported(&self, id: &str) -> Option<Reported> {
        self.queue
            .lock()
            .expect("queue")
            .reported
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, r)| r.clone())
    }
}

async fn route(
    method: &str,
    target: &str,
    body: &[u8],
    q: &Mutex<Queue>,
    arrived: &Notify,
    reported: &Notify,
    timeout: Duration,
) -> Vec<u8> {
    if method == "POST" && target.starts_with("/2015-03-31/functions/") {
        // Lambda's Invoke API; prod-e only ever invokes asynchronously.
        let event = serde_json::from_slice(body).unwrap_or(Value::Null);
        {
            let mut queue = q.lock().expect("queue");
            queue.invoked.push(event.clone());
            queue.push(event);
        }
        arrived.notify_waiters();
        return b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec();
    }
    let path = target.trim_start_matches("/2018-06-01/runtime/");
    if method == "GET" && path == "invocation/next" {
        return next_invocation(q, arrived, timeout).await;
    }
    let parts: Vec<&str> = path.split('/').collect();
    if let ["invocation", id, kind] = parts.as_slice() {
        let text = String::from_utf8_lossy(body).to_string();
        let report = match *kind {
            "response" => {
                Reported::Response(serde_json::from_str(&text).unwrap_or(Value::String(text)))
            }
            _ => Reported::Error(text),
        };
        q.lock()
            .expect("queue")
            .reported
            .push((id.to_string(), report));
        reported.notify_waiters();
    }
    b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec()
}

/// The Runtime API's `invocation/next`: the next queued event, with its request id and a
/// deadline `timeout` from now, once there is one.
async fn next_invocation(q: &Mutex<Queue>, arrived: &Notify, timeout: Duration) -> Vec<u8> {
    loop {
        // Register for the wake-up before looking, so an event queued in between is not missed.
        let arrival = arrived.notified();
        tokio::pin!(arrival);
        arrival.as_mut().enable();
        let next = q.lock().expect("queue").pending.pop_front();
        if let Some((id, event)) = next {
            let deadline = (SystemTime::now() + timeout)
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let body = serde_json::to_vec(&event).unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: {id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:prod-e-provisioner\r\n\
                 content-length: {}\r\n\r\n",
                body.len()
            );
            let mut reply = head.into_bytes();
            reply.extend_from_slice(&body);
            return reply;
        }
        arrival.await;
    }
}

/// One `prod-e-provisioner` process with a Runtime API of its own (so that a killed
/// process can never take another's event), its log going to a file.
pub struct Function {
    child: Child,
    api: RuntimeApi,
    pub log_path: std::path::PathBuf,
    /// When the process was spawned.
    pub started: Instant,
}

impl Function {
    /// Starts `binary` (a `prod-e-provisioner` build) with `AWS_ENDPOINT_URL` = `endpoint`;
    /// each invocation gets `timeout`. `extra` adds environment variables.
    pub async fn start(
        binary: &str,
        endpoint: &str,
        timeout: Duration,
        extra: &[(&str, &str)],
    ) -> Function {
        let api = RuntimeApi::start(timeout).await;
        let started = Instant::now();
        let log_path = std::env::temp_dir().join(format!("prod-e-fn-{}.log", super::unique()));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = Command::new(binary)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", &api.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "prod-e-provisioner")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/prod-e-provisioner",
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/26/[$LATEST]test")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ENDPOINT_URL_LAMBDA", format!("http://{}", api.address))
            .env("AWS_REGION", super::REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("PROD_E_ALLOW_LOCAL_RESPONSE_URL", "true")
            .env("PROD_E_DELAY_SCALE", "0.01")
            .envs(super::TEMPLATE_ENV)
            .env(CONTINUATION_KEY_ENV, super::moto::continuation_key())
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start prod-e-provisioner");
        Function {
            child,
            api,
            log_path,
            started,
        }
    }

    /// Runs `event` to the end; `None` if the process died first or `wait` passed.
    pub async fn invoke(&mut self, event: &Value, wait: Duration) -> Option<Reported> {
        self.run(event, wait, true).await
    }

    /// Lambda's retry of the asynchronous invocation `event` (after its process died): the
    /// same event again, which CloudFormation did not send anew. Run to the end as [`invoke`].
    ///
    /// [`invoke`]: Function::invoke
    pub async fn retry(&mut self, event: &Value, wait: Duration) -> Option<Reported> {
        self.run(event, wait, false).await
    }

    /// Submits `event` (as CloudFormation's, or as Lambda's retry), waits for its report, and
    /// lets CloudFormation read the answer, if one reached the ResponseURL.
    async fn run(&mut self, event: &Value, wait: Duration, sent: bool) -> Option<Reported> {
        let id = self.api.submit(event, sent);
        let reported = self.until_reported(&id, wait).await;
        answered(event).await;
        reported
    }

    async fn until_reported(&mut self, id: &str, wait: Duration) -> Option<Reported> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(r) = self.api.reported(id) {
                return Some(r);
            }
            if self.exited() || Instant::now() > deadline {
                return None;
            }
            let _ =
                tokio::time::timeout(Duration::from_millis(20), self.api.reported.notified()).await;
        }
    }

    /// Queues `event` without waiting; returns its invocation id.
    pub fn submit(&self, event: &Value) -> String {
        self.api.submit(event, true)
    }

    /// Every invocation's report so far, in order.
    pub fn reports(&self) -> Vec<(String, Reported)> {
        self.api.queue.lock().expect("queue").reported.clone()
    }

    /// The payloads the function sent to the Invoke API (its continuations).
    pub fn continuations(&self) -> Vec<Value> {
        self.api.queue.lock().expect("queue").invoked.clone()
    }

    /// Whether no invocation is queued or running.
    pub fn idle(&self) -> bool {
        let q = self.api.queue.lock().expect("queue");
        q.pending.is_empty() && q.reported.len() as u64 == q.next_id
    }

    /// When the process first asked the Runtime API for an event.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.api.first_poll.lock().expect("first poll")
    }

    /// The process's peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has ended (e.g. was killed).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log_path);
    }
}

/// CloudFormation reads the answer to `event` at its ResponseURL, if one arrived there.
async fn answered(event: &Value) {
    let url = event["ResponseURL"].as_str().unwrap_or_default();
    if let Some(response) = crate::s3::read_response(url).await {
        crate::cloudformation::answered(event, &response);
    }
}
