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
//!   prod-e's `restore` answers) under stack `UPDATE_ROLLBACK_IN_PROGRESS` (CancelUpdateStack:
//!   "the stack proceeds to the UPDATE_ROLLBACK_IN_PROGRESS state").
//! - Delete of a prod-e id: resource `DELETE_IN_PROGRESS` under it; the stack keeps its status.
//! - Delete of any other id: a Create CloudFormation cancelled or gave up on. The resource is
//!   `CREATE_FAILED` ("Resource creation cancelled") and then `DELETE_IN_PROGRESS` under an id
//!   CloudFormation generated, the stack `ROLLBACK_IN_PROGRESS`
//!   (aws-cloudformation/cloudformation-coverage-roadmap#1814, remind101/empire#918,
//!   binxio/cfn-certificate-provider#31). [`generated_id`] makes such an id.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::aws_rules::wire::escape;
use crate::aws_rules::Verdict;

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

/// A stack the tests run: its status and its resources' (status, PhysicalResourceId).
#[derive(Debug, Default)]
struct Stack {
    status: String,
    resources: HashMap<String, (String, Option<String>)>,
}

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
        "Update" if rolls_back(event) => {
            (Some("UPDATE_ROLLBACK_IN_PROGRESS"), "UPDATE_IN_PROGRESS")
        }
        "Update" => (Some("UPDATE_IN_PROGRESS"), "UPDATE_IN_PROGRESS"),
        // A Delete of an id it holds: the stack's own operation goes on (a deletion, a cleanup).
        "Delete" if ours.is_some() => (None, "DELETE_IN_PROGRESS"),
        "Delete" => (Some("ROLLBACK_IN_PROGRESS"), "DELETE_IN_PROGRESS"),
        _ => return,
    };
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    set(
        &stack_id,
        &logical_id,
        stack_status,
        (status.to_string(), id),
    );
}

/// Moves the stack (to `stack_status`, if given) and sets one resource.
fn set(
    stack_id: &str,
    logical_id: &str,
    stack_status: Option<&str>,
    resource: (String, Option<String>),
) {
    let mut all = stacks().lock().expect("stacks");
    let stack = all.entry(stack_id.to_string()).or_default();
    match stack_status {
        Some(status) => stack.status = status.to_string(),
        None if stack.status.is_empty() => stack.status = "DELETE_IN_PROGRESS".to_string(),
        None => {}
    }
    stack.resources.insert(logical_id.to_string(), resource);
}

/// Sets what CloudFormation shows for a stack resource (a test playing a state no event
/// leads to, e.g. a stack deleted while a Create runs).
pub fn show(stack_id: &str, logical_id: &str, shown: Shown) {
    let resource = (shown.status, shown.physical_id);
    set(stack_id, logical_id, Some(&shown.stack_status), resource);
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
fn rolls_back(event: &Value) -> bool {
    let Ok(old) = prod_e::spec::Spec::parse(&event["OldResourceProperties"]) else {
        return false;
    };
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    let old = prod_e::naming::Deployment::new(&stack_id, &logical_id, &old.fingerprint());
    Some(old.physical_id()) != event["PhysicalResourceId"].as_str()
}

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
    let stack_id = form("StackName")?;
    let all = stacks().lock().expect("stacks");
    let stack = all.get(&stack_id)?;
    let body = match action {
        "DescribeStacks" => describe_stacks(&stack_id, &stack.status),
        "DescribeStackResource" => {
            let logical_id = form("LogicalResourceId")?;
            let Some((status, id)) = stack.resources.get(&logical_id) else {
                return Some(Verdict::Refuse(crate::aws_rules::Refusal::new(
                    "ValidationError",
                    format!("Resource {logical_id} does not exist for stack {stack_id}"),
                )));
            };
            describe_stack_resource(&stack_id, &logical_id, (status, id.as_deref()))
        }
        _ => return None,
    };
    Some(Verdict::Answer(body))
}

const NS: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const SOME_TIME: &str = "2026-01-01T00:00:00.000Z";

fn name_of(stack_id: &str) -> &str {
    stack_id.split('/').nth(1).unwrap_or(stack_id)
}

fn describe_stacks(stack_id: &str, status: &str) -> String {
    format!(
        "<DescribeStacksResponse xmlns=\"{NS}\"><DescribeStacksResult><Stacks><member>\
         <StackName>{}</StackName><StackId>{}</StackId><CreationTime>{SOME_TIME}</CreationTime>\
         <StackStatus>{status}</StackStatus></member></Stacks></DescribeStacksResult>\
         <ResponseMetadata><RequestId>player</RequestId></ResponseMetadata></DescribeStacksResponse>",
        escape(name_of(stack_id)),
        escape(stack_id)
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
