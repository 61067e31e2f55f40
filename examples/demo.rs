//! `make demo`: the real Lambda binary under `cargo lambda watch`, against moto server (behind
//! the test proxy, which plays the ECS rollouts moto does not), driven through a stack's life
//! with the sample events in `events/`, the way CloudFormation would drive it: first a Create
//! that preflight refuses (a subnet without egress), then Create, an
//! in-place Update, a replacement, the cleanup Delete of the replaced set (`delete.json`), the
//! stack's Delete (`delete-replaced.json`).
//! Prints each response and the live resources after each step.
//! `make invoke EVENT="events/create.json events/delete.json"` sends only the given events.

use prod_e_testkit as support;

use std::error::Error;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use prod_e::aws::CONTINUATION_KEY_ENV;
use prod_e::cli::report;
use prod_e::naming::Deployment;
use prod_e::plan::inventory;
use prod_e::spec::{Locator, Spec};
use serde_json::{json, Value};
use support::cloudformation::update_stack;
use support::{moto, s3, Harness};

/// The first invoke may compile the function; moto makes the rest quick.
const READY: Duration = Duration::from_secs(600);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    println!("moto server (AWS emulator) at {}", moto::endpoint());
    let h = Harness::new().await;
    let n = &h.network;
    println!(
        "network: {} with private subnets {}, ALB security group {}",
        n.vpc_id,
        n.subnet_ids.join(", "),
        n.alb_security_group_id
    );
    println!("listener: {}\n", n.listener_arn);

    // The function and the operator CLI see moto through the proxy that plays ECS rollouts.
    let endpoint = h.proxy.endpoint.as_str();
    let port = moto::free_port();
    let mut watch = Watch::start(endpoint, port)?;
    // `make invoke EVENT="..."` passes its own event files; `make demo` runs them all, after
    // a Create that preflight refuses.
    let given: Vec<String> = std::env::args().skip(1).collect();
    let files = match given.is_empty() {
        true => {
            preflight_failure(&h, &mut watch).await?;
            ["create", "update", "replace", "delete", "delete-replaced"]
                .map(|s| format!("events/{s}.json"))
                .to_vec()
        }
        false => given,
    };
    for file in &files {
        let event = sample_event(file, &h)?;
        let step = event["RequestType"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        println!(
            "=== {} ({file}, ResponseURL and network ids rewritten for the emulator)",
            event["RequestType"]
        );
        let started = (Instant::now(), watch.logged());
        let returned = {
            support::cloudformation::sends(&event);
            watch.invoke(&event)?
        };
        let response = s3::read_response(event["ResponseURL"].as_str().unwrap_or_default())
            .await
            .ok_or("no response reached the ResponseURL")?;
        support::cloudformation::answered(&event, &response);
        println!("function returned {returned}; {}", watch.timing(started));
        println!(
            "CloudFormation received:\n{}",
            serde_json::to_string_pretty(&response)?
        );
        if response["Status"] != "SUCCESS" {
            return Err(format!("{step} failed: {}", response["Reason"]).into());
        }
        let physical_id = response["PhysicalResourceId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let d = Deployment::parse(&physical_id).ok_or("unexpected physical id")?;
        let live = inventory(
            &h.provider.clients, // through the proxy: the rollouts as the function saw them
            &d,
            &Locator::from_properties(&event["ResourceProperties"]),
        )
        .await?;
        println!(
            "\nlive resources of {physical_id}:\n{}",
            report::table(&report::rows(&d, &live))
        );
        // The operator's view of the set an in-place Update left (after a replacement moto
        // would hide the rule: it does not move TargetGroup.LoadBalancerArns on ModifyRule).
        if file.ends_with("update.json") {
            operator(endpoint, &["status", "--physical-id", &physical_id]);
            // The container's lines (moto runs no containers, so it has none to show).
            operator(
                endpoint,
                &["logs", "--physical-id", &physical_id, "--since", "10m"],
            );
            operator(
                endpoint,
                &["teardown", "--physical-id", &physical_id, "--dry-run"],
            );
            deploy(endpoint, &mut watch, &event).await;
        }
    }
    watch.stop();
    // A run that ends with a Delete must leave nothing of the stack resource behind.
    if let Some(last) = files.last() {
        let event = sample_event(last, &h)?;
        if event["RequestType"] == "Delete" {
            let left: Vec<String> = prod_e::cli::discover::deployments(&h.clients)
                .await?
                .into_iter()
                .filter(|f| event["StackId"] == f.stack_id.as_str())
                .map(|f| format!("{} ({})", f.physical_id, f.resources.join(", ")))
                .collect();
            if !left.is_empty() {
                return Err(
                    format!("left behind after the last Delete: {}", left.join("; ")).into(),
                );
            }
            println!("nothing of the stack is left.");
        }
    }
    println!(
        "done ({}); moto and cargo lambda watch stopped.",
        files.join(", ")
    );
    Ok(())
}

/// Create's preflight at work: `create.json` with one subnet that has no route to the
/// internet is refused within seconds, naming the subnet, with nothing created.
async fn preflight_failure(h: &Harness, watch: &mut Watch) -> Result<(), Box<dyn Error>> {
    let isolated = h
        .network
        .isolated_subnet(&h.clients, 50, "us-east-1b")
        .await;
    let mut event = sample_event("events/create.json", h)?;
    event["ResourceProperties"]["SubnetIds"] = json!([h.network.subnet_ids[0], isolated]);
    let request_id = "preflight-refused";
    let text = |k: &str| event[k].as_str().unwrap_or_default().to_string();
    let url = s3::response_url(&text("StackId"), &text("LogicalResourceId"), request_id);
    event["RequestId"] = json!(request_id);
    event["ResponseURL"] = json!(url);
    println!(
        "=== \"Create\" (events/create.json with subnet {isolated}, which has no route to the \
         internet: preflight refuses it)"
    );
    let started = (Instant::now(), watch.logged());
    {
        support::cloudformation::sends(&event);
        watch.invoke(&event)?
    };
    let response = s3::read_response(event["ResponseURL"].as_str().unwrap_or_default())
        .await
        .ok_or("no response reached the ResponseURL")?;
    println!(
        "{}: {} — {}\n",
        watch.timing(started),
        response["Status"],
        response["Reason"]
    );
    if response["Status"] != "FAILED" {
        return Err("preflight let a subnet without egress through".into());
    }
    Ok(())
}

/// Runs the operator CLI `prod-e` (built beside this example) and prints what it says.
fn operator(endpoint: &str, args: &[&str]) {
    let cli = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("prod-e")))
        .unwrap_or_else(|| "prod-e".into());
    println!("$ prod-e {}", args.join(" "));
    let out = Command::new(cli)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", support::REGION)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output();
    match out {
        // Progress (stderr) came first, then the result (stdout).
        Ok(out) => println!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => println!("(could not run prod-e: {e})"),
    }
}

/// `prod-e deploy` as a CI job runs it: the stack's `Image` parameter alone changed, the
/// UpdateStack played by the test world's CloudFormation (the Update it sends to the function,
/// through `cargo lambda invoke`), the CLI following the stack to its end.
async fn deploy(endpoint: &str, watch: &mut Watch, event: &Value) {
    let stack = support::Stack {
        id: event["StackId"].as_str().unwrap_or_default().to_string(),
        logical_id: event["LogicalResourceId"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let properties = &event["ResourceProperties"];
    let parameters = [("Image", "Image"), ("DesiredCount", "DesiredCount")];
    update_stack::deployed(&stack.id, &stack.logical_id, properties, &parameters);
    let endpoint = endpoint.to_string();
    let name = stack.id.split('/').nth(1).unwrap_or_default().to_string();
    let cli = std::thread::spawn(move || {
        let args = ["deploy", "--stack", &name, "--image", "nginx:1.28"];
        operator(&endpoint, &args);
    });
    let invoke = |e: Value| {
        let url = e["ResponseURL"].as_str().unwrap_or_default().to_string();
        if let Err(err) = watch.invoke(&e) {
            println!(
                "(the deploy's {} was not delivered: {err})",
                e["RequestType"]
            );
        }
        async move { s3::read_response(&url).await.unwrap_or_default() }
    };
    let response = update_stack::play(&stack, invoke).await;
    let _ = cli.join();
    println!("the deploy's Update was answered {}\n", response["Status"]);
}

/// A sample event with the emulator's network and a presigned local ResponseURL.
fn sample_event(file: &str, h: &Harness) -> Result<Value, Box<dyn Error>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let n = &h.network;
    for key in ["ResourceProperties", "OldResourceProperties"] {
        if let Some(props) = event.get_mut(key).and_then(Value::as_object_mut) {
            props.insert("VpcId".into(), json!(n.vpc_id));
            props.insert("SubnetIds".into(), json!(n.subnet_ids));
            props.insert("ListenerArn".into(), json!(n.listener_arn));
            props.insert(
                "LoadBalancerSecurityGroupId".into(),
                json!(n.alb_security_group_id),
            );
        }
    }
    let text = |k: &str| event[k].as_str().unwrap_or_default().to_string();
    let (stack_id, logical_id, request_id) = (
        text("StackId"),
        text("LogicalResourceId"),
        text("RequestId"),
    );
    // The PhysicalResourceId names the set the properties describe, and those changed above.
    let acts_on = match event["RequestType"].as_str().unwrap_or_default() {
        "Update" => Some("OldResourceProperties"),
        "Delete" => Some("ResourceProperties"),
        _ => None,
    };
    if let Some(key) = acts_on {
        let spec = Spec::parse(&event[key]).map_err(|e| format!("{file}: {e}"))?;
        let d = Deployment::new(&stack_id, &logical_id, &spec.fingerprint());
        event["PhysicalResourceId"] = json!(d.physical_id());
    }
    event["ResponseURL"] = json!(s3::response_url(&stack_id, &logical_id, &request_id));
    Ok(event)
}

/// `cargo lambda watch`, serving the provisioner with the emulator's environment.
struct Watch {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Watch {
    fn start(endpoint: &str, port: u16) -> Result<Watch, Box<dyn Error>> {
        let log_path = std::env::temp_dir().join("prod-e-demo-lambda.log");
        let log = std::fs::File::create(&log_path)?;
        println!("the function's own log: {}\n", log_path.display());
        let child = Command::new("cargo")
            .args([
                "lambda",
                "watch",
                "--quiet",
                "--ignore-changes",
                "--bin",
                "prod-e-provisioner",
            ])
            .args([
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
            ])
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", support::REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("PROD_E_ALLOW_LOCAL_RESPONSE_URL", "true")
            .envs(support::TEMPLATE_ENV)
            .env(CONTINUATION_KEY_ENV, moto::continuation_key())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!("cannot run cargo lambda watch (pip install cargo-lambda): {e}")
            })?;
        let deadline = Instant::now() + READY;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("cargo lambda watch did not start".into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(Watch {
            child,
            port,
            log: log_path,
        })
    }

    /// "answered in 0.07 s (24.6 s with the watcher)": the function's own time, from the
    /// `duration_s` of the last "done" line it logged after byte `from` of its log, beside the
    /// time since `started`, which adds `cargo lambda invoke` and, on the first invocation,
    /// the watcher starting the binary.
    fn timing(&self, (started, from): (Instant, usize)) -> String {
        let all = started.elapsed().as_secs_f64();
        let whole = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Only what this invocation logged, and its last "done" line.
        let log = whole.get(from..).unwrap_or_default();
        let done = log
            .lines()
            .rev()
            .find(|l| l.contains(" done") && l.contains("duration_s="));
        let own = done.and_then(|line| {
            let rest = line.rsplit("duration_s=").next()?;
            let number = rest
                .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .next();
            number?.parse::<f64>().ok()
        });
        match own {
            Some(own) => format!("answered in {own:.2} s ({all:.1} s with the watcher)"),
            None => format!("answered in {all:.1} s (with the watcher)"),
        }
    }

    /// How many bytes the function has logged so far.
    fn logged(&self) -> usize {
        std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize)
    }

    /// `cargo lambda invoke --data-file`, as a developer would type it.
    fn invoke(&mut self, event: &Value) -> Result<String, Box<dyn Error>> {
        let file = std::env::temp_dir().join(format!("prod-e-demo-{}.json", std::process::id()));
        std::fs::write(&file, serde_json::to_vec(event)?)?;
        let out = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                "prod-e-provisioner",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &self.port.to_string(), "--data-file"])
            .arg(&file)
            .output()?;
        let _ = std::fs::remove_file(&file);
        if !out.status.success() {
            return Err(format!(
                "cargo lambda invoke failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stop();
    }
}
