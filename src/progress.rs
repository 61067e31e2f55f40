//! What an operation is doing: a structured log line per step (start, outcome, duration), and
//! the steps in flight, so that the deadline guard can say what it was waiting for and the
//! CLI can show progress.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::Result;

tokio::task_local! {
    static STEPS: Steps;
}

/// A step that started or ended, for listeners such as the CLI's progress lines.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A step began.
    Started(String),
    /// A step ended.
    Finished {
        /// The step's name.
        step: String,
        /// How long it took.
        took: Duration,
        /// Whether it succeeded.
        ok: bool,
    },
}

type Listener = Arc<dyn Fn(&Event) + Send + Sync>;

/// The steps of one operation. Cloning shares them.
#[derive(Clone, Default)]
pub struct Steps {
    in_flight: Arc<Mutex<Vec<String>>>,
    listener: Option<Listener>,
}

impl std::fmt::Debug for Steps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Steps")
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

impl Steps {
    /// Steps that also tell `listener` when each starts and ends.
    pub fn with_listener(listener: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        Steps {
            in_flight: Arc::default(),
            listener: Some(Arc::new(listener)),
        }
    }

    /// Runs `work` with these steps as the current ones.
    pub fn scope<F: Future>(&self, work: F) -> tokio::task::futures::TaskLocalFuture<Steps, F> {
        STEPS.scope(self.clone(), work)
    }

    /// The steps started and not yet finished, oldest first.
    pub fn in_flight(&self) -> Vec<String> {
        self.in_flight.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn start(&self, step: &str) {
        if let Ok(mut s) = self.in_flight.lock() {
            s.push(step.to_string());
        }
        self.tell(&Event::Started(step.to_string()));
    }

    fn finish(&self, step: &str, took: Duration, ok: bool) {
        if let Ok(mut s) = self.in_flight.lock() {
            if let Some(i) = s.iter().position(|x| x == step) {
                s.remove(i);
            }
        }
        self.tell(&Event::Finished {
            step: step.to_string(),
            took,
            ok,
        });
    }

    fn tell(&self, event: &Event) {
        if let Some(listener) = &self.listener {
            listener(event);
        }
    }
}

/// Runs one named step ("deleting ECS service (prod-e-service)") of the current operation.
pub async fn step<T>(name: impl Into<String>, work: impl Future<Output = Result<T>>) -> Result<T> {
    let name = name.into();
    let started = Instant::now();
    let _ = STEPS.try_with(|s| s.start(&name));
    tracing::debug!(step = %name, "start");
    let out = work.await;
    let took = started.elapsed();
    let _ = STEPS.try_with(|s| s.finish(&name, took, out.is_ok()));
    let duration_ms = took.as_millis() as u64;
    match &out {
        Ok(_) => tracing::info!(step = %name, duration_ms, "done"),
        Err(error) => tracing::warn!(step = %name, duration_ms, %error, "failed"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn steps_in_flight_are_visible_and_finished_ones_are_not() {
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        let steps = Steps::with_listener(move |e| seen.lock().unwrap().push(e.clone()));
        let watched = steps.clone();
        steps
            .scope(async move {
                step("one", async { Ok(()) }).await.unwrap();
                let probe = step("two", async { Ok(watched.in_flight()) });
                assert_eq!(probe.await.unwrap(), vec!["two".to_string()]);
            })
            .await;
        assert!(steps.in_flight().is_empty());
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 4);
        assert_eq!(events[0], Event::Started("one".into()));
    }
}
