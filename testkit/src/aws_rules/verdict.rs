//! What the AWS rules make of a call ([`Verdict`]): forwarded to moto, refused as AWS
//! refuses it ([`Refusal`]), delayed, or answered without moto. A bottom file of the rules.

use super::wire;

/// An AWS error: HTTP status, code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    /// A 400 error.
    pub fn new(code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status: 400,
            code,
            message: message.into(),
        }
    }
}

/// What the rules make of a call before it reaches moto.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Forward,
    /// Refused as AWS refuses it.
    Refuse(Refusal),
    /// Refused for now: a read-after-write delay (a faulted call in the proxy's log).
    Delay(Refusal),
    /// HTTP 200 with this body, without moto.
    Answer(String),
}

impl Verdict {
    /// The HTTP answer in `service`'s wire format and whether it counts as a fault; `None`
    /// for [`Verdict::Forward`] (moto answers).
    pub fn reply(&self, service: &str) -> Option<(Vec<u8>, bool)> {
        let error = |r: &Refusal| wire::error(service, r.status, r.code, &r.message);
        match self {
            Verdict::Forward => None,
            Verdict::Refuse(r) => Some((error(r), false)),
            Verdict::Delay(r) => Some((error(r), true)),
            Verdict::Answer(body) => Some((wire::answer(service, body), false)),
        }
    }
}
