//! A rule's conditions in ELBv2's terms: [`Routing`] to `RuleCondition`s and back, and the
//! condition of a rule that matches no request yet.

use aws_sdk_elasticloadbalancingv2::types::{
    HostHeaderConditionConfig, HttpHeaderConditionConfig, PathPatternConditionConfig,
    QueryStringConditionConfig, QueryStringKeyValuePair, RuleCondition,
};

use super::UNROUTED_HOST;
use crate::spec::overlap::{Condition, Pattern};
use crate::spec::routing::{HttpHeader, QueryStringValue, Routing};

/// The conditions of `routing`, one per kind that has values.
pub(super) fn to_sdk(routing: &Routing) -> Vec<RuleCondition> {
    let mut out = Vec::new();
    if !routing.host_headers.is_empty() {
        let config = HostHeaderConditionConfig::builder()
            .set_values(Some(routing.host_headers.clone()))
            .build();
        let c = RuleCondition::builder().field("host-header");
        out.push(c.host_header_config(config).build());
    }
    if !routing.path_patterns.is_empty() {
        let config = PathPatternConditionConfig::builder()
            .set_values(Some(routing.path_patterns.clone()))
            .build();
        let c = RuleCondition::builder().field("path-pattern");
        out.push(c.path_pattern_config(config).build());
    }
    if let Some(h) = &routing.http_header {
        let config = HttpHeaderConditionConfig::builder()
            .http_header_name(&h.http_header_name)
            .set_values(Some(h.values.clone()))
            .build();
        let c = RuleCondition::builder().field("http-header");
        out.push(c.http_header_config(config).build());
    }
    if !routing.query_string.is_empty() {
        let pairs = routing.query_string.iter().map(|q| {
            QueryStringKeyValuePair::builder()
                .set_key(q.key.clone())
                .value(&q.value)
                .build()
        });
        let config = QueryStringConditionConfig::builder()
            .set_values(Some(pairs.collect()))
            .build();
        let c = RuleCondition::builder().field("query-string");
        out.push(c.query_string_config(config).build());
    }
    out
}

/// The routing a rule's conditions express, and whether it matches requests at all (false
/// while it holds only [`UNROUTED_HOST`]).
pub(super) fn from_sdk(conditions: &[RuleCondition]) -> (Routing, bool) {
    let mut routing = Routing::default();
    for c in conditions {
        if let Some(h) = c.host_header_config() {
            routing.host_headers.extend(h.values().iter().cloned());
        }
        if let Some(p) = c.path_pattern_config() {
            routing.path_patterns.extend(p.values().iter().cloned());
        }
        if let Some(h) = c.http_header_config() {
            routing.http_header = Some(HttpHeader {
                http_header_name: h.http_header_name().unwrap_or_default().to_string(),
                values: h.values().to_vec(),
            });
        }
        if let Some(q) = c.query_string_config() {
            routing
                .query_string
                .extend(q.values().iter().map(|pair| QueryStringValue {
                    key: pair.key().filter(|k| !k.is_empty()).map(str::to_string),
                    value: pair.value().unwrap_or_default().to_string(),
                }));
        }
    }
    let routed = !routing.host_headers.iter().any(|h| h == UNROUTED_HOST);
    (routing, routed)
}

/// The conditions of any rule that can exclude a request ([`Condition`]), from either form
/// DescribeRules answers in (the condition's own `Values`, or its `…Config`), regular
/// expressions (`RegexValues`) among them. A condition without values constrains nothing.
pub(super) fn matching(conditions: &[RuleCondition]) -> Vec<Condition> {
    conditions.iter().filter_map(condition).collect()
}

fn condition(c: &RuleCondition) -> Option<Condition> {
    let patterns = |values: &[String], regex: &[String]| -> Option<Vec<Pattern>> {
        let mut out: Vec<Pattern> = c
            .values()
            .iter()
            .chain(values)
            .cloned()
            .map(Pattern::Glob)
            .collect();
        if !regex.is_empty() || !c.regex_values().is_empty() {
            out.push(Pattern::Regex);
        }
        (!out.is_empty()).then_some(out)
    };
    match c.field()? {
        "host-header" => {
            let config = c.host_header_config();
            let (values, regex) =
                config.map_or((&[][..], &[][..]), |h| (h.values(), h.regex_values()));
            patterns(values, regex).map(Condition::Host)
        }
        "path-pattern" => {
            let config = c.path_pattern_config();
            let (values, regex) =
                config.map_or((&[][..], &[][..]), |p| (p.values(), p.regex_values()));
            patterns(values, regex).map(Condition::Path)
        }
        "http-header" => {
            let h = c.http_header_config()?;
            let name = h.http_header_name()?.to_string();
            patterns(h.values(), h.regex_values()).map(|v| Condition::Header(name, v))
        }
        _ => None,
    }
}

/// The one condition of a rule that must match no request yet.
pub(super) fn unrouted() -> RuleCondition {
    RuleCondition::builder()
        .field("host-header")
        .host_header_config(
            HostHeaderConditionConfig::builder()
                .values(UNROUTED_HOST)
                .build(),
        )
        .build()
}
