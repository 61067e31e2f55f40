//! The response document: its fields, and CloudFormation's 4096-byte limit.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Envelope;

/// CloudFormation rejects larger response bodies.
pub const MAX_BODY_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
/// The outcome CloudFormation is told.
pub enum Status {
    /// The operation succeeded.
    Success,
    /// The operation failed; `Reason` says why.
    Failed,
}

/// One answer to one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    /// SUCCESS or FAILED.
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Why (FAILED), cut to fit CloudFormation's 4096-byte limit.
    pub reason: Option<String>,
    /// The resource's PhysicalResourceId.
    pub physical_resource_id: String,
    /// Echoed from the request.
    pub stack_id: String,
    /// Echoed from the request.
    pub request_id: String,
    /// Echoed from the request.
    pub logical_resource_id: String,
    /// The `Fn::GetAtt` attributes (SUCCESS only).
    pub data: BTreeMap<String, String>,
}

impl Response {
    /// SUCCESS for `physical_id`, with attributes `data`.
    pub fn success(envelope: &Envelope, physical_id: &str, data: BTreeMap<String, String>) -> Self {
        Self::new(envelope, Status::Success, None, physical_id, data)
    }

    /// FAILED for `physical_id`, with `reason`.
    pub fn failed(envelope: &Envelope, physical_id: &str, reason: impl Into<String>) -> Self {
        Self::new(
            envelope,
            Status::Failed,
            Some(reason.into()),
            physical_id,
            BTreeMap::new(),
        )
    }

    fn new(
        e: &Envelope,
        status: Status,
        reason: Option<String>,
        physical_id: &str,
        data: BTreeMap<String, String>,
    ) -> Self {
        Response {
            status,
            reason,
            physical_resource_id: physical_id.to_string(),
            stack_id: e.stack_id.clone(),
            request_id: e.request_id.clone(),
            logical_resource_id: e.logical_id.clone(),
            data,
        }
    }

    /// The JSON body, at most [`MAX_BODY_BYTES`]: a long Reason keeps its head and ends by
    /// pointing at the log stream (`log_hint`), where the whole text is.
    /// What the function returns to Lambda once this response is delivered (for logs and
    /// `cargo lambda invoke`): `{"Status", "PhysicalResourceId"}`.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "Status": self.status,
            "PhysicalResourceId": self.physical_resource_id,
        })
    }

    /// The JSON PUT to the ResponseURL; a Reason that does not fit is cut and ends with `log_hint`
    /// (where the whole story is).
    pub fn body(&self, log_hint: &str) -> Vec<u8> {
        let full = self.to_json();
        if full.len() <= MAX_BODY_BYTES {
            return full;
        }
        let Some(reason) = &self.reason else {
            let failed = Response {
                status: Status::Failed,
                reason: Some("response too large".into()),
                data: BTreeMap::new(),
                ..self.clone()
            };
            return failed.to_json();
        };
        let tail = format!(" … (truncated; full text in {log_hint})");
        let with_head = |keep: usize| {
            Response {
                reason: Some(format!("{}{tail}", &reason[..keep])),
                ..self.clone()
            }
            .to_json()
        };
        // The longest head (on a char boundary) whose JSON fits: escaping makes it non-linear.
        let (mut fits, mut too_long) = (0, reason.len());
        while too_long - fits > 1 {
            let mut mid = (fits + too_long) / 2;
            while !reason.is_char_boundary(mid) {
                mid -= 1;
            }
            if mid <= fits {
                break;
            }
            if with_head(mid).len() <= MAX_BODY_BYTES {
                fits = mid;
            } else {
                too_long = mid;
            }
        }
        with_head(fits)
    }

    fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            response_url: "https://x".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:1:stack/s/1".into(),
            request_id: "r".into(),
            logical_id: "Svc".into(),
            physical_id: None,
        }
    }

    #[test]
    fn success_has_no_reason_field() {
        let body = Response::success(
            &envelope(),
            "prod-e-1",
            BTreeMap::from([("A".into(), "b".into())]),
        )
        .body("log");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["Status"], "SUCCESS");
        assert!(v.get("Reason").is_none());
        assert_eq!(v["Data"]["A"], "b");
        assert_eq!(v["PhysicalResourceId"], "prod-e-1");
    }

    #[test]
    fn a_success_too_large_to_send_becomes_failed() {
        let data = (0..200)
            .map(|i| (format!("Key{i}"), "v".repeat(40)))
            .collect();
        let body = Response::success(&envelope(), "prod-e-1", data).body("log");
        assert!(body.len() <= MAX_BODY_BYTES);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (v["Status"].as_str(), v["Reason"].as_str()),
            (Some("FAILED"), Some("response too large"))
        );
        assert_eq!(
            (v["PhysicalResourceId"].as_str(), v["RequestId"].as_str()),
            (Some("prod-e-1"), Some("r"))
        );
        assert!(v["Data"].as_object().is_some_and(|d| d.is_empty()));
    }

    #[test]
    fn long_reasons_are_cut_to_fit_and_point_at_the_log() {
        for reason in ["x".repeat(10_000), "\"é\n".repeat(3000)] {
            let body = Response::failed(&envelope(), "p", reason.clone())
                .body("log stream 2026/11/26/abc");
            assert!(body.len() <= MAX_BODY_BYTES, "{}", body.len());
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let cut = v["Reason"].as_str().unwrap();
            assert!(cut.ends_with("(truncated; full text in log stream 2026/11/26/abc)"));
            assert!(reason.starts_with(cut.split(" … ").next().unwrap()));
            assert!(
                body.len() > MAX_BODY_BYTES - 16,
                "cut too much: {}",
                body.len()
            );
        }
    }
}
