//! The provider's own Lambda function: invoked asynchronously to continue an operation that
//! outlasts one invocation.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_lambda::Client;

use crate::error::{Doing, Result};

/// Queues `payload` as a new asynchronous invocation of `function_arn` (Lambda accepts up to
/// 256 KB and answers 202 at once).
pub async fn invoke_later(lambda: &Client, function_arn: &str, payload: Vec<u8>) -> Result<()> {
    lambda
        .invoke()
        .function_name(function_arn)
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(payload))
        .send()
        .await
        .done(format!("invoking ({function_arn}) to continue"))
}
