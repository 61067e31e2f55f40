//! What the scaling rules read and change in moto's Application Auto Scaling: a target's
//! tags (kept by the rules), its ARN, its policies and scheduled actions, and answers cut to
//! exactly the `ResourceId` asked for.

use super::*;

/// ListTagsForResource, TagResource and UntagResource, answered from what the rules keep.
pub(super) async fn tags(moto: &Upstream, action: &str, body: &Value) -> Verdict {
    let arn = text(&body["ResourceARN"]);
    if !known(moto, &arn).await {
        let message = format!("No scalable target found for ARN: {arn}");
        return Verdict::Refuse(Refusal::new("ResourceNotFoundException", message));
    }
    targets(|t| {
        let Some(target) = t.get_mut(&arn) else {
            return Verdict::Answer("{}".into());
        };
        match action {
            "ListTagsForResource" => {
                return Verdict::Answer(json!({"Tags": target.tags}).to_string());
            }
            "TagResource" => {
                for (k, v) in body["Tags"].as_object().into_iter().flatten() {
                    target.tags.insert(k.clone(), text(v));
                }
            }
            _ => {
                for k in body["TagKeys"].as_array().into_iter().flatten() {
                    target.tags.remove(&text(k));
                }
            }
        }
        Verdict::Answer("{}".into())
    })
}

/// Whether moto has an ECS scalable target with this ARN; the rules keep one they did not
/// know (without tags) and forget one moto no longer has.
async fn known(moto: &Upstream, arn: &str) -> bool {
    // One page of all (moto's MaxResults has no ceiling; its NextToken is unusable).
    let body = json!({"ServiceNamespace": "ecs", "MaxResults": 100_000});
    let listed = moto.scaling("DescribeScalableTargets", body).await;
    let listed = listed.unwrap_or_default();
    let mut all = listed["ScalableTargets"].as_array().into_iter().flatten();
    let Some(found) = all.find(|t| text(&t["ScalableTargetARN"]) == arn) else {
        targets(|t| {
            t.remove(arn);
        });
        return false;
    };
    let target = Target {
        key: Key::of(found),
        tags: BTreeMap::new(),
    };
    targets(|t| {
        t.entry(arn.to_string()).or_insert(target);
    });
    true
}

/// The ARN of the target `key` names, if moto has it.
pub async fn target_arn(moto: &Upstream, key: &Key) -> Option<String> {
    let mut body = key.fields();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("ResourceId");
        fields.insert("ResourceIds".into(), json!([key.resource_id]));
    }
    let out = moto.scaling("DescribeScalableTargets", body).await?;
    let found = out["ScalableTargets"]
        .as_array()?
        .iter()
        .find(|t| key.holds(t))?;
    Some(text(&found["ScalableTargetARN"]))
}

/// The scaling policies of the target `key` names, in moto (every page).
pub(super) async fn policies(moto: &Upstream, key: &Key) -> Vec<Value> {
    let (mut found, mut body) = (Vec::new(), key.fields());
    for _ in 0..PAGES {
        let out = moto.scaling("DescribeScalingPolicies", body.clone()).await;
        let Some(out) = out else {
            break;
        };
        found.extend(own(&out, "ScalingPolicies", key));
        match out["NextToken"].as_str() {
            Some(token) => body["NextToken"] = json!(token),
            None => break,
        }
    }
    found
}

/// The scheduled actions of the target `key` names, in moto (which pages none).
pub(super) async fn scheduled(moto: &Upstream, key: &Key) -> Vec<Value> {
    let out = moto.scaling("DescribeScheduledActions", key.fields()).await;
    out.map(|o| own(&o, "ScheduledActions", key))
        .unwrap_or_default()
}

/// Deletes in moto, with `action`, each of `items` by its `field` (its name).
pub(super) async fn delete_each(
    moto: &Upstream,
    key: &Key,
    action: &str,
    field: &str,
    items: &[Value],
) {
    for item in items {
        let mut body = key.fields();
        body[field] = item[field].clone();
        let _ = moto.scaling(action, body).await;
    }
}

/// The items of `list` in a Describe answer that belong to the target `key` names.
fn own(out: &Value, list: &str, key: &Key) -> Vec<Value> {
    let items = out[list].as_array().into_iter().flatten();
    items.filter(|item| key.holds(item)).cloned().collect()
}

/// A Describe answer with only the items of the target the request names.
pub(super) fn only_own(reply: Vec<u8>, list: &str, key: &Key) -> Vec<u8> {
    let Some(mut doc) = wire::ok_json(&reply) else {
        return reply;
    };
    if key.resource_id.is_empty() {
        return reply;
    }
    doc[list] = Value::Array(own(&doc, list, key));
    wire::with_body(&reply, &doc.to_string())
}
