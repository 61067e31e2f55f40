//! CloudFormation as the provider sees it: the stacks the tests run, each stack resource's
//! status and PhysicalResourceId as `DescribeStackResource` reports them and each stack's status
//! as `DescribeStacks` does, moved by the events CloudFormation sends. moto cannot run custom
//! resources (they need Docker), so the tests play CloudFormation by hand: every event a test,
//! the demo or the benchmark delivers passes through [`sends`], and the proxy answers those two
//! reads for a stack that has sent one ([`answer`]); any other stack is moto's.
//!
//! What each event means, as the CloudFormation User Guide and public reports describe it:
//! - Create: resource `CREATE_IN_PROGRESS` with no id, stack `CREATE_IN_PROGRESS`.
//! - Update: resource `UPDATE_IN_PROGRESS` under the id sent, stack `UPDATE_IN_PROGRESS`; a
//!   rollback Update (old properties that make another set than the id sent, the shape
//!   prod-e's `restore` answers, or any Update after one answered FAILED) under stack
//!   `UPDATE_ROLLBACK_IN_PROGRESS` (CancelUpdateStack: "the stack proceeds to the
//!   UPDATE_ROLLBACK_IN_PROGRESS state").
//! - Delete of a prod-e id: resource `DELETE_IN_PROGRESS` under it; the stack keeps its status.
//!   When the resource holds another id (the Delete is the cleanup after a replacement, or of
//!   a failed replacement's set after the rollback), the stack turns
//!   `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` (`UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS`) and
//!   the resource stays (aws-cdk `docs/CLOUDFORMATION.md`; Delete request type, CloudFormation
//!   User Guide).
//! - Every answer ([`answered`]): the resource turns `CREATE_COMPLETE` / `UPDATE_COMPLETE` /
//!   `DELETE_COMPLETE` under the id answered, or `*_FAILED`; a failed Create rolls the stack
//!   back (`ROLLBACK_IN_PROGRESS`), a failed Update too (`UPDATE_ROLLBACK_IN_PROGRESS`).
//! - Every change of the stack's or a resource's status is a stack event, answered by
//!   `DescribeStackEvents` newest first.
//! - Delete of any other id: a Create CloudFormation cancelled or gave up on. The resource is
//!   `CREATE_FAILED` ("Resource creation cancelled") and then `DELETE_IN_PROGRESS` under an id
//!   CloudFormation generated, the stack `ROLLBACK_IN_PROGRESS`
//!   (aws-cloudformation/cloudformation-coverage-roadmap#1814, remind101/empire#918,
//!   binxio/cfn-certificate-provider#31). [`generated_id`] makes such an id.

mod rollback;
pub mod update_stack;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::aws_rules::verdict::Verdict;
use crate::aws_rules::wire::escape;

/// One stack resource as CloudFormation shows it, with its stack's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The stack's status.
    pub stack_status: String,
    /// The resource's status.
    pub status: String,
    /// Its PhysicalResourceId, once it has one.
    pub physical_id: Option<String>,
}

/// A stack the tests run: its status and its resources' (status, PhysicalResourceId), and
/// every change of either as a stack event, oldest first.
#[derive(Debug, Default)]
struct Stack {
    status: String,
    resources: HashMap<String, (String, Option<String>)>,
    /// (LogicalResourceId, PhysicalResourceId, ResourceStatus, ResourceStatusReason); the
    /// stack's own events have no logical id here (the stack's name in the answer) and its ARN
    /// as physical id.
    events: Vec<Event>,
    /// Its template's parameters, for a stack an operator updates ([`update_stack`]).
    template: Option<update_stack::Template>,
}

/// One stack event: (LogicalResourceId, PhysicalResourceId, ResourceStatus, reason).
type Event = (Option<String>, Option<String>, String, String);

/// Stack ARN → the stack.
fn stacks() -> &'static Mutex<HashMap<String, Stack>> {
    static STACKS: OnceLock<Mutex<HashMap<String, Stack>>> = OnceLock::new();
    STACKS.get_or_init(Default::default)
}

fn text(event: &Value, key: &str) -> String {
    event[key].as_str().unwrap_or_default().to_string()
}

/// CloudFormation sends `event`: the stack and its resource move as the event says. A
/// continuation (the provider's own payload) moves nothing.
pub fn sends(event: &Value) {
    if event.get(prod_e::continuation::KEY).is_some() {
        return;
    }
    let id = event["PhysicalResourceId"].as_str().map(str::to_string);
    let ours = id.as_deref().and_then(prod_e::naming::Deployment::parse);
    let (stack_status, status) = match text(event, "RequestType").as_str() {
        "Create" => (Some("CREATE_IN_PROGRESS"), "CREATE_IN_PROGRESS"),
        "Update" if rollback::rolls_back(event) || rollback::after_failure(event) => {
            (Some("UPDATE_ROLLBACK_IN_PROGRESS"), "UPDATE_IN_PROGRESS")
        }
        "Update" => (Some("UPDATE_IN_PROGRESS"), "UPDATE_IN_PROGRESS"),
        // The cleanup Delete of a set a replacement (or a rollback) left behind: the resource
        // keeps the id CloudFormation now holds.
        "Delete" if ours.is_some() && cleans_up(event) => return clean_up(event),
        // A Delete of an id it holds: the stack's own operation goes on (a deletion).
        "Delete" if ours.is_some() => (None, "DELETE_IN_PROGRESS"),
        "Delete" => (Some("ROLLBACK_IN_PROGRESS"), "DELETE_IN_PROGRESS"),
        _ => return,
    };
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    if stack_status == Some("UPDATE_IN_PROGRESS") {
        // Each forward Update is a stack operation of its own (the tests' stacks have one
        // custom resource): its start is an event even when the status does not change.
        starts(&stack_id, "UPDATE_IN_PROGRESS");
    }
    set(
        &stack_id,
        &logical_id,
        stack_status,
        ((status.to_string(), id), ""),
    );
}

/// The stack enters `status`, an event of its own.
pub(crate) fn starts(stack_id: &str, status: &str) {
    let mut all = stacks().lock().expect("stacks");
    let stack = all.entry(stack_id.to_string()).or_default();
    stack.status = status.to_string();
    let own = (
        None,
        Some(stack_id.to_string()),
        status.to_string(),
        String::new(),
    );
    stack.events.push(own);
}

/// Whether a Delete is CloudFormation's cleanup of an id it no longer holds: the resource
/// shows another id, its Update complete.
fn cleans_up(event: &Value) -> bool {
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    current(&stack_id, &logical_id).is_some_and(|shown| {
        shown.status == "UPDATE_COMPLETE"
            && shown.physical_id.as_deref() != event["PhysicalResourceId"].as_str()
    })
}

/// The stack enters its cleanup phase: `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`, or
/// `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` after a rollback (the CloudFormation User
/// Guide's stack status codes); the resource is left as it is.
fn clean_up(event: &Value) {
    let stack_id = text(event, "StackId");
    let rolled_back = current_status(&stack_id).starts_with("UPDATE_ROLLBACK");
    let status = match rolled_back {
        true => "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        false => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    };
    starts(&stack_id, status);
}

fn current_status(stack_id: &str) -> String {
    let all = stacks().lock().expect("stacks");
    all.get(stack_id)
        .map(|s| s.status.clone())
        .unwrap_or_default()
}

/// CloudFormation reads `response`, the answer to `event`: the resource is complete or failed
/// under the id answered, and a failure rolls the stack back.
pub fn answered(event: &Value, response: &Value) {
    if event.get(prod_e::continuation::KEY).is_some() {
        return;
    }
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    let Some(shown) = current(&stack_id, &logical_id) else {
        return;
    };
    // CloudFormation reads only the answer it waits for: to the operation it still runs.
    let waits = match text(event, "RequestType").as_str() {
        "Create" => shown.status == "CREATE_IN_PROGRESS",
        kind => {
            shown.status == format!("{}_IN_PROGRESS", kind.to_uppercase())
                && shown.physical_id.as_deref() == event["PhysicalResourceId"].as_str()
        }
    };
    if !waits {
        return;
    }
    let id = response["PhysicalResourceId"].as_str().map(str::to_string);
    let success = response["Status"] == "SUCCESS";
    let (stack_status, status) = match (text(event, "RequestType").as_str(), success) {
        // The stack completes only with its last resource: its status stays.
        ("Create", true) => (None, "CREATE_COMPLETE"),
        ("Create", false) => (Some("ROLLBACK_IN_PROGRESS"), "CREATE_FAILED"),
        ("Update", true) => (None, "UPDATE_COMPLETE"),
        ("Update", false) if shown.stack_status == "UPDATE_IN_PROGRESS" => {
            (Some("UPDATE_ROLLBACK_IN_PROGRESS"), "UPDATE_FAILED")
        }
        ("Update", false) => (Some("UPDATE_ROLLBACK_FAILED"), "UPDATE_FAILED"),
        ("Delete", true) => (None, "DELETE_COMPLETE"),
        ("Delete", false) => (None, "DELETE_FAILED"),
        _ => return,
    };
    let reason = response["Reason"].as_str().filter(|_| !success);
    set(
        &stack_id,
        &logical_id,
        stack_status,
        ((status.to_string(), id), reason.unwrap_or_default()),
    );
}

/// Moves the stack (to `stack_status`, if given) and sets one resource (`reason`: why it
/// failed, for its event).
fn set(
    stack_id: &str,
    logical_id: &str,
    stack_status: Option<&str>,
    (resource, reason): ((String, Option<String>), &str),
) {
    let mut all = stacks().lock().expect("stacks");
    let stack = all.entry(stack_id.to_string()).or_default();
    let before = stack.status.clone();
    match stack_status {
        Some(status) => stack.status = status.to_string(),
        None if stack.status.is_empty() => stack.status = "DELETE_IN_PROGRESS".to_string(),
        None => {}
    }
    if stack.status != before {
        let own = (
            None,
            Some(stack_id.to_string()),
            stack.status.clone(),
            String::new(),
        );
        stack.events.push(own);
    }
    if stack.resources.get(logical_id) != Some(&resource) {
        let (status, id) = resource.clone();
        let reason = reason.to_string();
        stack
            .events
            .push((Some(logical_id.to_string()), id, status, reason));
    }
    stack.resources.insert(logical_id.to_string(), resource);
}

/// Sets what CloudFormation shows for a stack resource (a test playing a state no event
/// leads to, e.g. a stack deleted while a Create runs).
pub fn show(stack_id: &str, logical_id: &str, shown: Shown) {
    let resource = (shown.status, shown.physical_id);
    set(
        stack_id,
        logical_id,
        Some(&shown.stack_status),
        (resource, ""),
    );
}

/// What CloudFormation shows for a stack resource, if its stack has sent an event.
pub fn current(stack_id: &str, logical_id: &str) -> Option<Shown> {
    let all = stacks().lock().expect("stacks");
    let stack = all.get(stack_id)?;
    let (status, physical_id) = stack.resources.get(logical_id)?.clone();
    Some(Shown {
        stack_status: stack.status.clone(),
        status,
        physical_id,
    })
}

/// An Update whose old properties make another set than the id it is sent for: CloudFormation
/// rolling a failed replacement back.
/// A PhysicalResourceId as CloudFormation generates it for a resource it gave none:
/// `<stack name>-<logical id>-<12 upper-case letters and digits>` (the shape of its generated
/// names, CloudFormation User Guide, "Name type").
pub fn generated_id(stack_id: &str, logical_id: &str) -> String {
    let name = stack_id.split('/').nth(1).unwrap_or("stack");
    let random: String = crate::unique()
        .to_uppercase()
        .chars()
        .chain(std::iter::repeat('X'))
        .take(12)
        .collect();
    format!("{name}-{logical_id}-{random}")
}

/// The answer to `action` with `form` (query parameters), for a stack the tests run; `None`
/// for any other (moto answers).
pub fn answer(action: &str, form: &dyn Fn(&str) -> Option<String>) -> Option<Verdict> {
    let named = form("StackName")?;
    let mut all = stacks().lock().expect("stacks");
    let stack_id = all
        .keys()
        .find(|id| **id == named || name_of(id) == named)?
        .clone();
    let stack = all.get_mut(&stack_id)?;
    let body = match action {
        "UpdateStack" => return Some(update_stack::answer(&stack_id, stack, form)),
        "DescribeStacks" => describe_stacks(&stack_id, stack),
        "DescribeStackResource" => {
            let logical_id = form("LogicalResourceId")?;
            let Some((status, id)) = stack.resources.get(&logical_id) else {
                return Some(Verdict::Refuse(crate::aws_rules::verdict::Refusal::new(
                    "ValidationError",
                    format!("Resource {logical_id} does not exist for stack {stack_id}"),
                )));
            };
            describe_stack_resource(&stack_id, &logical_id, (status, id.as_deref()))
        }
        "DescribeStackEvents" => describe_stack_events(&stack_id, &stack.events),
        _ => return None,
    };
    Some(Verdict::Answer(body))
}

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const SOME_TIME: &str = "2026-01-01T00:00:00.000Z";

fn name_of(stack_id: &str) -> &str {
    stack_id.split('/').nth(1).unwrap_or(stack_id)
}

fn describe_stacks(stack_id: &str, stack: &Stack) -> String {
    let parameters = stack.template.as_ref().map(update_stack::Template::members);
    format!(
        "<DescribeStacksResponse xmlns=\"{NS}\"><DescribeStacksResult><Stacks><member>\
         <StackName>{}</StackName><StackId>{}</StackId><CreationTime>{SOME_TIME}</CreationTime>\
         <StackStatus>{}</StackStatus>{}</member></Stacks></DescribeStacksResult>\
         <ResponseMetadata><RequestId>player</RequestId></ResponseMetadata></DescribeStacksResponse>",
        escape(name_of(stack_id)),
        escape(stack_id),
        stack.status,
        parameters.unwrap_or_default()
    )
}

fn describe_stack_resource(
    stack_id: &str,
    logical_id: &str,
    (status, physical_id): (&str, Option<&str>),
) -> String {
    let physical = physical_id
        .map(|id| format!("<PhysicalResourceId>{}</PhysicalResourceId>", escape(id)))
        .unwrap_or_default();
    format!(
        "<DescribeStackResourceResponse xmlns=\"{NS}\"><DescribeStackResourceResult>\
         <StackResourceDetail><StackName>{}</StackName><StackId>{}</StackId>\
         <LogicalResourceId>{}</LogicalResourceId>{physical}\
         <ResourceType>Custom::ProdEService</ResourceType>\
         <LastUpdatedTimestamp>{SOME_TIME}</LastUpdatedTimestamp>\
         <ResourceStatus>{}</ResourceStatus></StackResourceDetail>\
         </DescribeStackResourceResult><ResponseMetadata><RequestId>player</RequestId>\
         </ResponseMetadata></DescribeStackResourceResponse>",
        escape(name_of(stack_id)),
        escape(stack_id),
        escape(logical_id),
        status
    )
}

/// The stack's events, newest first, in one page (CloudFormation API Reference,
/// DescribeStackEvents: "in reverse chronological order").
fn describe_stack_events(stack_id: &str, events: &[Event]) -> String {
    let name = escape(name_of(stack_id));
    let members: String = events
        .iter()
        .enumerate()
        .rev()
        .map(|(n, (logical_id, physical_id, status, reason))| {
            let (logical, kind) = match logical_id {
                Some(l) => (escape(l), "Custom::ProdEService"),
                None => (name.clone(), "AWS::CloudFormation::Stack"),
            };
            let physical = physical_id
                .as_deref()
                .map(|id| format!("<PhysicalResourceId>{}</PhysicalResourceId>", escape(id)))
                .unwrap_or_default();
            let reason = match reason.is_empty() {
                true => String::new(),
                false => format!(
                    "<ResourceStatusReason>{}</ResourceStatusReason>",
                    escape(reason)
                ),
            };
            format!(
                "<member><StackId>{}</StackId><EventId>{n}</EventId><StackName>{name}</StackName>\
                 <LogicalResourceId>{logical}</LogicalResourceId>{physical}\
                 <ResourceType>{kind}</ResourceType><Timestamp>{SOME_TIME}</Timestamp>\
                 <ResourceStatus>{status}</ResourceStatus>{reason}</member>",
                escape(stack_id)
            )
        })
        .collect();
    format!(
        "<DescribeStackEventsResponse xmlns=\"{NS}\"><DescribeStackEventsResult><StackEvents>\
         {members}</StackEvents></DescribeStackEventsResult><ResponseMetadata><RequestId>player\
         </RequestId></ResponseMetadata></DescribeStackEventsResponse>"
    )
}
