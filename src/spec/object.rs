//! Properties whose value is an object of named fields (`HealthCheck`, `AutoScaling`, the
//! items of `Egress`…): [`object!`], which declares an object's typed struct and its table of
//! fields together; the fields' reading (numbers may be strings, as CloudFormation sends them;
//! unknown keys are refused); and the object read, before it becomes its typed struct.

use std::collections::BTreeMap;

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
    /// A number in `min..=max`, decimals allowed; `default` when left out.
    Decimal {
        /// The least allowed.
        min: f64,
        /// The most allowed.
        max: f64,
        /// The value when not given.
        default: Option<f64>,
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
    /// A JSON object, or a string holding one (CloudFormation's `Json` type), passed on as
    /// given; optional.
    Json,
}

/// A whole-number field in `min..=max`, `default` when left out (`None`: AWS's own).
pub const fn integer(min: i64, max: i64, default: Option<i64>) -> FieldKind {
    FieldKind::Integer { min, max, default }
}

/// A number field in `min..=max` (decimals allowed), `default` when left out.
pub const fn decimal(min: f64, max: f64, default: Option<f64>) -> FieldKind {
    FieldKind::Decimal { min, max, default }
}

/// A text field accepted by `check`, `default` when left out.
pub const fn text(
    check: fn(&str) -> Result<(), String>,
    default: Option<&'static str>,
) -> FieldKind {
    FieldKind::Text { check, default }
}

/// Declares an object property's typed struct and its table of fields (`FIELDS`) together, one
/// line a field: `field: Type = "Key", kind, "doc";`. The struct is made from the object read
/// ([`From<&Object>`]), serializes as that object (the keys given or defaulted), and is read
/// as a [`crate::spec::Spec`] field as `T` (an object whose fields all have defaults),
/// `Option<T>` or `Vec<T>`. A field without a default is an `Option` or a `String` (`""`: not
/// given).
macro_rules! object {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $( $field:ident: $ty:ty = $key:literal, $kind:expr, $doc:literal; )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
        }

        impl $name {
            /// Its fields: key, type, range, default and doc.
            pub const FIELDS: &'static [$crate::spec::object::Field] = &[
                $( $crate::spec::object::Field { name: $key, kind: $kind, doc: $doc }, )*
            ];
        }

        impl From<&$crate::spec::object::Object> for $name {
            fn from(o: &$crate::spec::object::Object) -> Self {
                use $crate::spec::object::FieldValue;
                $name { $( $field: FieldValue::get(o, $key), )* }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use $crate::spec::object::FieldValue;
                let mut map = std::collections::BTreeMap::new();
                $( if let Some(v) = self.$field.json() { map.insert($key, v); } )*
                map.serialize(s)
            }
        }

        impl $crate::spec::object::Typed for $name {}
    };
}
pub(crate) use object;

/// An object property as read: every field given or defaulted, numbers as numbers; its typed
/// struct ([`object!`]) is made from it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object(pub BTreeMap<&'static str, Value>);

/// An object property's typed struct ([`object!`]): what a [`crate::spec::Spec`] field of an
/// object property is read as.
pub trait Typed: for<'a> From<&'a Object> + Default {}

/// The typed structs made from `items` (a list's whole check takes them).
pub fn typed<T: for<'a> From<&'a Object>>(items: &[Object]) -> Vec<T> {
    items.iter().map(T::from).collect()
}

/// The Rust type of an object's field: taken from the object read, and back to JSON (`None`:
/// not given).
pub trait FieldValue: Sized {
    /// The value of `key` in `o` (`""`, 0, empty or `None` when absent).
    fn get(o: &Object, key: &str) -> Self;
    /// The value as the object holds it; `None` when not given.
    fn json(&self) -> Option<Value>;
}

impl FieldValue for String {
    fn get(o: &Object, key: &str) -> Self {
        let text = o.0.get(key).and_then(Value::as_str);
        text.unwrap_or_default().to_string()
    }
    fn json(&self) -> Option<Value> {
        Some(Value::from(self.as_str())).filter(|_| !self.is_empty())
    }
}

impl FieldValue for Option<Value> {
    fn get(o: &Object, key: &str) -> Self {
        o.0.get(key).cloned()
    }
    fn json(&self) -> Option<Value> {
        self.clone()
    }
}

impl FieldValue for Vec<String> {
    fn get(o: &Object, key: &str) -> Self {
        let items = o.0.get(key).and_then(Value::as_array);
        let strings = items.map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)));
        strings.map(Iterator::collect).unwrap_or_default()
    }
    fn json(&self) -> Option<Value> {
        Some(json!(self)).filter(|_| !self.is_empty())
    }
}

/// [`FieldValue`] for a whole-number type `$t` and `Option<$t>`: a field with a default is a
/// `$t` (0 if absent), one without an `Option<$t>`.
macro_rules! integer_field {
    ($($t:ty),*) => {$(
        impl FieldValue for Option<$t> {
            fn get(o: &Object, key: &str) -> Self {
                let n = o.0.get(key).and_then(Value::as_i64);
                n.and_then(|n| <$t>::try_from(n).ok())
            }
            fn json(&self) -> Option<Value> {
                self.map(Value::from)
            }
        }

        impl FieldValue for $t {
            fn get(o: &Object, key: &str) -> Self {
                Option::<$t>::get(o, key).unwrap_or_default()
            }
            fn json(&self) -> Option<Value> {
                Some(Value::from(*self))
            }
        }
    )*};
}

integer_field!(i64, i32);

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
        (FieldKind::Decimal { default, .. }, None) => Ok(default.map(Value::from)),
        (FieldKind::Decimal { min, max, .. }, Some(v)) => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            };
            match n {
                Some(n) if (min..=max).contains(&n) => Ok(Some(Value::from(n))),
                Some(n) => Err(format!("{n} is out of range {min}–{max}")),
                None => Err("must be a number".to_string()),
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
        (FieldKind::Json, None) => Ok(None),
        (FieldKind::Json, Some(v)) => json_object(v).map(Some),
    }
}

/// A JSON object as given, or the object a string holds.
fn json_object(v: &Value) -> Result<Value, String> {
    let parsed = match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    };
    parsed
        .filter(Value::is_object)
        .ok_or_else(|| "must be a JSON object (or a string holding one)".to_string())
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::{json, Value};

    use super::{read, Typed};
    use crate::spec::capacity::CapacityProviderStrategyItem;
    use crate::spec::egress::EgressItem;
    use crate::spec::health::{ContainerHealthCheck, TargetHealthCheck};
    use crate::spec::scaling::{AutoScaling, ScheduledAction};
    use crate::spec::schema::RepositoryCredentials;
    use crate::spec::Spec;

    /// `T` read from `given` serializes as the object read: a field absent from `given`
    /// without a default stays absent (a field's type that cannot say "not given" would
    /// serialize a 0 or `""`, which the diff, the fingerprint and AWS would see).
    fn round_trip<T: Typed + Serialize>(fields: &[super::Field], given: Value) {
        let object = read(fields, &given).expect("valid");
        let typed = serde_json::to_value(T::from(&object)).expect("json");
        let read = serde_json::to_value(&object.0).expect("json");
        assert_eq!(typed, read, "{given}");
    }

    #[test]
    fn every_object_struct_serializes_as_the_object_read() {
        let secret = "arn:aws:secretsmanager:us-east-1:1:secret:hub-AbCdEf";
        let auto = json!({"MinCapacity": 1, "MaxCapacity": 2, "CpuTarget": 50});
        round_trip::<AutoScaling>(AutoScaling::FIELDS, auto);
        let action = json!({"ScheduledActionName": "n", "Schedule": "rate(1 hour)",
                            "MinCapacity": 1});
        round_trip::<ScheduledAction>(ScheduledAction::FIELDS, action);
        round_trip::<TargetHealthCheck>(TargetHealthCheck::FIELDS, json!({}));
        let container = json!({"Command": ["CMD", "true"]});
        round_trip::<ContainerHealthCheck>(ContainerHealthCheck::FIELDS, container);
        let item = json!({"CapacityProvider": "FARGATE_SPOT"});
        round_trip::<CapacityProviderStrategyItem>(CapacityProviderStrategyItem::FIELDS, item);
        let rule = json!({"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"});
        round_trip::<EgressItem>(EgressItem::FIELDS, rule);
        let credentials = json!({"CredentialsParameter": secret});
        round_trip::<RepositoryCredentials>(RepositoryCredentials::FIELDS, credentials);
    }

    /// An object property is read into its struct, and serializes as the object it was read
    /// from, defaults filled in and numbers as numbers: what the diff and the fingerprint see.
    #[test]
    fn an_object_property_is_its_struct_and_serializes_as_its_keys() {
        let spec = Spec::parse(&json!({
            "VpcId": "vpc-0abc",
            "SubnetIds": ["subnet-a1"],
            "ListenerArn": "arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
            "LoadBalancerSecurityGroupId": "sg-0alb",
            "AutoScaling": {"MinCapacity": "2", "MaxCapacity": 6, "CpuTarget": 60},
            "Egress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": "443",
                        "CidrIp": "0.0.0.0/0"}],
        }))
        .expect("valid");
        let auto = spec.auto_scaling.as_ref().expect("scaling");
        let read = (auto.min_capacity, auto.cpu_target, auto.scale_in_cooldown);
        assert_eq!(read, (Some(2), Some(60), 300));
        let auto = serde_json::to_value(auto).expect("json");
        let keys = json!({"MinCapacity": 2, "MaxCapacity": 6, "CpuTarget": 60,
                          "ScaleInCooldown": 300, "ScaleOutCooldown": 60});
        assert_eq!(auto, keys);
        let egress = serde_json::to_value(&spec.egress).expect("json");
        let rule = json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                           "CidrIp": "0.0.0.0/0"}]);
        assert_eq!(egress, rule);
    }
}
