//! CloudFormation stacks, read only: a stack's status (does the stack that owns a deployment
//! still exist?), one stack resource as CloudFormation sees it (does it still wait for an
//! operation of ours?), and the stack's events (did its running operation replace a resource?).

use aws_sdk_cloudformation::Client;

use crate::error::{is_no_such_stack, Doing, Result};

/// A stack resource as `DescribeStackResource` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackResource {
    /// `ResourceStatus`: `CREATE_IN_PROGRESS`, `UPDATE_IN_PROGRESS`, `DELETE_IN_PROGRESS`, …
    pub status: String,
    /// The PhysicalResourceId CloudFormation holds for it (none while a Create is pending).
    pub physical_id: Option<String>,
}

/// The stack's status, or `None` if CloudFormation no longer knows it.
pub async fn status(cloudformation: &Client, stack_id: &str) -> Result<Option<String>> {
    let out = cloudformation
        .describe_stacks()
        .stack_name(stack_id)
        .send()
        .await;
    let out = out.doing(format!("reading stack ({stack_id})"));
    let Some(out) = absent_if_unknown(out)? else {
        return Ok(None);
    };
    Ok(out
        .stacks()
        .first()
        .and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_string()))
}

/// Stack resource `logical_id` of stack `stack_id` (its ARN), or `None` if CloudFormation
/// knows neither. A deleted stack is still found by its ARN (in `DELETE_COMPLETE`).
pub async fn resource(
    cloudformation: &Client,
    stack_id: &str,
    logical_id: &str,
) -> Result<Option<StackResource>> {
    let out = cloudformation
        .describe_stack_resource()
        .stack_name(stack_id)
        .logical_resource_id(logical_id)
        .send()
        .await;
    let doing = format!("reading stack resource ({logical_id}) of stack ({stack_id})");
    let Some(out) = absent_if_unknown(out.doing(doing))? else {
        return Ok(None);
    };
    Ok(out.stack_resource_detail().map(|r| StackResource {
        status: r
            .resource_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        physical_id: r.physical_resource_id().map(str::to_string),
    }))
}

/// `None` for CloudFormation's "does not exist" ([`is_no_such_stack`]).
fn absent_if_unknown<T>(out: Result<T>) -> Result<Option<T>> {
    match out {
        Ok(out) => Ok(Some(out)),
        Err(e) if is_no_such_stack(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The most pages of stack events read back to the start of the stack's operation.
pub const MAX_EVENT_PAGES: usize = 50;

/// Whether, in the stack operation running now, CloudFormation replaced resource `logical_id`:
/// an `UPDATE_IN_PROGRESS` event of it under `from` followed by an `UPDATE_COMPLETE` under
/// `to`, both newer than the stack's own last `UPDATE_IN_PROGRESS` event (the operation's
/// start; an in-place Update shows both under one id). DescribeStackEvents lists events newest
/// first (CloudFormation API Reference, DescribeStackEvents: "in reverse chronological
/// order"); at most [`MAX_EVENT_PAGES`] pages are read, and a replacement not found by then
/// counts as none.
pub async fn replaced_in_this_operation(
    cloudformation: &Client,
    stack_id: &str,
    (logical_id, from, to): (&str, &str, &str),
) -> Result<bool> {
    let mut token: Option<String> = None;
    let mut completed = false;
    for _ in 0..MAX_EVENT_PAGES {
        let page = cloudformation
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(token.take())
            .send()
            .await
            .doing(format!("reading the events of stack ({stack_id})"))?;
        for event in page.stack_events() {
            let status = event
                .resource_status()
                .map(|s| s.as_str())
                .unwrap_or_default();
            let id = event.physical_resource_id();
            if id == Some(stack_id) && status == "UPDATE_IN_PROGRESS" {
                return Ok(false);
            }
            if event.logical_resource_id() != Some(logical_id) {
                continue;
            }
            completed |= status == "UPDATE_COMPLETE" && id == Some(to);
            if completed && status == "UPDATE_IN_PROGRESS" && id == Some(from) {
                return Ok(true);
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(false),
        }
    }
    Ok(false)
}
