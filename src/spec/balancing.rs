//! How the load balancer talks to the set's targets and spreads requests over them: the
//! target group's protocol (`TargetProtocol`, `ProtocolVersion`), routing algorithm
//! (`LoadBalancingAlgorithm`), sticky sessions (`Stickiness`) and slow start
//! (`SlowStartSeconds`), and the combinations ELBv2 refuses or does not honour, checked
//! offline.
//!
//! Sources: ELBv2 API Reference, `TargetGroupAttribute` (`load_balancing.algorithm.type`
//! round_robin, least_outstanding_requests or weighted_random, default round_robin;
//! `slow_start.duration_seconds` 30–900, 0 off; `stickiness.lb_cookie.duration_seconds` and
//! `stickiness.app_cookie.duration_seconds` 1–604800, default 86400;
//! `stickiness.app_cookie.cookie_name`: names beginning AWSALB, AWSALBAPP or AWSALBTG are not
//! allowed); ALB User Guide, "Edit target group attributes" ("You can't enable slow start
//! mode when using the least outstanding requests or weighted random routing algorithms";
//! weighted random "can not be used with sticky sessions"; "If you have a forward action with
//! multiple target groups, and sticky sessions are enabled for one or more of the target
//! groups, you must enable stickiness at the target group level").

use super::checks::one_of;
use super::object::{integer, object, text};
use super::problem::Problem;
use super::Spec;

/// The protocols a target group of an ALB speaks to its targets (ELBv2 CreateTargetGroup
/// `Protocol`; HTTPS: "The load balancer does not validate these certificates", ALB User
/// Guide, "Target groups for your Application Load Balancers").
pub const TARGET_PROTOCOLS: [&str; 2] = ["HTTP", "HTTPS"];

/// The protocol versions of an ALB target group, its default first (ELBv2 CreateTargetGroup
/// `ProtocolVersion`).
pub const PROTOCOL_VERSIONS: [&str; 3] = ["HTTP1", "HTTP2", super::health::GRPC];

/// A target protocol: one of [`TARGET_PROTOCOLS`].
pub fn target_protocol(s: &str) -> Result<(), String> {
    one_of(s, &TARGET_PROTOCOLS)
}

/// A protocol version: one of [`PROTOCOL_VERSIONS`].
pub fn protocol_version(s: &str) -> Result<(), String> {
    one_of(s, &PROTOCOL_VERSIONS)
}

/// Whether target group protocol version `version` needs an HTTPS listener (ALB User Guide,
/// "Target groups for your Application Load Balancers", HTTP/2 and gRPC: "The only supported
/// listener protocol is HTTPS").
pub fn needs_https_listener(version: &str) -> bool {
    version != PROTOCOL_VERSIONS[0]
}

/// ELBv2's routing algorithms (`load_balancing.algorithm.type`), its default first.
pub const ALGORITHMS: [&str; 3] = [
    "round_robin",
    "least_outstanding_requests",
    "weighted_random",
];

/// ELBv2's sticky session kinds (`stickiness.type` of an ALB target group).
pub const STICKINESS_TYPES: [&str; 2] = ["lb_cookie", "app_cookie"];

/// The prefix of the cookie names the load balancer keeps for itself (AWSALB, AWSALBAPP,
/// AWSALBTG).
const RESERVED_COOKIE_PREFIX: &str = "AWSALB";

/// A routing algorithm: one of [`ALGORITHMS`].
pub fn algorithm(s: &str) -> Result<(), String> {
    one_of(s, &ALGORITHMS)
}

object! {
    /// `Stickiness`: sticky sessions, as the target group's `stickiness.*` attributes.
    pub struct Stickiness {
        kind: String = "Type", text(stickiness_type, Some("lb_cookie")),
            "lb_cookie (the load balancer's AWSALB cookie) or app_cookie (the app's own \
             cookie, CookieName) (default lb_cookie)";
        duration_seconds: i64 = "DurationSeconds", integer(1, 604_800, Some(86_400)),
            "seconds a client stays with its target (1 s to 7 days, default 1 day, AWS's)";
        cookie_name: String = "CookieName", text(cookie_name, None),
            "the app's cookie (app_cookie only; not beginning with AWSALB)";
    }
}

fn stickiness_type(s: &str) -> Result<(), String> {
    one_of(s, &STICKINESS_TYPES)
}

/// A cookie name: an RFC 6265 token (no spaces, controls or separators), not one the load
/// balancer keeps for itself.
fn cookie_name(s: &str) -> Result<(), String> {
    let separator = |c: char| "()<>@,;:\\\"/[]?={}".contains(c);
    let bad = |c: char| !c.is_ascii_graphic() || separator(c);
    if s.is_empty() || s.chars().any(bad) {
        return Err(format!(
            "{s:?} must be a cookie name (no spaces or separators)"
        ));
    }
    match s.starts_with(RESERVED_COOKIE_PREFIX) {
        true => Err(format!(
            "{s:?}: names beginning {RESERVED_COOKIE_PREFIX} are the load balancer's"
        )),
        false => Ok(()),
    }
}

/// `Stickiness` as a whole: app_cookie names its cookie, lb_cookie names none.
pub fn stickiness(o: &Stickiness) -> Result<(), String> {
    match (o.kind.as_str(), o.cookie_name.is_empty()) {
        ("app_cookie", true) => Err("app_cookie needs CookieName".to_string()),
        ("lb_cookie", false) => Err("CookieName is for app_cookie only".to_string()),
        _ => Ok(()),
    }
}

/// The problems across these properties and others: slow start's range and the algorithms it
/// works with, weighted random without stickiness, and application cookies, which weighted
/// target groups (a native strategy's shift) do not honour.
pub fn problems(spec: &Spec) -> Vec<Problem> {
    let algorithm = spec.load_balancing_algorithm.as_str();
    let mut found = Vec::new();
    if (1..30).contains(&spec.slow_start_seconds) {
        found.push((
            "SlowStartSeconds",
            "must be 0 (off) or 30–900 seconds".to_string(),
        ));
    }
    if spec.slow_start_seconds > 0 && algorithm != ALGORITHMS[0] {
        let message =
            format!("works only with LoadBalancingAlgorithm round_robin, not {algorithm}");
        found.push(("SlowStartSeconds", message));
    }
    let built_in = spec.image == crate::default_server::DEFAULT_IMAGE
        && spec.command.is_empty()
        && spec.entry_point.is_empty();
    if built_in
        && (spec.target_protocol != TARGET_PROTOCOLS[0]
            || needs_https_listener(&spec.protocol_version))
    {
        let message = format!(
            "{} {}: the default Image's built-in server answers plain HTTP/1.1 only; give an \
             Image that serves it",
            spec.target_protocol, spec.protocol_version
        );
        found.push(("TargetProtocol", message));
    }
    if spec.stickiness.is_some() {
        if spec.native_strategy() {
            // ALB User Guide, "Edit target group attributes": with a forward to several
            // target groups, sticky sessions need stickiness at the target group level in the
            // rule, which ECS's traffic shifts do not set.
            let message = format!(
                "does not work with DeploymentStrategy {}: its rule forwards to two weighted \
                 target groups",
                spec.deployment_strategy
            );
            found.push(("Stickiness", message));
        }
        if algorithm == "weighted_random" {
            let message = "does not work with LoadBalancingAlgorithm weighted_random";
            found.push(("Stickiness", message.to_string()));
        }
    }
    let problem = |(property, message): (&str, String)| Problem::new(property, &message);
    found.into_iter().map(problem).collect()
}
