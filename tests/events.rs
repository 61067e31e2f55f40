//! The sample events in events/ are valid CloudFormation events for this provider, in the
//! order CloudFormation sends them for a stack's life with one replacement: each Update or
//! Delete names the set the one before it made.

use prod_e::cfn::{Envelope, Operation, Request};
use prod_e::naming::Deployment;
use prod_e::spec::Spec;

/// CloudFormation's order for a stack's life with one replacement: create, update in place,
/// replace, the cleanup Delete of the replaced set (`delete`, which also deletes what `create`
/// made on its own), and the stack's deletion after the replacement.
pub const SAMPLES: [&str; 5] = ["create", "update", "replace", "delete", "delete-replaced"];

#[test]
fn sample_events_parse_and_name_the_sets_they_act_on() {
    let mut kinds = Vec::new();
    let mut sets = Vec::new();
    let mut request_ids = std::collections::BTreeSet::new();
    for name in SAMPLES {
        let path = format!("{}/events/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let event: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let envelope = Envelope::read(&event).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            request_ids.insert(envelope.request_id.clone()),
            "{path}: RequestId reused"
        );
        let request =
            Request::parse(event, envelope.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let spec = Spec::parse(&request.properties).unwrap_or_else(|e| panic!("{path}: {e}"));
        let set_of = |spec: &Spec| {
            Deployment::new(
                &envelope.stack_id,
                &envelope.logical_id,
                &spec.fingerprint(),
            )
            .physical_id()
            .to_string()
        };
        let acts_on = match &request.operation {
            Operation::Create => None,
            Operation::Update {
                old_properties,
                physical_id,
            } => {
                let old =
                    Spec::parse(old_properties).unwrap_or_else(|e| panic!("{path}: old: {e}"));
                assert_eq!(physical_id, &set_of(&old), "{path}");
                Some(physical_id.clone())
            }
            Operation::Delete { physical_id } => {
                assert_eq!(physical_id, &set_of(&spec), "{path}");
                Some(physical_id.clone())
            }
        };
        kinds.push(request.kind());
        sets.push((acts_on, set_of(&spec)));
    }
    assert_eq!(kinds, ["Create", "Update", "Update", "Delete", "Delete"]);
    let made = |i: usize| Some(sets[i].1.clone());
    assert_eq!(
        sets[1].0,
        made(0),
        "the in-place Update acts on the created set"
    );
    assert_eq!(sets[2].0, made(1), "the replacement replaces it");
    assert_ne!(sets[2].1, sets[1].1, "and makes a new set");
    assert_eq!(
        sets[3].0,
        made(1),
        "the cleanup Delete removes the replaced set"
    );
    assert_eq!(
        sets[4].0,
        made(2),
        "the stack's deletion removes the new one"
    );
}
