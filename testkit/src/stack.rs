//! A CloudFormation stack in a test ([`Stack`]): the events CloudFormation would send for
//! its one `Custom::ProdEService`, and what CloudFormation shows of it.

use serde_json::{json, Value};

use crate::{cloudformation, s3, unique, ACCOUNT, REGION};

/// A CloudFormation stack in a test: its ARN and the logical id of our resource.
#[derive(Debug, Clone)]
pub struct Stack {
    pub id: String,
    pub logical_id: String,
}

impl Stack {
    pub fn new(name: &str) -> Stack {
        Stack {
            id: format!(
                "arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/{}",
                unique()
            ),
            logical_id: "ProdEService".to_string(),
        }
    }

    fn event(&self, kind: &str, properties: &Value) -> Value {
        let request_id = format!("req-{}", unique());
        json!({
            "RequestType": kind,
            "ServiceToken": properties["ServiceToken"],
            "ResponseURL": s3::response_url(&self.id, &self.logical_id, &request_id),
            "StackId": self.id,
            "RequestId": request_id,
            "LogicalResourceId": self.logical_id,
            "ResourceType": "Custom::ProdEService",
            "ResourceProperties": properties,
        })
    }

    /// The deployment a Create with these (valid) properties makes.
    pub fn deployment(&self, properties: &Value) -> prod_e::naming::Deployment {
        let spec = prod_e::spec::Spec::parse(properties).expect("valid properties");
        prod_e::naming::Deployment::new(&self.id, &self.logical_id, &spec.fingerprint())
    }

    pub fn create(&self, properties: &Value) -> Value {
        self.event("Create", properties)
    }

    pub fn update(&self, physical_id: &str, old: &Value, new: &Value) -> Value {
        let mut e = self.event("Update", new);
        e["PhysicalResourceId"] = json!(physical_id);
        e["OldResourceProperties"] = old.clone();
        e
    }

    pub fn delete(&self, physical_id: &str, properties: &Value) -> Value {
        let mut e = self.event("Delete", properties);
        e["PhysicalResourceId"] = json!(physical_id);
        e
    }

    /// The Delete CloudFormation sends when it cancels a Create with these properties (another
    /// resource failed, the stack was deleted) or gives up on one (`ServiceTimeout`): under an
    /// id it generated ([`cloudformation::generated_id`]).
    pub fn cancel_create(&self, properties: &Value) -> Value {
        self.delete(
            &cloudformation::generated_id(&self.id, &self.logical_id),
            properties,
        )
    }

    /// CloudFormation's rollback of a failed replacement of set `physical_id` (properties
    /// `old`) by `failed`: an Update back to `old`, under the id it still holds.
    pub fn roll_back(&self, physical_id: &str, failed: &Value, old: &Value) -> Value {
        self.update(physical_id, failed, old)
    }

    /// What CloudFormation shows of this stack's resource now.
    pub fn shown(&self) -> Option<cloudformation::Shown> {
        cloudformation::current(&self.id, &self.logical_id)
    }

    /// Makes CloudFormation show this stack's resource as `status` under `physical_id`, the
    /// stack as `stack_status` (a state no event leads to, such as a Create it gave up on).
    pub fn show(&self, stack_status: &str, status: &str, physical_id: Option<&str>) {
        let shown = cloudformation::Shown {
            stack_status: stack_status.into(),
            status: status.into(),
            physical_id: physical_id.map(str::to_string),
        };
        cloudformation::show(&self.id, &self.logical_id, shown);
    }
}
