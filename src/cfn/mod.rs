//! CloudFormation's custom-resource protocol, and nothing else: reading events, building
//! responses within the 4096-byte limit, and PUTting them to the presigned ResponseURL.

pub mod request;
pub mod responder;
pub mod response;

pub use request::{Envelope, Operation, Request};
pub use responder::Responder;
pub use response::{Response, Status};
