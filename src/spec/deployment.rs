//! What is wrong across properties of a native deployment strategy: what needs one (a
//! request-count scaling target cannot follow one), its test listener rule, its smoke checks,
//! and whether its bakes fit `ServiceTimeout`.

use serde_json::Value;

use super::{schema, smoke, strategy, Problem, Spec};

/// What is wrong with `spec`'s `DeploymentStrategy`: `RequestsPerTarget` with a native one,
/// `LifecycleHooks` without one, and bakes that cannot finish inside `ServiceTimeout` (from
/// `properties`) while waiting.
pub(super) fn strategy_problems(spec: &Spec, properties: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let per_target = spec
        .auto_scaling
        .as_ref()
        .and_then(|a| a.requests_per_target);
    if per_target.is_some() && spec.native_strategy() {
        // ALBRequestCountPerTarget names one target group (Application Auto Scaling,
        // PredefinedMetricSpecification `ResourceLabel`); a native strategy serves from either
        // of two.
        let message = "RequestsPerTarget tracks one target group, and a native \
                       DeploymentStrategy moves traffic between two: use CpuTarget or \
                       MemoryTarget";
        problems.push(Problem::new("AutoScaling", message));
    }
    if !spec.lifecycle_hooks.is_empty() && !spec.native_strategy() {
        // The stages are those of a deployment with a blue and a green revision (ECS API
        // Reference, `DeploymentLifecycleHook.lifecycleStages`); prod-e's rolling
        // deployments run none.
        let message = "LifecycleHooks run at the stages of a BLUE_GREEN, CANARY or LINEAR \
                       deployment: set DeploymentStrategy to one of them";
        problems.push(Problem::new("LifecycleHooks", message));
    }
    problems.extend(test_route_problems(spec));
    let smoke = smoke::problems(spec).into_iter();
    problems.extend(smoke.map(|m| Problem::new(schema::SMOKE_CHECKS.name, &m)));
    // ECS's bakes, waited for with WaitForSteadyState (a replacement's own bake takes what
    // is left of its invocation and of ServiceTimeout: `plan::bake`).
    if spec.wait_for_steady_state {
        let timeout = strategy::service_timeout(properties);
        if let Err(message) = strategy::fits(spec.bake_minutes(), timeout) {
            problems.push(Problem::new("DeploymentStrategy", &message));
        }
    }
    problems
}

/// What is wrong with the test listener rule: one without a native strategy (ECS's
/// `advancedConfiguration.testListenerRule` is a native strategy's), one that matches exactly
/// what the listener rule matches (it would take all production traffic), and ALB's limits.
fn test_route_problems(spec: &Spec) -> Vec<Problem> {
    let Some(test) = spec.test_routing() else {
        return Vec::new();
    };
    let name = match spec.test_host_headers.is_empty() {
        true => schema::TEST_PATH_PATTERNS.name,
        false => schema::TEST_HOST_HEADERS.name,
    };
    let mut problems = Vec::new();
    if !spec.native_strategy() {
        let message = "a test listener rule is ECS's, for BLUE_GREEN, CANARY or LINEAR \
                       deployments: set DeploymentStrategy to one of them";
        problems.push(Problem::new(name, message));
    }
    if test == spec.routing() {
        let message = "the test listener rule would match exactly the requests the listener \
                       rule matches, and take all production traffic first: give other hosts \
                       or paths than HostHeaders/PathPatterns";
        problems.push(Problem::new(name, message));
    }
    for message in test.problems() {
        problems.push(Problem::new("test listener rule conditions", &message));
    }
    problems
}
