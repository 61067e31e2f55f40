//! Reads property values as [`super::schema`] describes them, recording a problem (and
//! yielding a placeholder) for each bad one, so that every problem is reported at once. Scalars
//! may be strings, as CloudFormation sends them; `null` or an empty string means "not set".

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::object::{self, Object};
use super::routing::{HttpHeader, QueryStringValue};
use super::schema::{alias_of, Default, Kind, Property};
use super::Problem;

/// The Properties being read and the problems found so far.
pub struct Reader<'a> {
    pub props: &'a Map<String, Value>,
    pub problems: Vec<Problem>,
    /// The properties found set so far ([`super::Spec::stated`]).
    pub stated: Vec<&'static str>,
}

impl Reader<'_> {
    /// Records that `name` is wrong because of `message`; returns `placeholder`.
    pub fn fail<T>(&mut self, name: &str, message: &str, placeholder: T) -> T {
        self.problems.push(Problem::new(name, message));
        placeholder
    }

    /// The value of `p`, or `None` if it is not set (absent, `null` or `""`); a required
    /// property that is not set is a problem, a set one is recorded in `stated`.
    pub(super) fn given(&mut self, p: &Property) -> Option<&Value> {
        let alias = alias_of(p.name)
            .filter(|a| a.field.is_none())
            .map(|a| a.name);
        let set = |v: &&Value| !v.is_null() && **v != "";
        let by_alias = alias.and_then(|a| self.props.get(a)).filter(set);
        let by_name = self.props.get(p.name).filter(set);
        if let (Some(alias), Some(_), Some(_)) = (alias, by_alias, by_name) {
            let message = format!("give {} or its old name {alias}, not both", p.name);
            self.problems.push(Problem::new(p.name, &message));
        }
        let value = match self.props.get(p.name).or(by_alias) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(v) => Some(v),
        };
        match value {
            None if p.default == Default::Required => self.fail(p.name, "is required", ()),
            Some(_) if !self.stated.contains(&p.name) => self.stated.push(p.name),
            _ => {}
        }
        value
    }

    /// A string property ([`Kind::Text`]).
    pub fn text(&mut self, p: &Property) -> String {
        let default = match p.default {
            Default::Text(d) => d,
            _ => "",
        };
        let value = match self.given(p) {
            None => return default.to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return self.fail(p.name, "must be a string", String::new()),
        };
        let Kind::Text { check, .. } = p.kind else {
            return value;
        };
        match check(&value) {
            Ok(()) => value,
            Err(message) => self.fail(p.name, &message, value),
        }
    }

    /// A whole number ([`Kind::Integer`] or [`Kind::OneOf`]).
    pub fn integer(&mut self, p: &Property) -> i64 {
        let default = match p.default {
            Default::Integer(n) => n,
            _ => 0,
        };
        let parsed = match self.given(p) {
            None => return default,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let Some(n) = parsed else {
            return self.fail(p.name, "must be a whole number", default);
        };
        match p.kind {
            Kind::Integer { min, max } if !(min..=max).contains(&n) => {
                self.fail(p.name, &format!("{n} is out of range {min}–{max}"), default)
            }
            Kind::OneOf(allowed) if !allowed.contains(&n) => {
                let min = allowed.iter().min().copied().unwrap_or(n);
                let max = allowed.iter().max().copied().unwrap_or(n);
                if !(min..=max).contains(&n) {
                    let message = format!("{n} is out of range {min}–{max}");
                    return self.fail(p.name, &message, default);
                }
                let list: Vec<String> = allowed.iter().map(i64::to_string).collect();
                let message = format!("{n} is not one of {}", list.join(", "));
                self.fail(p.name, &message, default)
            }
            _ => n,
        }
    }

    /// A whole number, or `None` if not set (a property whose default is [`Default::Chosen`]).
    pub fn optional_integer(&mut self, p: &Property) -> Option<i64> {
        self.given(p)?;
        let before = self.problems.len();
        let n = self.integer(p);
        (self.problems.len() == before).then_some(n)
    }

    /// `true` or `false` ([`Kind::Boolean`]).
    pub fn boolean(&mut self, p: &Property) -> bool {
        let default = matches!(p.default, Default::Boolean(true));
        match self.given(p) {
            None => default,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
            Some(_) => self.fail(p.name, "must be true or false", default),
        }
    }

    /// A list of strings ([`Kind::Strings`]).
    pub fn strings(&mut self, p: &Property) -> Vec<String> {
        match self.given(p) {
            None => Vec::new(),
            Some(Value::Array(items)) => match all_strings(items) {
                Some(s) => s,
                None => self.fail(p.name, "must be a list of strings", Vec::new()),
            },
            Some(_) => self.fail(p.name, "must be a list of strings", Vec::new()),
        }
    }

    /// Subnet ids ([`Kind::Subnets`]): a list, or a comma-separated string.
    pub fn subnets(&mut self, p: &Property) -> Vec<String> {
        let name = p.name;
        let items: Vec<String> = match self.given(p) {
            None => return Vec::new(),
            Some(Value::String(s)) => s
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::Array(items)) => match all_strings(items) {
                Some(s) => s,
                None => return self.fail(name, "must be a list of subnet ids", Vec::new()),
            },
            Some(_) => return self.fail(name, "must be a list of subnet ids", Vec::new()),
        };
        if items.is_empty() {
            return self.fail(name, "must list at least one subnet", items);
        }
        if items.len() > 16 {
            return self.fail(name, "lists more than 16 subnets (the ECS limit)", items);
        }
        if let Some(bad) = items
            .iter()
            .find(|s| super::checks::prefixed(s, "subnet-").is_err())
        {
            let message = format!("{bad:?} is not a subnet id (subnet-…)");
            return self.fail(name, &message, items);
        }
        items
    }

    /// A map of string to string ([`Kind::Map`]); numbers and booleans become strings.
    pub fn map(&mut self, p: &Property) -> BTreeMap<String, String> {
        let (name, empty) = (p.name, BTreeMap::new());
        let object = match self.given(p) {
            None => return empty,
            Some(Value::Object(o)) => o.clone(),
            Some(_) => return self.fail(name, "must be a map of string to string", empty),
        };
        let Kind::Map {
            check_key,
            check_value,
            max,
        } = p.kind
        else {
            return empty;
        };
        let mut out = BTreeMap::new();
        for (key, value) in &object {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return self.fail(name, &format!("value of {key:?} must be a string"), empty),
            };
            if key.is_empty() {
                return self.fail(name, "keys must not be empty", empty);
            }
            if let Err(message) = check_key(key).and_then(|()| check_value(&text)) {
                return self.fail(name, &message, empty);
            }
            out.insert(key.clone(), text);
        }
        match max {
            Some((max, why)) if out.len() > max => {
                self.fail(name, &format!("at most {max} {why}"), empty)
            }
            _ => out,
        }
    }
}

impl Reader<'_> {
    /// Condition values ([`Kind::Values`]): a list of strings or one string, each checked.
    pub fn values(&mut self, p: &Property) -> Vec<String> {
        let default: Vec<String> = match p.default {
            Default::Texts(texts) => texts.iter().map(|t| t.to_string()).collect(),
            _ => Vec::new(),
        };
        let Some(value) = self.given(p).cloned() else {
            return default;
        };
        let Some(items) = strings_of(&value) else {
            return self.fail(p.name, "must be a list of strings", default);
        };
        self.checked(p.name, p.kind, items, default)
    }

    /// Checks each value against `kind`'s rule and count.
    fn checked(
        &mut self,
        name: &str,
        kind: Kind,
        items: Vec<String>,
        default: Vec<String>,
    ) -> Vec<String> {
        let Kind::Values { check, max } = kind else {
            return items;
        };
        if items.len() > max {
            let message = format!("{} values; ALB allows {max} per condition", items.len());
            return self.fail(name, &message, default);
        }
        if let Some(message) = items.iter().find_map(|v| check(v).err()) {
            return self.fail(name, &message, default);
        }
        items
    }

    /// An `http-header` condition ([`Kind::HttpHeader`]).
    pub fn http_header(&mut self, p: &Property) -> Option<HttpHeader> {
        let value = self.given(p)?.clone();
        let shape = "must be {\"HttpHeaderName\": string, \"Values\": [strings]}";
        let name = value.get("HttpHeaderName").and_then(Value::as_str);
        let values = value.get("Values").and_then(strings_of);
        let known = |k: &String| k == "HttpHeaderName" || k == "Values";
        let extra = value.as_object().is_some_and(|o| !o.keys().all(known));
        let (Some(name), Some(values), false) = (name, values, extra) else {
            return self.fail(p.name, shape, None);
        };
        if let Err(message) = super::checks::http_header_name(name) {
            return self.fail(p.name, &message, None);
        }
        let rule = Kind::Values {
            check: super::checks::condition_value,
            max: super::routing::MAX_VALUES_PER_CONDITION,
        };
        let before = self.problems.len();
        let values = self.checked(p.name, rule, values, Vec::new());
        if values.is_empty() && self.problems.len() == before {
            return self.fail(p.name, "Values must list at least one value", None);
        }
        Some(HttpHeader {
            http_header_name: name.to_string(),
            values,
        })
    }

    /// `query-string` matches ([`Kind::QueryString`]).
    pub fn query_string(&mut self, p: &Property) -> Vec<QueryStringValue> {
        let Some(value) = self.given(p).cloned() else {
            return Vec::new();
        };
        let shape = "must be a list of {\"Key\": string (optional), \"Value\": string}";
        let items = value.as_array().map(|items| {
            items
                .iter()
                .map(query_string_value)
                .collect::<Option<Vec<_>>>()
        });
        let Some(Some(items)) = items else {
            return self.fail(p.name, shape, Vec::new());
        };
        let strings = items.iter().flat_map(|q| q.key.iter().chain([&q.value]));
        if let Some(message) = strings
            .map(|s| super::checks::condition_value(s))
            .find_map(Result::err)
        {
            return self.fail(p.name, &message, Vec::new());
        }
        let max = super::routing::MAX_VALUES_PER_CONDITION;
        if items.len() > max {
            let message = format!("{} values; ALB allows {max} per condition", items.len());
            return self.fail(p.name, &message, Vec::new());
        }
        items
    }
}

impl Reader<'_> {
    /// An object property ([`Kind::Object`]); with [`Default::Fields`] an absent one is its
    /// fields' defaults, otherwise `None`. A field's old name (an [`super::schema::Alias`]
    /// with a field) is read into it.
    pub fn object(&mut self, p: &Property) -> Option<Object> {
        let Kind::Object { fields, check } = p.kind else {
            return None;
        };
        let mut value = match (self.given(p).cloned(), p.default) {
            (Some(v), _) => v,
            (None, Default::Fields) => Value::Object(Map::new()),
            (None, _) => return None,
        };
        if let Some(message) = self.field_alias(p, &mut value) {
            return self.fail(p.name, &message, None);
        }
        match object::read(fields, &value).and_then(|o| check(&o).map(|()| o)) {
            Ok(o) => Some(o),
            Err(message) => self.fail(p.name, &message, None),
        }
    }

    /// A list of objects ([`Kind::Objects`]); none if not set.
    pub fn objects(&mut self, p: &Property) -> Vec<Object> {
        let Kind::Objects { fields, check, max } = p.kind else {
            return Vec::new();
        };
        let Some(value) = self.given(p).cloned() else {
            return Vec::new();
        };
        match object::read_list(fields, &value, max).and_then(|o| check(&o).map(|()| o)) {
            Ok(items) => items,
            Err(message) => self.fail(p.name, &message, Vec::new()),
        }
    }

    /// Moves the value of a field's old name into `value`; the problem if both are given.
    fn field_alias(&self, p: &Property, value: &mut Value) -> Option<String> {
        let alias = alias_of(p.name)?;
        let field = alias.field?;
        let old = self
            .props
            .get(alias.name)
            .filter(|v| !v.is_null() && **v != "")?;
        let object = value.as_object_mut()?;
        if object.contains_key(field) {
            return Some(format!(
                "give {}.{field} or its old name {}, not both",
                p.name, alias.name
            ));
        }
        object.insert(field.to_string(), old.clone());
        None
    }
}

/// One `{"Key": …, "Value": …}`, if well-formed.
fn query_string_value(item: &Value) -> Option<QueryStringValue> {
    let object = item.as_object()?;
    if !object.keys().all(|k| k == "Key" || k == "Value") {
        return None;
    }
    let key = match object.get("Key") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    Some(QueryStringValue {
        key,
        value: object.get("Value")?.as_str()?.to_string(),
    })
}

/// A list of strings, or one string as a list of one.
fn strings_of(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => all_strings(items),
        _ => None,
    }
}

/// The items as strings, if every one is a string.
fn all_strings(items: &[Value]) -> Option<Vec<String>> {
    items
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}
