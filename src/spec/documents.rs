//! The documents made from the property table ([`super::schema`]): the README's table of
//! properties and the JSON Schema shipped as `schema/prod-e-service.schema.json` (both printed
//! by `prod-e plan`, both checked against the table by the unit tests).

use serde_json::{json, Map, Value};

use super::schema::{Default, Effect, Kind, Property, ALIASES, CLOUDFORMATION_PROPERTIES};
use super::PROPERTIES;

/// The README's property table (Markdown).
pub fn markdown_table() -> String {
    let mut out = String::from("| Property | Meaning | Default | On change |\n|---|---|---|---|\n");
    for p in PROPERTIES {
        let default = match p.default {
            Default::Required => "required".to_string(),
            Default::Text(t) => format!("`{t}`"),
            Default::Integer(n) => format!("`{n}`"),
            Default::Boolean(b) => format!("`{b}`"),
            Default::Empty if matches!(p.kind, Kind::Map { .. }) => "`{}`".to_string(),
            Default::Empty if unset_is_none(&p.kind) => "none".to_string(),
            Default::Empty => "`[]`".to_string(),
            Default::Texts(t) => format!("`{}`", serde_json::to_string(t).unwrap_or_default()),
            Default::Chosen(how) => how.to_string(),
            Default::Fields => fields_default(&p.kind),
        };
        let change = match p.effect {
            Effect::Replacement => "replacement",
            Effect::Behaviour => "in place (no AWS write)",
            _ => "in place",
        };
        let doc = format!("{}{}", p.doc, range_note(&p.kind));
        out.push_str(&format!("| {} | {doc} | {default} | {change} |\n", p.name));
    }
    out
}

/// Whether a property of `kind` that is not set is nothing at all (not an empty list or map).
fn unset_is_none(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::HttpHeader
            | Kind::Object { .. }
            | Kind::Text { .. }
            | Kind::PolicyDocument
            | Kind::Overrides { .. }
    )
}

/// "Path `/`, IntervalSeconds `30`, …": the defaults of an object property's fields.
fn fields_default(kind: &Kind) -> String {
    let Kind::Object { fields, .. } = kind else {
        return String::new();
    };
    let defaults: Vec<String> = fields
        .iter()
        .filter_map(|f| match f.kind {
            super::object::FieldKind::Integer {
                default: Some(d), ..
            } => Some(format!("{} `{d}`", f.name)),
            super::object::FieldKind::Text {
                default: Some(d), ..
            } => Some(format!("{} `{d}`", f.name)),
            super::object::FieldKind::Decimal {
                default: Some(d), ..
            } => Some(format!("{} `{d}`", f.name)),
            _ => None,
        })
        .collect();
    defaults.join(", ")
}

/// ", 1–65535" and the like, for the README.
fn range_note(kind: &Kind) -> String {
    match kind {
        Kind::Integer { min, max } if *max < i64::from(u32::MAX) => format!(", {min}–{max}"),
        Kind::Map {
            max: Some((max, _)),
            ..
        } => format!(" (at most {max})"),
        Kind::Values { max, .. } => format!(", at most {max}"),
        _ => String::new(),
    }
}

/// A JSON Schema (draft 2020-12) of the Properties of `Custom::ProdEService`. Values may be
/// strings where CloudFormation passes scalars as strings.
pub fn json_schema() -> Value {
    let mut properties: Map<String, Value> = PROPERTIES
        .iter()
        .map(|p| (p.name.to_string(), property_schema(p)))
        .collect();
    for alias in ALIASES {
        let (name, field) = (alias.property, alias.field);
        let whole = properties.get(name).cloned().unwrap_or_else(|| json!({}));
        let mut schema = match field {
            Some(f) => whole["properties"][f].clone(),
            None => whole,
        };
        let of = field.map_or(name.to_string(), |f| format!("{name}.{f}"));
        schema["description"] = json!(format!("the old name of {of}"));
        properties.insert(alias.name.to_string(), schema);
    }
    for name in CLOUDFORMATION_PROPERTIES {
        let doc = "CloudFormation's own property";
        properties.insert(name.to_string(), json!({"description": doc}));
    }
    let required: Vec<&str> = PROPERTIES
        .iter()
        .filter(|p| p.default == Default::Required)
        .map(|p| p.name)
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Custom::ProdEService Properties",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn property_schema(p: &Property) -> Value {
    let mut schema = kind_schema(&p.kind);
    schema["description"] = json!(p.doc);
    let default = match p.default {
        Default::Required => None,
        Default::Text(t) => Some(json!(t)),
        Default::Integer(n) => Some(json!(n)),
        Default::Boolean(b) => Some(json!(b)),
        Default::Empty if matches!(p.kind, Kind::Map { .. }) => Some(json!({})),
        Default::Empty if unset_is_none(&p.kind) => None,
        Default::Empty => Some(json!([])),
        Default::Texts(t) => Some(json!(t)),
        Default::Chosen(_) | Default::Fields => None,
    };
    if let Some(default) = default {
        schema["default"] = default;
    }
    schema
}

/// The JSON Schema of a value of `kind`.
fn kind_schema(kind: &Kind) -> Value {
    match *kind {
        Kind::Text { pattern, .. } => match pattern {
            Some(pattern) => json!({"type": "string", "pattern": pattern}),
            None => json!({"type": "string"}),
        },
        Kind::Integer { min, max } => json!({
            "anyOf": [
                {"type": "integer", "minimum": min, "maximum": max},
                {"type": "string", "pattern": "^[0-9]+$"},
            ]
        }),
        Kind::OneOf(values) => {
            let strings: Vec<String> = values.iter().map(i64::to_string).collect();
            json!({"anyOf": [{"enum": values}, {"enum": strings}]})
        }
        Kind::Boolean => json!({"enum": [true, false, "true", "false"]}),
        Kind::Strings => json!({"type": "array", "items": {"type": "string"}}),
        Kind::Subnets => json!({
            "anyOf": [
                {
                    "type": "array",
                    "items": {"type": "string", "pattern": "^subnet-[0-9A-Za-z]+$"},
                    "minItems": 1,
                    "maxItems": 16,
                },
                {"type": "string"},
            ]
        }),
        Kind::Values { .. } | Kind::HttpHeader | Kind::QueryString => condition_schema(kind),
        Kind::Object { fields, .. } => object_schema(fields),
        Kind::PolicyDocument | Kind::Overrides { .. } => json!({"type": ["object", "string"]}),
        Kind::Objects { fields, max, .. } => {
            json!({"type": "array", "items": object_schema(fields), "maxItems": max})
        }
        Kind::Map { max, .. } => {
            let mut map = json!({
                "type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean"]},
            });
            if let Some((max, _)) = max {
                map["maxProperties"] = json!(max);
            }
            map
        }
    }
}

/// The JSON Schema of a listener rule condition's value.
fn condition_schema(kind: &Kind) -> Value {
    match *kind {
        Kind::Values { max, .. } => json!({
            "anyOf": [
                {"type": "array", "items": {"type": "string"}, "maxItems": max},
                {"type": "string"},
            ]
        }),
        Kind::HttpHeader => json!({
            "type": "object",
            "properties": {
                "HttpHeaderName": {"type": "string"},
                "Values": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            "required": ["HttpHeaderName", "Values"],
            "additionalProperties": false,
        }),
        Kind::QueryString => json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
                "required": ["Value"],
                "additionalProperties": false,
            },
        }),
        _ => json!({}),
    }
}

/// The JSON Schema of an object of `fields`.
fn object_schema(fields: &[super::object::Field]) -> Value {
    let properties: serde_json::Map<String, Value> = fields
        .iter()
        .map(|f| {
            let mut s = match f.kind {
                super::object::FieldKind::Integer { min, max, default } => {
                    let mut s = json!({"anyOf": [
                        {"type": "integer", "minimum": min, "maximum": max},
                        {"type": "string", "pattern": "^[0-9]+$"},
                    ]});
                    if let Some(d) = default {
                        s["default"] = json!(d);
                    }
                    s
                }
                super::object::FieldKind::Decimal { min, max, default } => {
                    let mut s = json!({"anyOf": [
                        {"type": "number", "minimum": min, "maximum": max},
                        {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
                    ]});
                    if let Some(d) = default {
                        s["default"] = json!(d);
                    }
                    s
                }
                super::object::FieldKind::Text { default, .. } => match default {
                    Some(d) => json!({"type": "string", "default": d}),
                    None => json!({"type": "string"}),
                },
                super::object::FieldKind::Strings { .. } => {
                    json!({"type": "array", "items": {"type": "string"}})
                }
                super::object::FieldKind::Json => json!({"type": ["object", "string"]}),
            };
            s["description"] = json!(f.doc);
            (f.name.to_string(), s)
        })
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| matches!(f.kind, super::object::FieldKind::Strings { .. }))
        .map(|f| f.name)
        .collect();
    json!({"type": "object", "properties": properties, "required": required,
           "additionalProperties": false})
}
