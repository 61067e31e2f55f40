//! `TaskDefinitionOverrides` and `ServiceOverrides` on the wire: the overrides object merged
//! into the JSON body of the request an SDK call sends (ECS's JSON protocol names members as
//! the API does), just before it is signed (`customize().mutate_request`). Objects merge
//! member by member (RFC 7396's merge, without its `null` removal), lists and scalars are
//! replaced, and each `containerDefinitions` item merges into the container its `name` names.
//! What may be overridden is [`crate::spec::overrides`]'s.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::{context, Intercept};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

/// Merges `overrides` (a JSON object) into the JSON body of `request`, and sets its
/// `content-length` to match; a body that is not JSON is left as it is.
pub fn merge_into(request: &mut HttpRequest, overrides: &Value) {
    let Some(body) = request.body().bytes() else {
        return;
    };
    let Ok(mut sent) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    merge(&mut sent, overrides);
    let merged = sent.to_string().into_bytes();
    let length = merged.len().to_string();
    *request.body_mut() = SdkBody::from(merged);
    request.headers_mut().insert("content-length", length);
}

/// Merges `patch` into `target`.
fn merge(target: &mut Value, patch: &Value) {
    let (Value::Object(target), Value::Object(patch)) = (target, patch) else {
        return;
    };
    for (key, value) in patch {
        match (key.as_str(), target.get_mut(key)) {
            ("containerDefinitions", Some(Value::Array(containers))) => {
                merge_containers(containers, value);
            }
            (_, Some(existing @ Value::Object(_))) if value.is_object() => merge(existing, value),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The `mutate_request` of an SDK call that merges `overrides` (a spec's property, compact
/// JSON) into its request; one that does nothing if there are none.
pub fn merging(overrides: Option<&str>) -> impl Fn(&mut HttpRequest) + Send + Sync + 'static {
    let overrides = overrides.and_then(|o| serde_json::from_str::<Value>(o).ok());
    move |request| {
        if let Some(o) = &overrides {
            merge_into(request, o);
        }
    }
}

/// Merges each item of `patch` into the container of `containers` its `name` names.
fn merge_containers(containers: &mut [Value], patch: &Value) {
    for item in patch.as_array().into_iter().flatten() {
        let named = containers.iter_mut().find(|c| c["name"] == item["name"]);
        if let Some(container) = named {
            merge(container, item);
        }
    }
}

/// The JSON body of the response to one SDK call (`customize().interceptor(…)`), for reading a
/// resource's members the SDK's types cannot show as JSON ([`live_at`]).
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Option<Value>>>);

impl Captured {
    /// The body captured, if it was JSON.
    pub fn body(&self) -> Option<Value> {
        self.0.lock().ok()?.clone()
    }
}

impl Intercept for Captured {
    fn name(&self) -> &'static str {
        "prod-e: the response as JSON"
    }

    fn read_after_deserialization(
        &self,
        context: &context::AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = context.response().body().bytes();
        let value = body.and_then(|b| serde_json::from_slice(b).ok());
        if let Ok(mut kept) = self.0.lock() {
            *kept = value;
        }
        Ok(())
    }
}

/// What `live` (a resource as ECS describes it, JSON) has at each member `overrides` sets, in
/// the shape of `overrides` (containers by name, other lists item by item, a missing member
/// `null`): equal to `overrides` while nothing has drifted.
pub fn live_at(overrides: &Value, live: &Value) -> Value {
    let Value::Object(members) = overrides else {
        return live.clone();
    };
    let at = |(key, value): (&String, &Value)| {
        let found = match (key.as_str(), value) {
            ("containerDefinitions", Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|item| {
                        let live = live[key].as_array().into_iter().flatten();
                        let named = live.clone().find(|c| c["name"] == item["name"]);
                        live_at(item, named.unwrap_or(&Value::Null))
                    })
                    .collect(),
            ),
            (_, Value::Object(_)) => live_at(value, &live[key]),
            // Item by item, each as its own: ECS may add members to a list's items.
            (_, Value::Array(items)) if live[key].is_array() => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| live_at(item, &live[key][i]))
                    .collect(),
            ),
            _ => live[key].clone(),
        };
        (key.clone(), found)
    };
    Value::Object(members.iter().map(at).collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{live_at, merge};

    #[test]
    fn the_live_values_at_the_overridden_members_show_drift() {
        let overrides = json!({"pidMode": "task", "containerDefinitions":
            [{"name": "app", "dockerLabels": {"a": "1"}}]});
        let live = json!({"pidMode": "task", "family": "f", "containerDefinitions":
            [{"name": "app", "image": "i", "dockerLabels": {"a": "1", "b": "2"}}]});
        assert_eq!(live_at(&overrides, &live), overrides);
        let normalised = json!({"volumes": [{"name": "v", "host": {}}]});
        let volumes = json!({"volumes": [{"name": "v"}]});
        assert_eq!(live_at(&volumes, &normalised), volumes);
        let drifted = json!({"containerDefinitions": [{"name": "app", "dockerLabels": {}}]});
        let found = live_at(&overrides, &drifted);
        assert_eq!(found["pidMode"], json!(null));
        assert_eq!(
            found["containerDefinitions"][0]["dockerLabels"]["a"],
            json!(null)
        );
    }

    #[test]
    fn objects_merge_lists_are_replaced_and_containers_merge_by_name() {
        let mut sent = json!({"family": "f", "volumes": [{"name": "a"}],
            "containerDefinitions": [{"name": "app", "image": "i", "dockerLabels": {"a": "1"}}]});
        merge(
            &mut sent,
            &json!({"pidMode": "task", "volumes": [{"name": "b"}],
                "containerDefinitions": [{"name": "app", "dockerLabels": {"b": "2"},
                    "ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 2}]}]}),
        );
        let want = json!({"family": "f", "pidMode": "task", "volumes": [{"name": "b"}],
            "containerDefinitions": [{"name": "app", "image": "i",
                "dockerLabels": {"a": "1", "b": "2"},
                "ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 2}]}]});
        assert_eq!(sent, want);
    }
}
