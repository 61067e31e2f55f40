//! A fault-injecting loopback proxy between the AWS SDK and moto: it can add latency, and per
//! AWS action answer throttling, 5xx or any named error in the service's own wire format (JSON
//! for ECS, Logs, Application Auto Scaling and CloudWatch, query XML for EC2, IAM and ELBv2;
//! CloudWatch's SDK speaks CBOR, which moto cannot read: its calls are translated to JSON 1.0
//! and their answers back, [`super::cbor`]), reset the connection, hang, count
//! calls, and kill a process right after the k-th call reached moto. It also plays ECS
//! rollouts, which moto does not ([`super::rollout`]), and refuses what AWS refuses and moto
//! accepts ([`super::aws_rules`], on for every proxy: one proxy is one AWS account). With `PROD_E_CALL_LOG` set (as
//! `make test` does) every proxy also reads the ownership tag of the resource each call acts
//! on ([`super::ownership`]) and appends every call to that file, for `examples/policy.rs`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use super::aws_rules::wire::identify;
use super::aws_rules::{strategy, AwsRules, Upstream, Verdict};
use super::cbor;
use super::http::{read_request, Request};
use super::rollout::Rollouts;
pub use crate::call::{Call, Network, Probe, Probed, CALL_LOG};
pub use faults::Fault;
use faults::{decide, error_reply, Decision, Rule};

mod faults;

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    calls: Vec<Call>,
    flaky: Option<(f64, u64)>,
    latency: Duration,
    serial: bool,
    kill: Option<(usize, u32)>,
    /// How many kills were carried out.
    kills: usize,
    networks: Vec<Network>,
    name_prefix: Option<String>,
    probe: Option<Probe>,
    /// Where every call is appended (`PROD_E_CALL_LOG`).
    log: Option<std::path::PathBuf>,
}

#[derive(Clone)]
pub struct Proxy {
    pub endpoint: String,
    /// How the ECS services seen through this proxy roll out.
    pub rollouts: Arc<Rollouts>,
    /// What this proxy's AWS account refuses that moto accepts (all on).
    pub rules: Arc<AwsRules>,
    state: Arc<Mutex<State>>,
}

/// Everything a connection is served with.
struct Shared {
    state: Arc<Mutex<State>>,
    rollouts: Arc<Rollouts>,
    rules: Arc<AwsRules>,
    /// Moto: calls are forwarded to it, and the rules read it.
    moto: Upstream,
}

/// Held while a call is served when the proxy is serialized.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Proxy {
    /// Starts a proxy in front of `upstream` on a free loopback port.
    pub async fn start(upstream: &str) -> Proxy {
        let account = (Arc::default(), Arc::default());
        Proxy::start_with(upstream, account).await
    }

    /// Starts a second endpoint of `account`'s AWS account (its rollouts and rules shared:
    /// switching a rule on either switches it on both) in front of `upstream`: an operator's.
    pub async fn start_in(upstream: &str, account: &Proxy) -> Proxy {
        let shared = (account.rollouts.clone(), account.rules.clone());
        Proxy::start_with(upstream, shared).await
    }

    async fn start_with(upstream: &str, account: (Arc<Rollouts>, Arc<AwsRules>)) -> Proxy {
        let (rollouts, rules) = account;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let clients = super::clients(upstream).await;
        let log = std::env::var_os(CALL_LOG).map(std::path::PathBuf::from);
        let probe = log
            .as_ref()
            .map(|_| super::ownership::probe(clients.clone(), rules.clone()));
        let state = Arc::new(Mutex::new(State {
            log,
            probe,
            ..State::default()
        }));
        let http = prod_e::aws::http_client_builder()
            .no_proxy()
            .build()
            .expect("proxy client");
        let shared = Arc::new(Shared {
            state: state.clone(),
            rollouts: rollouts.clone(),
            rules: rules.clone(),
            moto: Upstream::new(&clients, http, upstream, rollouts.clone()),
        });
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, shared.clone()));
            }
        });
        Proxy {
            endpoint,
            rollouts,
            rules,
            state,
        }
    }

    /// Runs `f` (an operator's command, which calls AWS through this proxy while the provider
    /// does not) with the calls out of the call log, then logs the provider's calls again, so
    /// that the policy judgement sees every call the provider makes after it.
    pub fn as_operator<T>(&self, f: impl FnOnce() -> T) -> T {
        let kept = self.with(|s| (s.log.take(), s.probe.take()));
        let out = f();
        self.with(|s| (s.log, s.probe) = kept);
        out
    }

    /// The calls through this proxy are a test's own, not the provider's: they stay out of
    /// the call log (`PROD_E_CALL_LOG`) that the policy judgement reads.
    pub fn not_the_provider(&self) {
        self.rules
            .set(crate::aws_rules::Rule::CloudFormation, false);
        self.with(|s| {
            s.log = None;
            s.probe = None;
        });
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

    /// The function's stack in this account has the parameters `VpcId` = `vpc_id`,
    /// `ListenerArn` = `listener_arn` and `LoadBalancerSecurityGroupId` = `group` (a test that
    /// moves a set elsewhere adds the operator's second deployment of the function's stack).
    pub fn deploys_behind(&self, vpc_id: &str, listener_arn: &str, group: &str) {
        let network = (vpc_id.into(), listener_arn.into(), group.into());
        self.with(|s| s.networks.push(network));
    }

    /// The proxy's account runs an install of prod-e whose `NamePrefix` is `prefix`: the policy
    /// judgement resolves the template with it.
    pub fn names_with(&self, prefix: &str) {
        self.with(|s| s.name_prefix = Some(prefix.to_string()));
    }

    /// Runs `probe` on every call before it is forwarded.
    pub fn probe(&self, probe: Probe) {
        self.with(|s| s.probe = Some(probe));
    }

    /// Stops every fault, latency and kill (the AWS rules stay: they are AWS).
    pub fn calm(&self) {
        self.with(|s| {
            s.rules.clear();
            s.flaky = None;
            s.latency = Duration::ZERO;
            s.serial = false;
            s.kill = None;
        });
    }

    /// Waits until every call from call `since` on but the killed one is answered (a call
    /// an injected fault resets or hangs never is: it does not count), however long moto
    /// takes: AWS finishes what a killed process still had in flight long before anything is
    /// redelivered (CloudFormation's and Lambda's retries come seconds to minutes later).
    pub async fn settle_after_kill(&self, since: usize) {
        let open = || {
            self.with(|s| {
                let calls = s.calls.iter().skip(since);
                calls.filter(|c| c.answered.is_none() && !c.faulted).count()
            })
        };
        let what = "the calls a killed process had in flight to be answered";
        crate::patience::until(what, || open() <= 1).await;
    }

    /// How many processes [`Proxy::kill_after`] killed so far.
    pub fn kills(&self) -> usize {
        self.with(|s| s.kills)
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

async fn serve(mut sock: TcpStream, shared: Arc<Shared>) {
    while let Some(req) = read_request(&mut sock).await {
        let Some(reply) = shared.answer(req).await else {
            return;
        };
        if sock.write_all(&reply).await.is_err() {
            return;
        }
    }
}

impl Shared {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("proxy state"))
    }

    /// The answer to one call; `None` when the connection is to close without one. A CBOR
    /// call (CloudWatch) is recorded, probed, judged and forwarded as JSON 1.0, and answered
    /// in CBOR.
    async fn answer(&self, req: Request) -> Option<Vec<u8>> {
        let in_cbor = cbor::is_cbor(&req);
        let req = match in_cbor {
            true => cbor::to_json_request(&req),
            false => req,
        };
        let (decision, index, latency, serial) = self.record(&req);
        self.probe_and_log(index).await;
        let call = self.with(|s| s.calls[index].clone());
        let _turn = match serial {
            true => Some(ONE_AT_A_TIME.lock().await),
            false => None,
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let reply = match decision {
            Decision::Fault(Fault::Reset) => return None,
            Decision::Fault(Fault::Lost) => {
                self.under_rules(&call, index, &req, None).await?;
                return None;
            }
            Decision::Fault(Fault::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return None;
            }
            Decision::Fault(fault) => error_reply(&call.service, &fault),
            // Lambda's asynchronous Invoke (moto would need Docker): accepted and kept, for the
            // test to deliver as the next invocation.
            Decision::Forward { .. } if call.action == "Invoke" => {
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_vec()
            }
            Decision::Forward { kill } => self.under_rules(&call, index, &req, kill).await?,
        };
        self.with(|s| {
            if let Some(call) = s.calls.get_mut(index) {
                call.answered = Some(std::time::Instant::now());
            }
        });
        Some(match in_cbor {
            true => cbor::to_cbor_reply(&reply),
            false => reply,
        })
    }

    /// Decides the call's fate and records it; (decision, its index, latency, serial).
    fn record(&self, req: &Request) -> (Decision, usize, Duration, bool) {
        let (service, action) = identify(req);
        self.with(|s| {
            let decision = decide(s, &action);
            let call = Call {
                service,
                action,
                arrived: std::time::Instant::now(),
                answered: None,
                target: req.target.clone(),
                body: String::from_utf8_lossy(&req.body).into(),
                faulted: matches!(decision, Decision::Fault(_)),
                probed: Probed::default(),
                networks: s.networks.clone(),
                name_prefix: s.name_prefix.clone(),
            };
            s.calls.push(call);
            (decision, s.calls.len() - 1, s.latency, s.serial)
        })
    }

    async fn probe_and_log(&self, index: usize) {
        let (probe, log) = self.with(|s| (s.probe.clone(), s.log.clone()));
        if let Some(probe) = probe {
            let call = self.with(|s| s.calls[index].clone());
            let probed = probe(call).await;
            self.with(|s| s.calls[index].probed = probed);
        }
        if let Some(path) = log {
            append(&path, &self.with(|s| s.calls[index].logged()));
        }
    }

    /// A call for moto, through the AWS rules (which may answer it themselves) and the
    /// rollouts; `None` if `kill` was carried out instead of answering (after the call took
    /// effect).
    async fn under_rules(
        &self,
        call: &Call,
        index: usize,
        req: &Request,
        kill: Option<u32>,
    ) -> Option<Vec<u8>> {
        let _exclusive = self.rules.exclusive(&call.action).await;
        let verdict = match self.rollouts.service_deployments(&call.action, &call.body) {
            Some(body) => Verdict::Answer(body),
            None => self.rules.before(&self.moto, call).await,
        };
        let (reply, faulted) = match verdict.reply(&call.service) {
            Some(answered) => answered,
            None => {
                let reply = self.moto.forward(req).await;
                let (reply, faulted) = self.rules.after(call, reply);
                let reply = self.rollouts.after(&call.action, &call.body, reply);
                if let Some((service, time)) = self.rollouts.draining_time(&call.action, &reply) {
                    self.rules.drains_for(&service, time);
                }
                strategy::presented(&self.rules, &self.moto, &call.action, &reply).await;
                (reply, faulted)
            }
        };
        // AWS has acted on the call (and the rules recorded it); its caller never hears back.
        if let Some(pid) = kill {
            // Counted first: whoever waits on the process may look as soon as it is gone.
            self.with(|s| s.kills += 1);
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
            return None;
        }
        self.with(|s| s.calls[index].faulted |= faulted);
        Some(reply)
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
