//! The listener rule's conditions as the properties give them (`HostHeaders`, `PathPatterns`,
//! `HttpHeader`, `QueryString`), and the limits ALB sets on one rule.
//!
//! Limits (Application Load Balancer guide, "Condition types for listener rules" and "Quotas
//! for your Application Load Balancers"): at most one host-header and one path-pattern
//! condition per rule; up to three match evaluations (values) per condition and five per rule;
//! five wildcards (`*`, `?`) per rule; each value at most 128 characters.

use serde::Serialize;

/// Values one condition may match (ALB: "up to three match evaluations per condition").
pub const MAX_VALUES_PER_CONDITION: usize = 3;
/// Values all conditions of a rule may match together (ALB quota "Match evaluations per rule").
pub const MAX_VALUES_PER_RULE: usize = 5;
/// Wildcards (`*` and `?`) in all values of a rule (ALB quota "Condition wildcards per rule").
pub const MAX_WILDCARDS_PER_RULE: usize = 5;

/// An `http-header` condition: the header and the values it may have (CloudFormation's
/// `HttpHeaderConfig` keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpHeader {
    /// The header's name (not case sensitive).
    pub http_header_name: String,
    /// Values it may have (wildcards allowed).
    pub values: Vec<String>,
}

/// One `query-string` match (CloudFormation's `QueryStringKeyValue`): `Key` may be left out
/// to match the value under any key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryStringValue {
    /// The key, if it must match too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The value.
    pub value: String,
}

/// What requests a listener rule sends to the set: every condition must match (ALB ANDs the
/// conditions of a rule, and ORs the values of one condition).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Routing {
    /// `host-header` values (none: any host).
    pub host_headers: Vec<String>,
    /// `path-pattern` values (none: any path).
    pub path_patterns: Vec<String>,
    /// An `http-header` condition.
    pub http_header: Option<HttpHeader>,
    /// `query-string` matches (any one of them).
    pub query_string: Vec<QueryStringValue>,
}

impl Routing {
    /// Every value the rule matches, as ALB counts them against its limits.
    fn values(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.host_headers.iter().map(String::as_str).collect();
        all.extend(self.path_patterns.iter().map(String::as_str));
        if let Some(h) = &self.http_header {
            all.extend(h.values.iter().map(String::as_str));
        }
        all.extend(self.query_string.iter().map(|q| q.value.as_str()));
        all
    }

    /// The problems that make ALB refuse this rule: too many values or wildcards, or none.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let values = self.values();
        if values.is_empty() {
            problems.push("a rule needs at least one condition".to_string());
        }
        if values.len() > MAX_VALUES_PER_RULE {
            problems.push(format!(
                "{} condition values in all; ALB allows {MAX_VALUES_PER_RULE} per rule",
                values.len()
            ));
        }
        let keys = self.query_string.iter().filter_map(|q| q.key.as_deref());
        let wildcards: usize = values
            .iter()
            .copied()
            .chain(keys)
            .map(|v| v.chars().filter(|c| *c == '*' || *c == '?').count())
            .sum();
        if wildcards > MAX_WILDCARDS_PER_RULE {
            problems.push(format!(
                "{wildcards} wildcards in all; ALB allows {MAX_WILDCARDS_PER_RULE} per rule"
            ));
        }
        problems
    }
}

impl std::fmt::Display for HttpHeader {
    /// `X-Env=blue,green`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.http_header_name, self.values.join(","))
    }
}

impl std::fmt::Display for QueryStringValue {
    /// `v=2`, `*=2` for a value under any key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.key.as_deref().unwrap_or("*"), self.value)
    }
}

impl Routing {
    /// The `query-string` matches, `,`-separated (`""` if none).
    pub fn query_text(&self) -> String {
        let pairs: Vec<String> = self.query_string.iter().map(|q| q.to_string()).collect();
        pairs.join(",")
    }
}

impl std::fmt::Display for Routing {
    /// `host a.example.com,b.example.com path /api/* header X-Env=blue query v=2`, leaving
    /// out what is not set; `any request` if nothing is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.host_headers.is_empty() {
            parts.push(format!("host {}", self.host_headers.join(",")));
        }
        if !self.path_patterns.is_empty() {
            parts.push(format!("path {}", self.path_patterns.join(",")));
        }
        if let Some(h) = &self.http_header {
            parts.push(format!("header {h}"));
        }
        if !self.query_string.is_empty() {
            parts.push(format!("query {}", self.query_text()));
        }
        match parts.is_empty() {
            true => write!(f, "any request"),
            false => write!(f, "{}", parts.join(" ")),
        }
    }
}
