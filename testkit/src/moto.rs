//! One moto server per test process, on a free loopback port, stopped when the process ends.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long moto may take to answer after start: a guard against a hang (it answers in
/// under a second here, in more while a loaded machine starts every test at once).
const STARTUP: Duration = crate::patience::PATIENCE;

/// Tasks every service reports as running (moto reports 0 unless told).
pub const SERVICE_RUNNING: u32 = 1;

/// The endpoint of this process's moto server, starting it on first use.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| match std::env::var("PROD_E_TEST_ENDPOINT") {
        Ok(url) => url,
        Err(_) => start(),
    })
}

/// The ARN of an HMAC key in this process's moto server, made on first use: the template's
/// `ContinuationKey`, which seals continuations (`PROD_E_CONTINUATION_KEY`).
pub fn continuation_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        let made = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the key");
            runtime.block_on(async {
                use aws_sdk_kms::types::{KeySpec, KeyUsageType};
                let kms = aws_sdk_kms::Client::new(&crate::config(endpoint()).await);
                let out = kms
                    .create_key()
                    .key_spec(KeySpec::Hmac256)
                    .key_usage(KeyUsageType::GenerateVerifyMac)
                    .description("prod-e continuations (tests)")
                    .send()
                    .await
                    .expect("an HMAC key in moto");
                let arn = out.key_metadata().and_then(|m| m.arn());
                arn.expect("the key's ARN").to_string()
            })
        });
        made.join().expect("the key's thread")
    })
}

fn start() -> String {
    let port = free_port();
    // The shell watches this process and stops moto when it is gone, however the tests end.
    let script = format!(
        "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $m",
        pid = std::process::id()
    );
    let spawned = Command::new("sh")
        .args(["-c", &script])
        .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        .env("MOTO_ECS_SERVICE_RUNNING", SERVICE_RUNNING.to_string())
        .stdin(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        panic!("cannot start moto_server (pip install 'moto[server]'): {e}");
    }
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if answers(port) {
            return format!("http://127.0.0.1:{port}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("moto_server did not answer on port {port} within {STARTUP:?}");
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    let mut head = [0u8; 12];
    s.write_all(req.as_bytes()).is_ok()
        && s.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.")
}
