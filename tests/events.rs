//! The sample events in events/ are valid CloudFormation events for this provider.

use prod_e::cfn::{Envelope, Operation, Request};
use prod_e::spec::Spec;

#[test]
fn sample_events_parse() {
    let mut kinds = Vec::new();
    for name in ["create", "update", "delete"] {
        let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let event: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let envelope = Envelope::read(&event).unwrap_or_else(|e| panic!("{path}: {e}"));
        let request = Request::parse(event, envelope).unwrap_or_else(|e| panic!("{path}: {e}"));
        Spec::parse(&request.properties).unwrap_or_else(|e| panic!("{path}: {e}"));
        if let Operation::Update { old_properties, .. } = &request.operation {
            Spec::parse(old_properties).unwrap_or_else(|e| panic!("{path}: old: {e}"));
        }
        kinds.push(request.kind());
    }
    assert_eq!(kinds, ["Create", "Update", "Delete"]);
}
