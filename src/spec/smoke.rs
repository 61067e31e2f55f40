//! `SmokeChecks`: requests prod-e sends to a new revision through the set's test listener rule
//! before production traffic moves to it (path, expected status, time limit), and the one
//! request shape that reaches that rule: the test route's first host, a path the checks give,
//! and its header and query-string conditions, their wildcards filled in.
//!
//! How they run (a one-off task of the new revision, at ECS's `PAUSE` lifecycle hook or before
//! a new set's routing `ModifyRule`) is `plan::smoke`'s; what the task runs is
//! [`crate::smoke_check`]'s.

use super::object::{integer, object, text};
use super::overlap::globs_meet;
use super::Spec;

/// prod-e's bound on `SmokeChecks` (each has its own time limit; the task runs them in turn).
pub const CHECKS_MAX: usize = 10;

object! {
    /// One item of `SmokeChecks`.
    pub struct SmokeCheck {
        path: String = "Path", text(path, None),
            "the path requested (GET), beginning with /, without wildcards, spaces or a query \
             (required)";
        expected_status: i64 = "ExpectedStatus", integer(100, 599, Some(200)),
            "the HTTP status the new revision must answer (default 200)";
        timeout_seconds: i64 = "TimeoutSeconds", integer(1, 60, Some(5)),
            "seconds the answer may take (default 5)";
    }
}

/// The longest `Path`: ten of them and the script stay well inside the 8,192 characters of a
/// RunTask's `overrides` (ECS API Reference, RunTask).
pub const PATH_MAX: usize = 200;

/// A path a check requests: `/…`, at most [`PATH_MAX`] characters, no whitespace, no
/// wildcard (`*`, `?`: the request is one path), no fragment.
fn path(s: &str) -> Result<(), String> {
    let bad = |c: char| c.is_whitespace() || matches!(c, '*' | '?' | '#');
    match s.starts_with('/') && s.len() <= PATH_MAX && !s.chars().any(bad) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be a path beginning with / of at most {PATH_MAX} characters (no \
             spaces, wildcards, query or fragment)"
        )),
    }
}

/// Every item names its path.
pub fn items(checks: &[SmokeCheck]) -> Result<(), String> {
    match checks.iter().position(|c| c.path.is_empty()) {
        Some(i) => Err(format!("item {} needs a Path", i + 1)),
        None => Ok(()),
    }
}

/// The request every check makes, but for its path: what the test listener rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestRequest {
    /// The `Host` header (`None`: the load balancer's DNS name).
    pub host: Option<String>,
    /// A further header, as `Name: value`.
    pub header: Option<String>,
    /// The query string, without `?`.
    pub query: Option<String>,
}

/// What is wrong with `spec`'s `SmokeChecks`: none without a test route (they reach the new
/// revision through it), and each path must match its path patterns.
pub fn problems(spec: &Spec) -> Vec<String> {
    if spec.smoke_checks.is_empty() {
        return Vec::new();
    }
    let Some(test) = spec.test_routing() else {
        return vec![
            "SmokeChecks reach the new revision through the test listener rule: give \
                     TestHostHeaders or TestPathPatterns (with a BLUE_GREEN, CANARY or LINEAR \
                     DeploymentStrategy)"
                .to_string(),
        ];
    };
    let mut problems = Vec::new();
    if !spec.wait_for_steady_state {
        problems.push(
            "SmokeChecks need WaitForSteadyState: prod-e answers ECS's pause of each deployment \
             while it waits"
                .to_string(),
        );
    }
    if !spec.entry_point.is_empty() {
        problems.push(
            "SmokeChecks replace the container's command, which an EntryPoint would get as \
             arguments: leave EntryPoint empty"
                .to_string(),
        );
    }
    let patterns = &test.path_patterns;
    let missed = spec.smoke_checks.iter().filter(|c| {
        !patterns.is_empty() && !patterns.iter().any(|p| globs_meet(&c.path, p, false))
    });
    problems.extend(missed.map(|c| {
        format!(
            "the path {} matches none of the test listener rule's path patterns ({})",
            c.path,
            patterns.join(", ")
        )
    }));
    problems
}

/// The request that reaches `spec`'s test listener rule (`None` without one): its first host,
/// header value and query-string match, each wildcard filled in (`*` → `smoke`, `?` → `a`).
pub fn test_request(spec: &Spec) -> Option<TestRequest> {
    let test = spec.test_routing()?;
    let header = test.http_header.as_ref().and_then(|h| {
        let value = h.values.first()?;
        Some(format!("{}: {}", h.http_header_name, filled(value)))
    });
    let query = test.query_string.first().map(|q| {
        let key = q.key.as_deref().map_or("smoke".to_string(), filled);
        format!("{}={}", encoded(&key), encoded(&filled(&q.value)))
    });
    Some(TestRequest {
        host: test.host_headers.first().map(|h| filled(h)),
        header,
        query,
    })
}

/// `pattern` with each wildcard replaced by text it matches.
fn filled(pattern: &str) -> String {
    pattern.replace('*', "smoke").replace('?', "a")
}

/// `s` percent-encoded for a query string (unreserved characters kept: RFC 3986, 2.3).
fn encoded(s: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    s.bytes()
        .map(|b| match keep(b) {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(extra: serde_json::Value) -> serde_json::Value {
        let mut p = json!({"VpcId": "vpc-1", "SubnetIds": ["subnet-1"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/a/b/c",
            "LoadBalancerSecurityGroupId": "sg-1", "DeploymentStrategy": "BLUE_GREEN",
            "HostHeaders": ["shop.example.com"]});
        for (k, v) in extra.as_object().into_iter().flatten() {
            p[k] = v.clone();
        }
        p
    }

    #[test]
    fn checks_need_a_test_route_and_match_its_paths() {
        let checks = json!([{"Path": "/health"}, {"Path": "/api/v1", "ExpectedStatus": "204"}]);
        let none = Spec::parse(&props(json!({"SmokeChecks": checks}))).expect_err("refused");
        assert!(none.to_string().contains("TestHostHeaders"), "{none}");
        let paths = json!({"SmokeChecks": checks, "TestPathPatterns": ["/api/*"]});
        let missed = Spec::parse(&props(paths)).expect_err("refused");
        assert!(missed.to_string().contains("the path /health"), "{missed}");
        let hosts = json!({"SmokeChecks": checks, "TestHostHeaders": ["*.test.example.com"]});
        let spec = Spec::parse(&props(hosts)).expect("valid");
        assert_eq!(spec.smoke_checks[1].expected_status, 204);
        assert_eq!(spec.smoke_checks[0].timeout_seconds, 5);
        let request = test_request(&spec).expect("a test route");
        assert_eq!(request.host.as_deref(), Some("smoke.test.example.com"));
        let unwaited = json!({"SmokeChecks": checks, "TestHostHeaders": ["t.example.com"],
            "WaitForSteadyState": false, "EntryPoint": ["/bin/sh", "-c"]});
        let refused = Spec::parse(&props(unwaited))
            .expect_err("refused")
            .to_string();
        assert!(refused.contains("need WaitForSteadyState"), "{refused}");
        assert!(refused.contains("leave EntryPoint empty"), "{refused}");
        let wild = json!({"SmokeChecks": [{"Path": "/a*"}], "TestPathPatterns": ["/a*"]});
        assert!(Spec::parse(&props(wild)).is_err());
        let nameless = json!({"SmokeChecks": [{"ExpectedStatus": 200}],
            "TestPathPatterns": ["/a*"]});
        let refused = Spec::parse(&props(nameless)).expect_err("refused");
        assert!(refused.to_string().contains("needs a Path"), "{refused}");
    }

    #[test]
    fn the_test_request_fills_in_wildcards_and_encodes_the_query() {
        let spec = Spec::parse(&props(json!({
            "TestPathPatterns": ["/v2/*"],
            "HttpHeader": {"HttpHeaderName": "X-Canary", "Values": ["on*"]},
            "QueryString": [{"Value": "a b?"}]})))
        .expect("valid");
        let request = test_request(&spec).expect("a test route");
        assert_eq!(request.host.as_deref(), Some("shop.example.com"));
        assert_eq!(request.header.as_deref(), Some("X-Canary: onsmoke"));
        assert_eq!(request.query.as_deref(), Some("smoke=a%20ba"));
    }
}
