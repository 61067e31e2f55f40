//! Everything the provider logs in this test process, kept so tests can check what leaks.

use std::io::Write;
use std::sync::{Mutex, Once};

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Sink;

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = LOG.lock() {
            log.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber (once per process).
pub fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = lambda_runtime::tracing::subscriber::fmt()
            .json()
            .with_env_filter("info,prod_e=debug")
            .with_writer(|| Sink)
            .try_init();
    });
}

/// All lines logged so far.
pub fn text() -> String {
    LOG.lock()
        .map(|l| String::from_utf8_lossy(&l).to_string())
        .unwrap_or_default()
}
