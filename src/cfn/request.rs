//! Custom-resource events: the envelope needed to answer, and the typed request.

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest as Typed;
use serde_json::Value;

/// The prefix of the resource types a template may give a custom resource; this provider
/// serves any of them (`Custom::ProdEService` is the documented one).
pub const CUSTOM_TYPE_PREFIX: &str = "Custom::";
/// The generic custom resource type, also served.
pub const GENERIC_TYPE: &str = "AWS::CloudFormation::CustomResource";

/// Whether a `ResourceType` is one this provider serves: `Custom::<name>` or [`GENERIC_TYPE`].
pub fn serves(resource_type: &str) -> bool {
    let custom = resource_type
        .strip_prefix(CUSTOM_TYPE_PREFIX)
        .is_some_and(|name| !name.is_empty());
    custom || resource_type == GENERIC_TYPE
}

/// Whether the event asks for a Delete, read from its raw JSON (for an event that does not
/// parse, whose Delete must still never block a stack's deletion).
pub fn is_delete(event: &Value) -> bool {
    event.get("RequestType").and_then(Value::as_str) == Some("Delete")
}

/// The fields every answer needs, read before anything else can go wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The presigned S3 URL the answer is PUT to (never logged: it carries a signature).
    pub response_url: String,
    /// The stack's ARN.
    pub stack_id: String,
    /// CloudFormation's id of this request (the same when it is re-delivered).
    pub request_id: String,
    /// The resource's logical id in the template.
    pub logical_id: String,
    /// The PhysicalResourceId, on Update and Delete.
    pub physical_id: Option<String>,
}

/// What CloudFormation asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// Create the resource.
    Create,
    /// Update the resource `physical_id` from `old_properties` to the request's properties.
    Update {
        /// The id the resource has now.
        physical_id: String,
        /// The properties before this Update.
        old_properties: Value,
    },
    /// Delete the resource `physical_id`.
    Delete {
        /// The id the resource has now.
        physical_id: String,
    },
}

/// A well-formed request for a resource type we serve.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What every answer needs.
    pub envelope: Envelope,
    /// What is asked for.
    pub operation: Operation,
    /// `ResourceProperties`, as sent (scalars may be strings).
    pub properties: Value,
}

impl Envelope {
    /// Reads the envelope; an event without one cannot be answered at all.
    pub fn read(event: &Value) -> Result<Envelope, String> {
        let text = |key: &str| {
            event
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let missing: Vec<&str> = ["ResponseURL", "StackId", "RequestId", "LogicalResourceId"]
            .into_iter()
            .filter(|k| text(k).is_none())
            .collect();
        if !event.is_object() {
            return Err("the event is not a JSON object".to_string());
        }
        if !missing.is_empty() {
            return Err(format!(
                "not a CloudFormation custom resource event: missing {}",
                missing.join(", ")
            ));
        }
        Ok(Envelope {
            response_url: text("ResponseURL").unwrap_or_default(),
            stack_id: text("StackId").unwrap_or_default(),
            request_id: text("RequestId").unwrap_or_default(),
            logical_id: text("LogicalResourceId").unwrap_or_default(),
            physical_id: text("PhysicalResourceId"),
        })
    }
}

impl Request {
    /// Parses a whole event with `aws_lambda_events`' types. The error is a Reason for FAILED.
    pub fn parse(event: Value, envelope: Envelope) -> Result<Request, String> {
        let typed: Typed = serde_json::from_value(event)
            .map_err(|e| format!("malformed CloudFormation event: {e}"))?;
        let (resource_type, operation, properties) = match typed {
            Typed::Create(r) => (r.resource_type, Operation::Create, r.resource_properties),
            Typed::Update(r) => (
                r.resource_type,
                Operation::Update {
                    physical_id: r.physical_resource_id,
                    old_properties: r.old_resource_properties,
                },
                r.resource_properties,
            ),
            Typed::Delete(r) => (
                r.resource_type,
                Operation::Delete {
                    physical_id: r.physical_resource_id,
                },
                r.resource_properties,
            ),
            _ => return Err("unsupported RequestType".to_string()),
        };
        if !serves(&resource_type) {
            return Err(format!(
                "this provider serves {CUSTOM_TYPE_PREFIX}<name> and {GENERIC_TYPE}, not \
                     {resource_type:?}"
            ));
        }
        Ok(Request {
            envelope,
            operation,
            properties,
        })
    }

    /// The RequestType, for logs.
    pub fn kind(&self) -> &'static str {
        match self.operation {
            Operation::Create => "Create",
            Operation::Update { .. } => "Update",
            Operation::Delete { .. } => "Delete",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str) -> Value {
        json!({
            "RequestType": kind,
            "ResponseURL": concat!(
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com",
                "/x?X-Amz-Signature=s"
            ),
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
            "RequestId": "r1",
            "ResourceType": "Custom::ProdEService",
            "LogicalResourceId": "Svc",
            "PhysicalResourceId": "prod-e-0123456789",
            "ResourceProperties": {"VpcId": "vpc-1"},
            "OldResourceProperties": {"VpcId": "vpc-0"},
        })
    }

    fn parse(e: Value) -> Result<Request, String> {
        let env = Envelope::read(&e)?;
        Request::parse(e, env)
    }

    #[test]
    fn reads_each_operation() {
        assert_eq!(parse(event("Create")).unwrap().operation, Operation::Create);
        assert_eq!(
            parse(event("Update")).unwrap().operation,
            Operation::Update {
                physical_id: "prod-e-0123456789".into(),
                old_properties: json!({"VpcId": "vpc-0"})
            }
        );
        assert_eq!(
            parse(event("Delete")).unwrap().operation,
            Operation::Delete {
                physical_id: "prod-e-0123456789".into()
            }
        );
    }

    #[test]
    fn an_event_without_envelope_cannot_be_answered() {
        assert!(Envelope::read(&json!("hello")).is_err());
        let mut e = event("Create");
        e.as_object_mut().unwrap().remove("ResponseURL");
        assert!(Envelope::read(&e).unwrap_err().contains("ResponseURL"));
    }

    #[test]
    fn unknown_request_type_and_resource_type_are_reasons() {
        assert!(parse(event("Explode")).unwrap_err().contains("malformed"));
        let mut e = event("Create");
        e["ResourceType"] = json!("AWS::S3::Bucket");
        assert!(parse(e).unwrap_err().contains("AWS::S3::Bucket"));
    }

    #[test]
    fn any_custom_type_name_is_served() {
        for served in [
            "Custom::ProdEService",
            "Custom::MyService",
            "AWS::CloudFormation::CustomResource",
        ] {
            let mut e = event("Create");
            e["ResourceType"] = json!(served);
            assert!(parse(e).is_ok(), "{served}");
        }
        for refused in ["Custom::", "AWS::ECS::Service", "custom::x"] {
            assert!(!serves(refused), "{refused}");
        }
    }
}
