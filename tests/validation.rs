//! Invalid properties: one FAILED response names every bad property at once, nothing created.
//! (The corpus of single bad inputs is in `reliability.rs`.)

use serde_json::json;

use crate::inspect;
use crate::support::{Harness, Stack};

#[tokio::test]
async fn every_bad_property_is_named_at_once() {
    let h = Harness::new().await;
    let stack = Stack::new("many-bad");
    let props = h.properties(json!({"Cpu": 256, "Memory": 4096, "RulePriority": 0, "ContainerPort": "70000", "Colour": "blue"}));
    let out = h.invoke(stack.create(&props)).await;
    assert_eq!(out.status(), "FAILED");
    assert_eq!(
        out.reason(),
        "invalid properties: Colour: unknown property; ContainerPort: 70000 is out of range 1–65535; \
         RulePriority: 0 is out of range 1–50000; Cpu/Memory: Cpu 256 allows Memory 512, 1024 or 2048, not 4096"
    );
    inspect::assert_nothing_of(&h.clients, &stack).await;
    // The rollback Delete of the failed resource succeeds and touches nothing.
    h.invoke(stack.delete(&out.physical_id(), &props))
        .await
        .assert_success();
}
