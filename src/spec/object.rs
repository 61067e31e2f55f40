//! Properties whose value is an object of named fields (`HealthCheck`,
//! `ContainerHealthCheck`): the table of fields, their reading (numbers may be strings, as
//! CloudFormation sends them; unknown keys are refused), and the object read.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

/// One field of an object property.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The key, as in the template.
    pub name: &'static str,
    /// Its type, range and default.
    pub kind: FieldKind,
    /// One line of documentation.
    pub doc: &'static str,
}

/// A field's type.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// A whole number in `min..=max`; `default` when left out (`None`: AWS's own).
    Integer {
        /// The least allowed.
        min: i64,
        /// The most allowed.
        max: i64,
        /// The value when not given.
        default: Option<i64>,
    },
    /// A string accepted by `check`.
    Text {
        /// The rule.
        check: fn(&str) -> Result<(), String>,
        /// The value when not given.
        default: Option<&'static str>,
    },
    /// A list of strings accepted by `check` (required).
    Strings {
        /// The rule for the whole list.
        check: fn(&[String]) -> Result<(), String>,
    },
}

/// An object property as read: every field given or defaulted, numbers as numbers.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Object(pub BTreeMap<&'static str, Value>);

impl Object {
    /// The whole number in `field` (0 if absent).
    pub fn integer(&self, field: &str) -> i64 {
        self.0.get(field).and_then(Value::as_i64).unwrap_or(0)
    }

    /// The whole number in `field`, if it is set.
    pub fn optional_integer(&self, field: &str) -> Option<i64> {
        self.0.get(field).and_then(Value::as_i64)
    }

    /// The text in `field` (`""` if absent).
    pub fn text(&self, field: &str) -> String {
        self.0
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The strings in `field` (none if absent).
    pub fn strings(&self, field: &str) -> Vec<String> {
        let items = self.0.get(field).and_then(Value::as_array);
        let strings = items.map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)));
        strings.map(Iterator::collect).unwrap_or_default()
    }
}

/// Reads `value` as a list of at most `max` objects of `fields`; the first problem found is
/// the error, naming the item.
pub fn read_list(fields: &[Field], value: &Value, max: usize) -> Result<Vec<Object>, String> {
    let Value::Array(items) = value else {
        return Err("must be a list of objects".to_string());
    };
    if items.len() > max {
        return Err(format!(
            "lists {} items; at most {max} are allowed",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| read(fields, item).map_err(|m| format!("item {}: {m}", i + 1)))
        .collect()
}

/// Reads `value` as an object of `fields`; the first problem found is the error.
pub fn read(fields: &[Field], value: &Value) -> Result<Object, String> {
    let Value::Object(given) = value else {
        return Err("must be an object".to_string());
    };
    if let Some(unknown) = given.keys().find(|k| !fields.iter().any(|f| f.name == *k)) {
        let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Err(format!(
            "unknown key {unknown:?} (known: {})",
            known.join(", ")
        ));
    }
    let mut out = BTreeMap::new();
    for f in fields {
        let value = given.get(f.name).filter(|v| !v.is_null() && *v != "");
        if let Some(v) = field(f, value).map_err(|m| format!("{}: {m}", f.name))? {
            out.insert(f.name, v);
        }
    }
    Ok(Object(out))
}

fn field(f: &Field, value: Option<&Value>) -> Result<Option<Value>, String> {
    match (f.kind, value) {
        (FieldKind::Integer { default, .. }, None) => Ok(default.map(Value::from)),
        (FieldKind::Integer { min, max, .. }, Some(v)) => {
            let n = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match n {
                Some(n) if (min..=max).contains(&n) => Ok(Some(Value::from(n))),
                Some(n) => Err(format!("{n} is out of range {min}–{max}")),
                None => Err("must be a whole number".to_string()),
            }
        }
        (FieldKind::Text { default, .. }, None) => Ok(default.map(Value::from)),
        (FieldKind::Text { check, .. }, Some(Value::String(s))) => {
            check(s).map(|()| Some(Value::from(s.as_str())))
        }
        (FieldKind::Text { .. }, Some(_)) => Err("must be a string".to_string()),
        (FieldKind::Strings { .. }, None) => Err("is required".to_string()),
        (FieldKind::Strings { check }, Some(v)) => {
            let strings: Option<Vec<String>> = v
                .as_array()
                .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_string)).collect());
            let strings = strings.ok_or("must be a list of strings")?;
            check(&strings).map(|()| Some(json!(strings)))
        }
    }
}

/// The JSON Schema of an object of `fields`.
pub fn schema(fields: &[Field]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| {
            let mut s = match f.kind {
                FieldKind::Integer { min, max, default } => {
                    let mut s = json!({"anyOf": [
                        {"type": "integer", "minimum": min, "maximum": max},
                        {"type": "string", "pattern": "^[0-9]+$"},
                    ]});
                    if let Some(d) = default {
                        s["default"] = json!(d);
                    }
                    s
                }
                FieldKind::Text { default, .. } => match default {
                    Some(d) => json!({"type": "string", "default": d}),
                    None => json!({"type": "string"}),
                },
                FieldKind::Strings { .. } => json!({"type": "array", "items": {"type": "string"}}),
            };
            s["description"] = json!(f.doc);
            (f.name.to_string(), s)
        })
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Strings { .. }))
        .map(|f| f.name)
        .collect();
    json!({"type": "object", "properties": properties, "required": required,
           "additionalProperties": false})
}
