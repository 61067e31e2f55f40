//! Rule 24: every request is checked against AWS's own API model of its service, the
//! `service-2.json` botocore ships (read at test time from the moto virtualenv's botocore, never
//! copied), as AWS checks it before anything else: required members, string lengths (in
//! characters), patterns (matching the whole value), enums, number ranges, list and map sizes. A request that breaks one
//! is refused as AWS refuses it (`ValidationException`, or `ValidationError` for the query
//! services), naming the member, the value and the constraint, in AWS's words ("1 validation
//! error detected: Value '…' at '…' failed to satisfy constraint: Member must have length less
//! than or equal to 256"); moto checks few of them.
//!
//! Covered: the JSON services (ECS, CloudWatch Logs, Application Auto Scaling, KMS, the
//! tagging API) and the query services whose lists are `Name.member.N` (IAM, ELBv2,
//! CloudFormation). EC2's own query dialect (`Name.N`, `locationName`) is not read. Source:
//! the models themselves (smithy's `@length`, `@pattern`, `@range`, `@required`, `@enum`,
//! whose checks a service runs before the operation: AWS SDK developer guides, "Handling
//! validation errors").

use std::collections::{BTreeMap, HashMap};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use super::verdict::{Refusal, Verdict};
use crate::call::Fields;

/// The botocore directory of a service, by the name its requests are signed with, and whether
/// it speaks the query protocol.
fn model_of(service: &str) -> Option<(&'static str, bool)> {
    Some(match service {
        "ecs" => ("ecs", false),
        "logs" => ("logs", false),
        "application-autoscaling" => ("application-autoscaling", false),
        "kms" => ("kms", false),
        "tagging" => ("resourcegroupstaggingapi", false),
        "iam" => ("iam", true),
        "elasticloadbalancing" => ("elbv2", true),
        "cloudformation" => ("cloudformation", true),
        _ => return None,
    })
}

/// The refusal of `action` of `service` with these parameters, if the model refuses them.
pub fn refused(service: &str, action: &str, fields: &Fields) -> Option<Verdict> {
    let (name, query) = model_of(service)?;
    let model = model(name)?;
    let shapes = &model["shapes"];
    let input = model["operations"][action]["input"]["shape"].as_str()?;
    let value = match query {
        true => from_form(shapes, input, "", &fields.form),
        false => fields.body.clone(),
    };
    let mut problems = Vec::new();
    check(shapes, input, &value, "", &mut problems);
    let first = problems.first()?;
    let code = if query {
        "ValidationError"
    } else {
        "ValidationException"
    };
    let message = match problems.len() {
        1 => format!("1 validation error detected: {first}"),
        n => format!("{n} validation errors detected: {}", problems.join("; ")),
    };
    Some(Verdict::Refuse(Refusal::new(code, message)))
}

/// The parsed model of botocore's directory `name` (its newest API version), read once.
fn model(name: &str) -> Option<Arc<Value>> {
    static MODELS: OnceLock<Mutex<HashMap<String, Option<Arc<Value>>>>> = OnceLock::new();
    let models = MODELS.get_or_init(Default::default);
    let mut models = models.lock().ok()?;
    let read = || {
        let dir = botocore_data()?.join(name);
        let mut versions: Vec<_> = std::fs::read_dir(&dir).ok()?.flatten().collect();
        versions.sort_by_key(|v| v.file_name());
        let path = versions.last()?.path().join("service-2.json.gz");
        let bytes = std::fs::read(path).ok()?;
        let text = std::io::read_to_string(flate2::read::GzDecoder::new(&bytes[..])).ok()?;
        serde_json::from_str(&text).ok().map(Arc::new)
    };
    models.entry(name.to_string()).or_insert_with(read).clone()
}

/// botocore's `data` directory, from the Python beside `moto_server` on PATH.
fn botocore_data() -> Option<std::path::PathBuf> {
    static DATA: OnceLock<Option<std::path::PathBuf>> = OnceLock::new();
    let find = || {
        let path = std::env::var_os("PATH")?;
        let bin = std::env::split_paths(&path).find(|d| d.join("moto_server").exists())?;
        let script =
            "import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))";
        let out = Command::new(bin.join("python"))
            .args(["-c", script])
            .output()
            .ok()?;
        let dir = String::from_utf8(out.stdout).ok()?;
        Some(std::path::PathBuf::from(dir.trim()))
    };
    DATA.get_or_init(find).clone()
}

/// A query request's form fields as the JSON value of shape `shape` (under `prefix`): lists
/// `Name.member.N`, maps `Name.entry.N.key`/`.value`, structures `Name.Member`.
fn from_form(shapes: &Value, shape: &str, prefix: &str, form: &BTreeMap<String, String>) -> Value {
    let s = &shapes[shape];
    let present = |p: &str| {
        form.keys()
            .any(|k| k == p || k.starts_with(&format!("{p}.")))
    };
    match s["type"].as_str() {
        Some("structure") => {
            let mut out = Map::new();
            for (name, member) in s["members"].as_object().into_iter().flatten() {
                let key = format!("{prefix}{name}");
                let target = member["shape"].as_str().unwrap_or_default();
                if present(&key) {
                    let sub = format!("{key}.");
                    let value = match shapes[target]["type"].as_str() {
                        Some("structure" | "list" | "map") => from_form(shapes, target, &sub, form),
                        _ => form
                            .get(&key)
                            .cloned()
                            .map(Value::String)
                            .unwrap_or(Value::Null),
                    };
                    out.insert(name.clone(), value);
                }
            }
            Value::Object(out)
        }
        Some("list") => {
            let member = s["member"]["shape"].as_str().unwrap_or_default();
            let items = (1..).map(|n| format!("{prefix}member.{n}"));
            let items = items.take_while(|p| present(p));
            let value = |p: String| match shapes[member]["type"].as_str() {
                Some("structure" | "list" | "map") => {
                    from_form(shapes, member, &format!("{p}."), form)
                }
                _ => form
                    .get(&p)
                    .cloned()
                    .map(Value::String)
                    .unwrap_or(Value::Null),
            };
            Value::Array(items.map(value).collect())
        }
        Some("map") => {
            let entries = (1..).map(|n| format!("{prefix}entry.{n}"));
            let entries = entries.take_while(|p| present(p)).filter_map(|p| {
                let key = form.get(&format!("{p}.key"))?.clone();
                Some((key, Value::String(form.get(&format!("{p}.value"))?.clone())))
            });
            Value::Object(entries.collect())
        }
        _ => form
            .get(prefix.trim_end_matches('.'))
            .cloned()
            .map(Value::String)
            .unwrap_or(Value::Null),
    }
}

/// Appends to `problems` what `value` (at `path`) breaks of shape `shape`'s constraints.
fn check(shapes: &Value, shape: &str, value: &Value, path: &str, problems: &mut Vec<String>) {
    let s = &shapes[shape];
    let at = |message: String, shown: &str| {
        format!("Value '{shown}' at '{path}' failed to satisfy constraint: {message}")
    };
    match s["type"].as_str() {
        Some("structure") => structure(shapes, s, value, path, problems),
        Some("list") => {
            let items = value.as_array().cloned().unwrap_or_default();
            if let Some(p) = bounds(s, items.len() as i64, "length") {
                problems.push(at(p, &format!("{items:?}")));
            }
            let member = s["member"]["shape"].as_str().unwrap_or_default();
            for (i, item) in items.iter().enumerate() {
                let at = format!("{path}.{}.member", i + 1);
                check(shapes, member, item, &at, problems);
            }
        }
        Some("map") => {
            let entries = value.as_object().cloned().unwrap_or_default();
            if let Some(p) = bounds(s, entries.len() as i64, "length") {
                problems.push(at(p, "map"));
            }
            entry_checks(shapes, s, (&entries, path), problems);
        }
        Some("string") => {
            let t = value.as_str().unwrap_or_default();
            problems.extend(text(s, t).map(|p| at(p, t)));
        }
        Some("integer" | "long") => {
            let parsed = value.as_str().and_then(|t| t.parse().ok());
            let n = value.as_i64().or(parsed);
            problems.extend(
                n.and_then(|n| bounds(s, n, "value"))
                    .map(|p| at(p, &value.to_string())),
            );
        }
        _ => {}
    }
}

/// The keys and values of a map of shape `s`.
fn entry_checks(
    shapes: &Value,
    s: &Value,
    (entries, path): (&Map<String, Value>, &str),
    problems: &mut Vec<String>,
) {
    let key = s["key"]["shape"].as_str().unwrap_or_default();
    let value = s["value"]["shape"].as_str().unwrap_or_default();
    for (k, v) in entries {
        let name = Value::String(k.clone());
        check(shapes, key, &name, &format!("{path}.key"), problems);
        check(
            shapes,
            value,
            v,
            &format!("{path}.{k}.member.value"),
            problems,
        );
    }
}

/// A structure's required members and each member given.
fn structure(shapes: &Value, s: &Value, value: &Value, path: &str, problems: &mut Vec<String>) {
    let given = value.as_object().cloned().unwrap_or_default();
    let dot = if path.is_empty() { "" } else { "." };
    for name in s["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if given.get(name).is_none_or(Value::is_null) {
            let at = format!("{path}{dot}{}", lower_first(name));
            problems.push(format!(
                "Value null at '{at}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }
    for (name, member) in s["members"].as_object().into_iter().flatten() {
        let Some(v) = given.get(name).filter(|v| !v.is_null()) else {
            continue;
        };
        let target = member["shape"].as_str().unwrap_or_default();
        check(
            shapes,
            target,
            v,
            &format!("{path}{dot}{}", lower_first(name)),
            problems,
        );
    }
}

/// A string's length (in characters), enum and pattern.
fn text(s: &Value, t: &str) -> Option<String> {
    if let Some(p) = bounds(s, t.chars().count() as i64, "length") {
        return Some(p);
    }
    let allowed: Vec<&str> = s["enum"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !allowed.is_empty() && !allowed.contains(&t) {
        return Some(format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ));
    }
    let pattern = s["pattern"].as_str()?;
    let matches = whole(pattern).is_none_or(|r| r.is_match(t));
    (!matches).then(|| format!("Member must satisfy regular expression pattern: {pattern}"))
}

/// `pattern` matching a whole value (AWS checks the value against the pattern as a whole; the
/// models' patterns are mostly unanchored), compiled once; `None` if the regex crate cannot
/// read it (the check is then skipped).
fn whole(pattern: &str) -> Option<regex::Regex> {
    static COMPILED: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(Default::default);
    let mut compiled = compiled.lock().ok()?;
    let make = || regex::Regex::new(&format!(r"\A(?:{pattern})\z")).ok();
    compiled
        .entry(pattern.to_string())
        .or_insert_with(make)
        .clone()
}

/// Whether `n` (a length or a count, `what` "length"; a number, "value") is within the
/// shape's `min`/`max`.
fn bounds(s: &Value, n: i64, what: &str) -> Option<String> {
    match (s["min"].as_i64(), s["max"].as_i64()) {
        (Some(min), _) if n < min => Some(format!(
            "Member must have {what} greater than or equal to {min}"
        )),
        (_, Some(max)) if n > max => Some(format!(
            "Member must have {what} less than or equal to {max}"
        )),
        _ => None,
    }
}

/// `RoleName` as AWS names it in messages: `roleName`.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_lowercase().chain(chars).collect())
}
