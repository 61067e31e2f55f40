//! CloudFormation stacks, read only: whether the stack that owns a deployment still exists.

use aws_sdk_cloudformation::Client;

use crate::error::{Error, Result};

/// The stack's status, or `None` if CloudFormation no longer knows it.
pub async fn status(cloudformation: &Client, stack_id: &str) -> Result<Option<String>> {
    let out = cloudformation
        .describe_stacks()
        .stack_name(stack_id)
        .send()
        .await;
    match out.map_err(|e| Error::aws(format!("reading stack ({stack_id})"), e)) {
        Ok(out) => Ok(out
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .map(|s| s.as_str().to_string())),
        // CloudFormation answers ValidationError "Stack with id … does not exist".
        Err(e) if e.code() == Some("ValidationError") => Ok(None),
        Err(e) => Err(e),
    }
}
