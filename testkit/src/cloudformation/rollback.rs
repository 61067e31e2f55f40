//! Which Updates CloudFormation sends while rolling back: the Update back to the set a
//! failed replacement replaced, and any Update of a resource whose Update failed.

use serde_json::Value;

use super::{stacks, text};

/// Whether `event` is an Update of a resource whose Update failed, its stack rolling back:
/// the Update CloudFormation sends then is the rollback (CloudFormation User Guide, "Update
/// rollback": the stack is `UPDATE_ROLLBACK_IN_PROGRESS` while it sends each resource its
/// previous properties).
pub(super) fn after_failure(event: &Value) -> bool {
    let all = stacks().lock().expect("stacks");
    let stack = all.get(&text(event, "StackId"));
    stack.is_some_and(|s| {
        let resource = s.resources.get(&text(event, "LogicalResourceId"));
        s.status == "UPDATE_ROLLBACK_IN_PROGRESS"
            && resource.is_some_and(|(status, _)| status == "UPDATE_FAILED")
    })
}

/// Whether `event` is the Update back to the set a failed replacement replaced: its old
/// properties make another set than the id it is sent under.
pub(super) fn rolls_back(event: &Value) -> bool {
    let Ok(old) = prod_e::spec::Spec::parse(&event["OldResourceProperties"]) else {
        return false;
    };
    let (stack_id, logical_id) = (text(event, "StackId"), text(event, "LogicalResourceId"));
    let old = prod_e::naming::Deployment::new(&stack_id, &logical_id, &old.fingerprint());
    Some(old.physical_id()) != event["PhysicalResourceId"].as_str()
}
