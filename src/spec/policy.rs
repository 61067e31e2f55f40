//! The `TaskRolePolicy` property: an IAM policy document, given as a JSON object (as a YAML
//! template writes it) or a string holding one, kept as compact JSON with `Version` first.

use serde_json::Value;

use super::reader::Reader;
use super::schema::Property;
use crate::resources::role::EXEC_POLICY;

/// The policy language version required: IAM refuses older or missing ones with
/// "MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater"
/// (IAM User Guide, "IAM JSON policy elements: Version"; moto refuses them too).
pub const VERSION: &str = "2012-10-17";

/// IAM's limit on all inline policies of one role together, in non-whitespace characters
/// (IAM User Guide, "IAM and AWS STS quotas": role policy size).
pub const ROLE_INLINE_POLICY_CHARS: usize = 10_240;

impl Reader<'_> {
    /// A policy document ([`super::schema::Kind::PolicyDocument`]): `None` if not set.
    pub fn policy_document(&mut self, p: &Property) -> Option<String> {
        let value = self.given(p)?.clone();
        match document(&value) {
            Ok(text) => Some(text),
            Err(message) => self.fail(p.name, &message, None),
        }
    }
}

/// `value` as compact JSON if it is a policy document IAM could take beside ECS Exec's policy.
fn document(value: &Value) -> Result<String, String> {
    let object = match value {
        Value::String(text) => {
            serde_json::from_str::<Value>(text).map_err(|e| format!("is not JSON: {e}"))?
        }
        other => other.clone(),
    };
    let Value::Object(mut fields) = object else {
        return Err("must be a policy document (a JSON object)".into());
    };
    if fields.remove("Version") != Some(Value::from(VERSION)) {
        return Err(format!("must have \"Version\": \"{VERSION}\""));
    }
    match fields.get("Statement") {
        Some(Value::Object(_)) => {}
        Some(Value::Array(items)) if !items.is_empty() => {}
        _ => return Err("must have a Statement (an object or a non-empty list)".into()),
    }
    // Version first, as IAM's examples write it: a document whose Version followed its
    // Statement was reported refused ("The policy failed legacy parsing",
    // github.com/99designs/iamy/issues/65).
    let rest = Value::Object(fields).to_string();
    let text = format!("{{\"Version\":\"{VERSION}\",{}", &rest[1..]);
    let room = ROLE_INLINE_POLICY_CHARS - chars(EXEC_POLICY);
    match chars(&text) {
        n if n > room => Err(format!(
            "is {n} characters; IAM allows {ROLE_INLINE_POLICY_CHARS} across a role's inline \
             policies, {room} beside ECS Exec's"
        )),
        _ => Ok(text),
    }
}

/// Characters as IAM counts them: whitespace excluded.
fn chars(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_document_is_taken_as_an_object_or_a_string_and_kept_compact() {
        let doc = json!({"Statement": [{"Effect": "Allow"}], "Version": VERSION});
        let compact = document(&doc).expect("object");
        let first = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#;
        assert_eq!(compact, first);
        assert_eq!(document(&json!(doc.to_string())), Ok(compact.clone()));
        let spaced = serde_json::to_string_pretty(&doc).expect("json");
        assert_eq!(document(&json!(spaced)), Ok(compact));
    }

    #[test]
    fn a_document_without_statements_or_too_large_is_refused() {
        let old = json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow"}});
        let unversioned = json!({"Statement": {"Effect": "Allow"}});
        for bad in [
            json!([]),
            json!("{"),
            json!({"Version": VERSION}),
            old,
            unversioned,
        ] {
            assert!(document(&bad).is_err(), "{bad}");
        }
        let sid = "x".repeat(ROLE_INLINE_POLICY_CHARS);
        let big = json!({"Version": VERSION, "Statement": {"Sid": sid}});
        let refused = document(&big).expect_err("too large");
        assert!(refused.contains("beside ECS Exec's"), "{refused}");
    }
}
