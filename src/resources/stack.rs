//! CloudFormation stacks: a stack's status (does the stack that owns a deployment still
//! exist?), one stack resource as CloudFormation sees it (does it still wait for an operation
//! of ours?), and the stack's events (did its running operation replace a resource?); for
//! `prod-e deploy`, a stack's parameters, an UpdateStack of one of them, and its new events.

use aws_sdk_cloudformation::types::{Capability, Parameter};
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
    Ok(describe(cloudformation, stack_id).await?.map(|s| s.status))
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
    let (mut completed, mut replaced) = (false, false);
    walk_events(cloudformation, stack_id, |e| {
        let id = e.physical_id.as_deref();
        if id == Some(stack_id) && e.status == "UPDATE_IN_PROGRESS" {
            return true;
        }
        if e.logical_id != logical_id {
            return false;
        }
        completed |= e.status == "UPDATE_COMPLETE" && id == Some(to);
        replaced = completed && e.status == "UPDATE_IN_PROGRESS" && id == Some(from);
        replaced
    })
    .await?;
    Ok(replaced)
}

/// Reads stack `stack_id`'s events newest first, page by page (at most [`MAX_EVENT_PAGES`]),
/// handing each to `visit` until it returns true.
async fn walk_events(
    cloudformation: &Client,
    stack_id: &str,
    mut visit: impl FnMut(Event) -> bool,
) -> Result<()> {
    let mut token = None;
    for _ in 0..MAX_EVENT_PAGES {
        let page = cloudformation
            .describe_stack_events()
            .stack_name(stack_id)
            .set_next_token(token.take())
            .send()
            .await
            .doing(format!("reading the events of stack ({stack_id})"))?;
        for e in page.stack_events() {
            let event = Event {
                id: e.event_id().unwrap_or_default().to_string(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: e.physical_resource_id().map(str::to_string),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().unwrap_or_default().to_string(),
            };
            if visit(event) {
                return Ok(());
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(()),
        }
    }
    Ok(())
}

/// A stack as DescribeStacks shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stack {
    /// Its ARN.
    pub id: String,
    /// Its status.
    pub status: String,
    /// Its parameters' names.
    pub parameters: Vec<String>,
}

/// Stack `name` (a name or an ARN), or `None` if CloudFormation does not know it.
pub async fn describe(cloudformation: &Client, name: &str) -> Result<Option<Stack>> {
    let out = cloudformation
        .describe_stacks()
        .stack_name(name)
        .send()
        .await;
    let Some(out) = absent_if_unknown(out.doing(format!("reading stack ({name})")))? else {
        return Ok(None);
    };
    Ok(out.stacks().first().map(|s| Stack {
        id: s.stack_id().unwrap_or(name).to_string(),
        status: s
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        parameters: s
            .parameters()
            .iter()
            .filter_map(|p| p.parameter_key().map(str::to_string))
            .collect(),
    }))
}

/// The capabilities an UpdateStack of a SAM template needs: it creates IAM resources and
/// expands a transform (CloudFormation API Reference, UpdateStack, `Capabilities`).
const CAPABILITIES: [Capability; 3] = [
    Capability::CapabilityIam,
    Capability::CapabilityNamedIam,
    Capability::CapabilityAutoExpand,
];

/// UpdateStack of `stack` with its template and every parameter as it was
/// (`UsePreviousValue`: a parameter left out would take its template default) but `parameter`,
/// which gets `value`.
pub async fn update_parameter(
    cloudformation: &Client,
    stack: &Stack,
    (parameter, value): (&str, &str),
) -> Result<()> {
    let parameters = stack.parameters.iter().map(|key| {
        let p = Parameter::builder().parameter_key(key);
        match key == parameter {
            true => p.parameter_value(value).build(),
            false => p.use_previous_value(true).build(),
        }
    });
    cloudformation
        .update_stack()
        .stack_name(&stack.id)
        .use_previous_template(true)
        .set_parameters(Some(parameters.collect()))
        .set_capabilities(Some(CAPABILITIES.to_vec()))
        .send()
        .await
        .done(format!("updating stack ({})", stack.id))
}

/// A stack event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// Its `EventId`.
    pub id: String,
    /// The resource's logical id (the stack's name for the stack's own events).
    pub logical_id: String,
    /// The resource's PhysicalResourceId, if any.
    pub physical_id: Option<String>,
    /// Its `ResourceStatus`.
    pub status: String,
    /// Its `ResourceStatusReason` (empty: none).
    pub reason: String,
}

/// The id of stack `stack_id`'s newest event (`None` without any): one page read.
pub async fn newest_event_id(cloudformation: &Client, stack_id: &str) -> Result<Option<String>> {
    let mut newest = None;
    walk_events(cloudformation, stack_id, |e| {
        newest = Some(e.id);
        true
    })
    .await?;
    Ok(newest)
}

/// The events of stack `stack_id` newer than event `after` (all, up to [`MAX_EVENT_PAGES`]
/// pages, if `None`), newest first.
pub async fn events_after(
    cloudformation: &Client,
    stack_id: &str,
    after: Option<&str>,
) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    walk_events(cloudformation, stack_id, |e| {
        let seen = after == Some(e.id.as_str());
        if !seen {
            events.push(e);
        }
        seen
    })
    .await?;
    Ok(events)
}
