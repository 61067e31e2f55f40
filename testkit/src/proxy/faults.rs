//! The faults a proxy injects ([`Fault`]), and the decision for each call: a fault a test
//! asked for, a random one of a flaky proxy, or forwarding (and killing a process after it).

use super::State;
use crate::aws_rules::wire;

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
    /// Carry the call out (the AWS rules, moto), then close the connection without its
    /// answer: a reply lost on the way, which the caller retries.
    Lost,
    /// Never answer.
    Hang,
}

/// A fault for the next `remaining` calls of `action`.
#[derive(Debug)]
pub(super) struct Rule {
    pub(super) action: String,
    pub(super) remaining: u32,
    pub(super) fault: Fault,
}

/// What the proxy does with one call.
pub(super) enum Decision {
    Forward { kill: Option<u32> },
    Fault(Fault),
}

pub(super) fn decide(s: &mut State, action: &str) -> Decision {
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

pub(super) fn error_reply(service: &str, fault: &Fault) -> Vec<u8> {
    let json = wire::json(service);
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
        Fault::Answer(body) => return wire::answer(service, body),
        Fault::Reset | Fault::Hang | Fault::Lost => (500, "InternalFailure", "unreachable"),
    };
    wire::error(service, status, code, message)
}
