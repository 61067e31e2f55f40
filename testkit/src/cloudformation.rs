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

/// One stack resource as CloudFormation shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The stack's status.
    pub stack_status: String,
    /// The resource's status.
    pub status: String,
    /// Its PhysicalResourceId, once it has one.
    pub physical_id: Option<String>,
}

/// (stack ARN, logical id) → what CloudFormation shows.
fn stacks() -> &'static Mutex<HashMap<(String, String), Shown>> {
    static STACKS: OnceLock<Mutex<HashMap<(String, String), Shown>>> = OnceLock::new();
    STACKS.get_or_init(Default::default)
}

/// CloudFormation sends `event`: the stack and its resource move as the event says. A
/// continuation (the provider's own payload) moves nothing.
pub fn sends(event: &Value) {
    if event.get(prod_e::continuation::KEY).is_some() {
        return;
    }
    let text = |k: &str| event[k].as_str().unwrap_or_default().to_string();
    let id = event["PhysicalResourceId"].as_str().map(str::to_string);
    let shown = match text("RequestType").as_str() {
        "Create" => shown("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", None),
        "Update" if rolls_back(event) => {
            shown("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_IN_PROGRESS", id)
        }
        "Update" => shown("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", id),
        "Delete"
            if id
                .as_deref()
                .and_then(prod_e::naming::Deployment::parse)
                .is_some() =>
        {
            let stack_status = current(&text("StackId"), &text("LogicalResourceId"))
                .map_or("DELETE_IN_PROGRESS".to_string(), |s| s.stack_status);
            Shown {
                stack_status,
                status: "DELETE_IN_PROGRESS".into(),
                physical_id: id,
            }
        }
        "Delete" => shown("ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", id),
        _ => return,
    };
    show(&text("StackId"), &text("LogicalResourceId"), shown);
}

fn shown(stack_status: &str, status: &str, physical_id: Option<String>) -> Shown {
    Shown {
        stack_status: stack_status.into(),
        status: status.into(),
        physical_id,
    }
}

/// Sets what CloudFormation shows for a stack resource (a test playing a state no event
/// leads to, e.g. a stack deleted while a Create runs).
pub fn show(stack_id: &str, logical_id: &str, shown: Shown) {
    let key = (stack_id.to_string(), logical_id.to_string());
    stacks().lock().expect("stacks").insert(key, shown);
}

/// What CloudFormation shows for a stack resource, if its stack has sent an event.
pub fn current(stack_id: &str, logical_id: &str) -> Option<Shown> {
    let key = (stack_id.to_string(), logical_id.to_string());
    stacks().lock().expect("stacks").get(&key).cloned()
}

/// An Update whose old properties make another set than the id it is sent for: CloudFormation
/// rolling a failed replacement back.
fn rolls_back(event: &Value) -> bool {
    let text = |k: &str| event[k].as_str().unwrap_or_default().to_string();
    let Ok(old) = prod_e::spec::Spec::parse(&event["OldResourceProperties"]) else {
        return false;
    };
    let (stack, logical) = (text("StackId"), text("LogicalResourceId"));
    let old = prod_e::naming::Deployment::new(&stack, &logical, &old.fingerprint());
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
    let all = stacks().lock().expect("stacks").clone();
    let mut resources = all.iter().filter(|((s, _), _)| *s == stack_id);
    let body = match action {
        "DescribeStacks" => {
            let (_, shown) = resources.next()?;
            describe_stacks(&stack_id, &shown.stack_status)
        }
        "DescribeStackResource" => {
            let logical_id = form("LogicalResourceId")?;
            resources.next()?;
            match all.get(&(stack_id.clone(), logical_id.clone())) {
                Some(shown) => describe_stack_resource(&stack_id, &logical_id, shown),
                None => {
                    return Some(Verdict::Refuse(crate::aws_rules::Refusal::new(
                        "ValidationError",
                        format!("Resource {logical_id} does not exist for stack {stack_id}"),
                    )))
                }
            }
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

fn describe_stack_resource(stack_id: &str, logical_id: &str, shown: &Shown) -> String {
    let physical = shown
        .physical_id
        .as_deref()
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
        shown.status
    )
}
