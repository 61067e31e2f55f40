//! UpdateStack of a stack the tests run (`prod-e deploy`), and the stack update it starts,
//! played: the stack's template takes some of the custom resource's properties from its
//! parameters ([`deployed`]); an UpdateStack that keeps the template and changes parameters
//! moves the stack to `UPDATE_IN_PROGRESS` and is played by [`play`], which sends the
//! provider the Update CloudFormation would (the properties the new parameter values make),
//! then the cleanup Delete of a replaced set and `UPDATE_COMPLETE`, or, on FAILED, the
//! rollback Update to the old properties and `UPDATE_ROLLBACK_COMPLETE`.
//!
//! Sources: CloudFormation API Reference, UpdateStack (`UsePreviousTemplate`,
//! `Parameter.UsePreviousValue`: a parameter left out takes its template default, not its
//! previous value; `Capabilities`: `CAPABILITY_AUTO_EXPAND` for a template with a transform
//! such as AWS::Serverless, else `InsufficientCapabilitiesException`; "No updates are to be
//! performed"; a stack whose operation runs "is in UPDATE_IN_PROGRESS state and can not be
//! updated"); CloudFormation User Guide, "Update behaviors of stack resources" (the cleanup
//! phase, the rollback).

use std::collections::BTreeMap;
use std::future::Future;

use serde_json::Value;

use super::{answered, escape, sends, show, stacks, starts, Shown, Stack, NS};
use crate::aws_rules::verdict::{Refusal, Verdict};

/// A stack's template, as far as its update is concerned.
#[derive(Debug, Clone)]
pub struct Template {
    /// Parameter → the custom resource property it gives its value to.
    parameters: BTreeMap<String, String>,
    /// The custom resource's logical id and properties now.
    resource: (String, Value),
    /// The properties an UpdateStack asked for and [`play`] has not played yet.
    requested: Option<Value>,
}

impl Template {
    /// The stack's parameters as DescribeStacks lists them.
    pub fn members(&self) -> String {
        let members: String = self
            .parameters
            .iter()
            .map(|(key, property)| {
                let value = self.resource.1[property].as_str().unwrap_or_default();
                format!(
                    "<member><ParameterKey>{}</ParameterKey><ParameterValue>{}</ParameterValue>\
                     </member>",
                    escape(key),
                    escape(value)
                )
            })
            .collect();
        format!("<Parameters>{members}</Parameters>")
    }
}

/// Stack `stack_id`'s custom resource `logical_id` has `properties`, each of `parameters`
/// (template parameter, property) giving one of them its value, and the stack's Create or
/// Update is complete (the stack's last resource done): an operator may update it.
pub fn deployed(stack_id: &str, logical_id: &str, properties: &Value, parameters: &[(&str, &str)]) {
    let status = super::current_status(stack_id);
    if let Some(operation) = ["CREATE", "UPDATE"]
        .iter()
        .find(|o| status == format!("{o}_IN_PROGRESS"))
    {
        starts(stack_id, &format!("{operation}_COMPLETE"));
    }
    let mut all = stacks().lock().expect("stacks");
    let stack = all.entry(stack_id.to_string()).or_default();
    stack.template = Some(Template {
        parameters: parameters
            .iter()
            .map(|(p, property)| (p.to_string(), property.to_string()))
            .collect(),
        resource: (logical_id.to_string(), properties.clone()),
        requested: None,
    });
}

/// The answer to UpdateStack of `stack_id`, as CloudFormation gives it.
pub(super) fn answer(
    stack_id: &str,
    stack: &mut Stack,
    form: &dyn Fn(&str) -> Option<String>,
) -> Verdict {
    let refused =
        |code: &'static str, message: String| Verdict::Refuse(Refusal::new(code, message));
    if stack.status.ends_with("_IN_PROGRESS") {
        let message = format!(
            "Stack:{stack_id} is in {} state and can not be updated.",
            stack.status
        );
        return refused("ValidationError", message);
    }
    let Some(template) = stack.template.as_mut() else {
        return refused(
            "ValidationError",
            "the test world has no template of this stack".into(),
        );
    };
    if form("UsePreviousTemplate").as_deref() != Some("true") {
        return refused(
            "ValidationError",
            "the test world plays UsePreviousTemplate only".into(),
        );
    }
    let capabilities: Vec<String> = (1..)
        .map_while(|i| form(&format!("Capabilities.member.{i}")))
        .collect();
    if !capabilities.iter().any(|c| c == "CAPABILITY_AUTO_EXPAND") {
        let message = "Requires capabilities : [CAPABILITY_AUTO_EXPAND]".to_string();
        return refused("InsufficientCapabilitiesException", message);
    }
    let requested = match properties_asked(template, form) {
        Ok(properties) => properties,
        Err(message) => return refused("ValidationError", message),
    };
    template.requested = Some(requested);
    // The stack's own UPDATE_IN_PROGRESS event comes with the Update it sends ([`play`]).
    stack.status = "UPDATE_IN_PROGRESS".into();
    Verdict::Answer(format!(
        "<UpdateStackResponse xmlns=\"{NS}\"><UpdateStackResult><StackId>{}</StackId>\
         </UpdateStackResult><ResponseMetadata><RequestId>player</RequestId></ResponseMetadata>\
         </UpdateStackResponse>",
        escape(stack_id)
    ))
}

/// The properties the UpdateStack's parameters make: every parameter given, by value or as
/// `UsePreviousValue`; some value changed.
fn properties_asked(
    template: &Template,
    form: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, String> {
    let mut properties = template.resource.1.clone();
    let mut given = Vec::new();
    for i in 1.. {
        let Some(key) = form(&format!("Parameters.member.{i}.ParameterKey")) else {
            break;
        };
        let Some(property) = template.parameters.get(&key) else {
            return Err(format!("Parameters: [{key}] do not exist in the template"));
        };
        let previous = form(&format!("Parameters.member.{i}.UsePreviousValue"));
        if previous.as_deref() != Some("true") {
            let value = form(&format!("Parameters.member.{i}.ParameterValue")).unwrap_or_default();
            properties[property] = Value::String(value);
        }
        given.push(key);
    }
    let missing: Vec<&String> = template
        .parameters
        .keys()
        .filter(|k| !given.contains(k))
        .collect();
    if !missing.is_empty() {
        return Err(format!("Parameters: {missing:?} must have values"));
    }
    if properties == template.resource.1 {
        return Err("No updates are to be performed.".into());
    }
    Ok(properties)
}

/// Plays the stack update an UpdateStack of `stack` started, once one was asked for, sending
/// each event through `invoke` (which delivers it and returns the response that reached the
/// ResponseURL); returns the Update's response.
pub async fn play<F, Fut>(stack: &crate::stack::Stack, mut invoke: F) -> Value
where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Value>,
{
    let (old, new) = requested(&stack.id).await;
    let id = super::current(&stack.id, &stack.logical_id)
        .and_then(|s| s.physical_id)
        .unwrap_or_default();
    let update = stack.update(&id, &old, &new);
    sends(&update);
    let response = invoke(update.clone()).await;
    answered(&update, &response);
    let now = match response["Status"] == "SUCCESS" {
        true => {
            completes(stack, (&id, &old), &response, &mut invoke).await;
            new
        }
        false => {
            rolls_back(stack, &id, (&new, &old), &mut invoke).await;
            old
        }
    };
    let mut all = stacks().lock().expect("stacks");
    if let Some(template) = all.get_mut(&stack.id).and_then(|s| s.template.as_mut()) {
        template.resource.1 = now;
    }
    response
}

/// The (old, new) properties of the UpdateStack asked for on `stack_id`, once there is one.
async fn requested(stack_id: &str) -> (Value, Value) {
    let take = || {
        let mut all = stacks().lock().expect("stacks");
        let template = all.get_mut(stack_id)?.template.as_mut()?;
        let new = template.requested.take()?;
        Some((template.resource.1.clone(), new))
    };
    let mut found = None;
    crate::patience::until("an UpdateStack", || {
        found = found.take().or_else(take);
        found.is_some()
    })
    .await;
    found.unwrap_or_default()
}

/// A successful Update: the cleanup Delete of the set it replaced, if it did, then
/// `UPDATE_COMPLETE`.
async fn completes<F, Fut>(
    stack: &crate::stack::Stack,
    (old_id, old): (&str, &Value),
    response: &Value,
    invoke: &mut F,
) where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Value>,
{
    if response["PhysicalResourceId"].as_str() != Some(old_id) {
        let cleanup = stack.delete(old_id, old);
        sends(&cleanup);
        let removed = invoke(cleanup.clone()).await;
        answered(&cleanup, &removed);
    }
    starts(&stack.id, "UPDATE_COMPLETE");
}

/// A failed Update: CloudFormation's rollback Update to `old` under `id`, then
/// `UPDATE_ROLLBACK_COMPLETE` (or `UPDATE_ROLLBACK_FAILED`).
async fn rolls_back<F, Fut>(
    stack: &crate::stack::Stack,
    id: &str,
    (failed, old): (&Value, &Value),
    invoke: &mut F,
) where
    F: FnMut(Value) -> Fut,
    Fut: Future<Output = Value>,
{
    let back = stack.roll_back(id, failed, old);
    let shown = Shown {
        stack_status: "UPDATE_ROLLBACK_IN_PROGRESS".into(),
        status: "UPDATE_IN_PROGRESS".into(),
        physical_id: Some(id.to_string()),
    };
    show(&stack.id, &stack.logical_id, shown);
    let response = invoke(back.clone()).await;
    answered(&back, &response);
    let status = match response["Status"] == "SUCCESS" {
        true => "UPDATE_ROLLBACK_COMPLETE",
        false => "UPDATE_ROLLBACK_FAILED",
    };
    starts(&stack.id, status);
}
