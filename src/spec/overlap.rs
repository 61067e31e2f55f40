//! Whether two listener rules can match the same request, as an Application Load Balancer
//! matches them: what tells preflight that a rule would take another owner's traffic.
//!
//! ALB ANDs a rule's conditions and ORs the values of one condition; the values of
//! `host-header` (not case sensitive), `path-pattern` (case sensitive) and `http-header` (the
//! name and values not case sensitive) may hold the wildcards `*` (0 or more characters) and
//! `?` (exactly 1) (ELBv2 API reference, `HostHeaderConditionConfig`,
//! `PathPatternConditionConfig`, `HttpHeaderConditionConfig`). Two rules are disjoint only if
//! some condition they both have can match no common value. A request carries one host and
//! one path, but any number of query pairs and headers, and another rule's method or source
//! IP condition meets nothing in prod-e's rules: those never make two rules disjoint. A regular
//! expression (`RegexValues`) is taken to match anything: the check then errs towards naming
//! the rule.

use super::routing::Routing;

/// One value of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// A value with ALB's wildcards.
    Glob(String),
    /// A regular expression: taken to match anything.
    Regex,
}

/// One condition of a rule, as far as it can exclude a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `host-header`: one of these matches the request's host.
    Host(Vec<Pattern>),
    /// `path-pattern`: one of these matches the request's path.
    Path(Vec<Pattern>),
    /// `http-header`: the named header has one of these values.
    Header(String, Vec<Pattern>),
}

impl Routing {
    /// The conditions that can exclude a request (the query string never does).
    pub fn conditions(&self) -> Vec<Condition> {
        let globs = |v: &[String]| v.iter().cloned().map(Pattern::Glob).collect::<Vec<_>>();
        let mut out = Vec::new();
        if !self.host_headers.is_empty() {
            out.push(Condition::Host(globs(&self.host_headers)));
        }
        if !self.path_patterns.is_empty() {
            out.push(Condition::Path(globs(&self.path_patterns)));
        }
        if let Some(h) = &self.http_header {
            out.push(Condition::Header(
                h.http_header_name.clone(),
                globs(&h.values),
            ));
        }
        out
    }
}

/// Whether some request matches every condition of `a` and every condition of `b`.
pub fn overlaps(a: &[Condition], b: &[Condition]) -> bool {
    a.iter().all(|x| b.iter().all(|y| compatible(x, y)))
}

/// Whether two conditions can hold for one request: conditions on different things always
/// can; on the same thing, only if one value of each can match one string.
fn compatible(x: &Condition, y: &Condition) -> bool {
    use Condition::{Header, Host, Path};
    match (x, y) {
        (Host(a), Host(b)) => any_common(a, b, true),
        (Path(a), Path(b)) => any_common(a, b, false),
        (Header(n, a), Header(m, b)) if n.eq_ignore_ascii_case(m) => any_common(a, b, true),
        _ => true,
    }
}

/// Whether one value of `a` and one of `b` match a common string.
fn any_common(a: &[Pattern], b: &[Pattern], ignore_case: bool) -> bool {
    a.iter()
        .any(|p| b.iter().any(|q| common(p, q, ignore_case)))
}

/// Whether some string matches both patterns.
fn common(p: &Pattern, q: &Pattern, ignore_case: bool) -> bool {
    match (p, q) {
        (Pattern::Glob(p), Pattern::Glob(q)) => globs_meet(p, q, ignore_case),
        _ => true,
    }
}

/// Whether the wildcard patterns `p` and `q` (`*`: 0 or more characters, `?`: one) match a
/// common string: a walk of both at once, `met[i][j]` holding whether the rests `p[i..]` and
/// `q[j..]` do (O(|p|·|q|); values are at most 128 characters).
pub fn globs_meet(p: &str, q: &str, ignore_case: bool) -> bool {
    let fold = |s: &str| -> Vec<char> {
        match ignore_case {
            true => s.to_ascii_lowercase().chars().collect(),
            false => s.chars().collect(),
        }
    };
    let (p, q) = (fold(p), fold(q));
    let mut met = vec![vec![false; q.len() + 1]; p.len() + 1];
    met[p.len()][q.len()] = true;
    for i in (0..=p.len()).rev() {
        for j in (0..=q.len()).rev() {
            if i == p.len() && j == q.len() {
                continue;
            }
            let (a, b) = (p.get(i), q.get(j));
            met[i][j] = match (a, b) {
                // A star matches nothing more, or takes one character the other side makes.
                (Some('*'), _) => met[i + 1][j] || (b.is_some() && met[i][j + 1]),
                (_, Some('*')) => met[i][j + 1] || (a.is_some() && met[i + 1][j]),
                (Some(x), Some(y)) => (*x == '?' || *y == '?' || x == y) && met[i + 1][j + 1],
                _ => false,
            };
        }
    }
    met[0][0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::routing::HttpHeader;

    fn routing(hosts: &[&str], paths: &[&str]) -> Routing {
        Routing {
            host_headers: hosts.iter().map(|s| s.to_string()).collect(),
            path_patterns: paths.iter().map(|s| s.to_string()).collect(),
            ..Routing::default()
        }
    }

    #[test]
    fn wildcards_meet_as_alb_matches_them() {
        for (p, q, meet) in [
            ("/*", "/api/users", true),
            ("/api/*", "/web/*", false),
            ("/api/*", "/*/users", true),
            ("/a?c", "/abc", true),
            ("/a?c", "/ac", false),
            ("*.example.com", "api.example.com", true),
            ("*.example.com", "example.com", false),
            ("a*b", "*c", false),
            ("a*", "*b", true),
            ("", "*", true),
            ("", "?", false),
            ("/API", "/api", false),
        ] {
            assert_eq!(globs_meet(p, q, false), meet, "{p} ~ {q}");
            assert_eq!(globs_meet(q, p, false), meet, "{q} ~ {p}");
        }
        assert!(globs_meet("API.Example.com", "api.example.COM", true));
    }

    #[test]
    fn rules_overlap_unless_a_shared_condition_cannot_meet() {
        let any_path = routing(&[], &["/*"]).conditions();
        let api_host = routing(&["api.example.com"], &[]).conditions();
        let web_host = routing(&["web.example.com"], &["/*"]).conditions();
        assert!(
            overlaps(&any_path, &api_host),
            "/* takes a host rule's requests"
        );
        assert!(!overlaps(&web_host, &api_host), "other hosts never meet");
        let blue = Routing {
            http_header: Some(HttpHeader {
                http_header_name: "X-Env".into(),
                values: vec!["blue".into()],
            }),
            ..routing(&[], &["/*"])
        };
        let green = Condition::Header("x-env".into(), vec![Pattern::Glob("green".into())]);
        assert!(!overlaps(&blue.conditions(), &[green]));
        let other = Condition::Header("X-Other".into(), vec![Pattern::Glob("x".into())]);
        assert!(
            overlaps(&blue.conditions(), &[other]),
            "a request may carry both"
        );
        let regex = Condition::Host(vec![Pattern::Regex]);
        assert!(overlaps(&web_host, &[regex]), "a regex may match anything");
    }
}
