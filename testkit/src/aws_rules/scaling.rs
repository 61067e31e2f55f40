//! Rule 14: Application Auto Scaling as AWS keeps it, where moto differs. A scalable target
//! keeps the `Tags` it was created with (moto drops them, and its TagResource, UntagResource
//! and ListTagsForResource answer 500: the rules answer them), and `Tags` for a target that
//! exists are refused (`ValidationException`); a registration moves the service's desired
//! count into its bounds (moto leaves it); deregistering a target deletes
//! its scaling policies and scheduled actions (moto keeps them); PutScalingPolicy of an
//! existing name updates that policy (moto makes a new one and leaks the old one's target
//! tracking alarms); deleting a target, policy or scheduled action that does not exist, or
//! putting a policy or scheduled action on a target that does not exist, is
//! `ObjectNotFoundException` (moto: `ValidationException`, or success);
//! a `ResourceId` filter matches exactly (moto's DescribeScalingPolicies keeps every policy
//! whose ResourceId is a substring of it).
//!
//! Moto is one server per test process, and its targets are seen through every proxy: what it
//! lacks of them (their tags) is kept once per process too, by ARN (moto keeps a target's ARN
//! across updates and gives a new one after a deregistration).
//!
//! Sources: the Application Auto Scaling API Reference,
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/> (pages `API_<Action>.html`):
//! - RegisterScalableTarget, `Tags`: "Use this parameter to tag the scalable target when it is
//!   created" (for an existing one AWS answers "The scalable target that you tried to tag
//!   already exists": terraform-provider-aws#31839); MinCapacity/MaxCapacity: "changes the
//!   resource's current capacity to a value that is inside of this range";
//! - TagResource, UntagResource, ListTagsForResource: `ResourceNotFoundException` for an ARN
//!   that names no target;
//! - DeregisterScalableTarget: "Deregistering a scalable target deletes the scaling policies
//!   and the scheduled actions that are associated with it"; `ObjectNotFoundException`;
//! - PutScalingPolicy: "If you are updating an existing policy, only the properties you
//!   specify are updated";
//! - ObjectNotFoundException (DeleteScalingPolicy, DeleteScheduledAction, PutScalingPolicy,
//!   PutScheduledAction): "For any operation that depends on the existence of a scalable
//!   target, this exception is thrown if the scalable target with the specified service
//!   namespace, resource ID, and scalable dimension does not exist. For any operation that
//!   deletes or deregisters a resource, this exception is thrown if the resource cannot be
//!   found".

mod moto;

pub use moto::target_arn;
use moto::{delete_each, only_own, policies, scheduled, tags};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use prod_e::naming::OWNER_TAG;
use serde_json::{json, Map, Value};

use super::wire;
use super::wire::text;
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};
use crate::call::Call;

/// Pages of DescribeScalingPolicies read at most.
const PAGES: usize = 100;

/// A scalable target as a request names it: service namespace, scalable dimension and
/// resource id ("" for what it leaves out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub namespace: String,
    pub dimension: String,
    pub resource_id: String,
}

impl Key {
    /// The target a request (or an item of a Describe answer) names.
    pub fn of(body: &Value) -> Key {
        Key {
            namespace: text(&body["ServiceNamespace"]),
            dimension: text(&body["ScalableDimension"]),
            resource_id: text(&body["ResourceId"]),
        }
    }

    /// The key as request fields (those it names).
    fn fields(&self) -> Value {
        let named = [
            ("ServiceNamespace", &self.namespace),
            ("ScalableDimension", &self.dimension),
            ("ResourceId", &self.resource_id),
        ];
        let fields: Map<String, Value> = named
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        Value::Object(fields)
    }

    /// Whether an item of a Describe answer (target, policy, scheduled action) belongs to
    /// this target: the same ResourceId exactly, and the same namespace and dimension where
    /// the key names them.
    fn holds(&self, item: &Value) -> bool {
        let same = |field: &str, want: &str| want.is_empty() || text(&item[field]) == want;
        same("ResourceId", self.resource_id.as_str())
            && same("ServiceNamespace", self.namespace.as_str())
            && same("ScalableDimension", self.dimension.as_str())
    }

    /// The target in the words of Application Auto Scaling's messages.
    fn words(&self) -> String {
        format!(
            "service namespace: {}, resource ID: {}, scalable dimension: {}",
            self.namespace, self.resource_id, self.dimension
        )
    }
}

/// What moto lacks of a scalable target.
#[derive(Debug, Clone)]
struct Target {
    key: Key,
    tags: BTreeMap<String, String>,
}

/// Runs `f` on the targets the rules know, by ARN (once per process, like moto).
fn targets<T>(f: impl FnOnce(&mut HashMap<String, Target>) -> T) -> T {
    static TARGETS: OnceLock<Mutex<HashMap<String, Target>>> = OnceLock::new();
    let mut known = TARGETS
        .get_or_init(Default::default)
        .lock()
        .expect("scalable targets");
    f(&mut known)
}

impl AwsRules {
    /// The ownership tag of the scalable target `arn`, as the rules keep its tags.
    pub fn scalable_target_owner(&self, arn: &str) -> Option<String> {
        targets(|t| t.get(arn)?.tags.get(OWNER_TAG).cloned())
    }
}

/// What the rule makes of an Application Auto Scaling call before moto sees it.
pub async fn before(
    rules: &AwsRules,
    moto: &Upstream,
    action: &str,
    body: &Value,
) -> Option<Verdict> {
    if !rules.on(Rule::ScalableTargets) {
        return None;
    }
    let key = Key::of(body);
    match action {
        "RegisterScalableTarget" => register(moto, &key, body).await,
        "DeregisterScalableTarget" => deregister(moto, &key).await,
        "PutScalingPolicy" | "PutScheduledAction" => put(moto, &key, action, body).await,
        "DeleteScalingPolicy" | "DeleteScheduledAction" => missing(moto, &key, action, body).await,
        "ListTagsForResource" | "TagResource" | "UntagResource" => {
            Some(tags(moto, action, body).await)
        }
        _ => None,
    }
}

/// Records what a forwarded call did, and shows moto's answer as AWS would give it.
pub fn after(rules: &AwsRules, call: &Call, reply: Vec<u8>) -> Vec<u8> {
    if !rules.on(Rule::ScalableTargets) {
        return reply;
    }
    let body: Value = serde_json::from_str(&call.body).unwrap_or_default();
    let key = Key::of(&body);
    match call.action.as_str() {
        "RegisterScalableTarget" => registered(&key, &body, &reply),
        "DeregisterScalableTarget" if wire::ok_body(&reply).is_some() => {
            targets(|t| t.retain(|_, target| target.key != key));
        }
        "DescribeScalingPolicies" => return only_own(reply, "ScalingPolicies", &key),
        "DescribeScheduledActions" => return only_own(reply, "ScheduledActions", &key),
        _ => {}
    }
    reply
}

/// A registration: `Tags` for a target that exists are refused (AWS tags a target on
/// creation only); the ECS service's desired count is moved into the bounds (moto leaves it).
async fn register(moto: &Upstream, key: &Key, body: &Value) -> Option<Verdict> {
    let exists = target_arn(moto, key).await.is_some();
    let tagged = body["Tags"].as_object().is_some_and(|t| !t.is_empty());
    if exists && tagged {
        let message = "The scalable target that you tried to tag already exists. To update \
                       tags on an existing scalable target, use the TagResource API.";
        return Some(Verdict::Refuse(Refusal::new(
            "ValidationException",
            message,
        )));
    }
    adopt(moto, key).await;
    into_bounds(moto, key, body).await;
    None
}

/// RegisterScalableTarget "changes the resource's current capacity to a value that is inside
/// of this range": the ECS service's desired count, clamped into MinCapacity–MaxCapacity.
async fn into_bounds(moto: &Upstream, key: &Key, body: &Value) {
    let service = key.resource_id.strip_prefix("service/");
    let Some((cluster, name)) = service.and_then(|s| s.split_once('/')) else {
        return;
    };
    let Some(found) = moto.service(cluster, name).await else {
        return;
    };
    let count = found["desiredCount"].as_i64().unwrap_or_default();
    let min = body["MinCapacity"].as_i64().unwrap_or(count);
    let max = body["MaxCapacity"].as_i64().unwrap_or(count).max(min);
    let clamped = count.clamp(min, max);
    if clamped != count {
        let update = json!({"cluster": cluster, "service": name, "desiredCount": clamped});
        moto.ecs("UpdateService", update).await;
    }
}

/// A target moto has and the rules do not know yet (registered straight in moto) is known
/// from now on, without tags: this registration of it is an update.
async fn adopt(moto: &Upstream, key: &Key) {
    if let Some(arn) = target_arn(moto, key).await {
        let target = Target {
            key: key.clone(),
            tags: BTreeMap::new(),
        };
        targets(|t| {
            t.entry(arn).or_insert(target);
        });
    }
}

/// A registration that created its target (an ARN the rules do not know) gives it the
/// request's `Tags`; one that updated it changes no tag (AWS tags on creation only).
fn registered(key: &Key, body: &Value, reply: &[u8]) {
    let Some(answer) = wire::ok_json(reply) else {
        return;
    };
    let arn = text(&answer["ScalableTargetARN"]);
    if arn.is_empty() {
        return;
    }
    let tags = body["Tags"].as_object().into_iter().flatten();
    let tags: BTreeMap<String, String> = tags.map(|(k, v)| (k.clone(), text(v))).collect();
    targets(|t| {
        if !t.contains_key(&arn) {
            t.retain(|_, target| &target.key != key);
            let key = key.clone();
            t.insert(arn, Target { key, tags });
        }
    });
}

/// A scaling policy or scheduled action needs its target; a policy put again replaces the
/// one of that name (deleted in moto first, with its alarms).
async fn put(moto: &Upstream, key: &Key, action: &str, body: &Value) -> Option<Verdict> {
    if target_arn(moto, key).await.is_none() {
        return Some(no_target(key));
    }
    if action == "PutScalingPolicy" {
        let name = text(&body["PolicyName"]);
        let same: Vec<Value> = policies(moto, key)
            .await
            .into_iter()
            .filter(|p| text(&p["PolicyName"]) == name)
            .collect();
        delete_each(moto, key, "DeleteScalingPolicy", "PolicyName", &same).await;
        return None;
    }
    merged_schedule(moto, key, body).await
}

/// PutScheduledAction of an existing name changes only what it is given ("To update a
/// scheduled action, specify the parameters that you want to change"; moto replaces the
/// whole action): a bound or time zone the request leaves out keeps its old value. Put in
/// moto merged, and answered here.
async fn merged_schedule(moto: &Upstream, key: &Key, body: &Value) -> Option<Verdict> {
    let name = text(&body["ScheduledActionName"]);
    let existing = scheduled(moto, key).await;
    let old = existing
        .iter()
        .find(|a| text(&a["ScheduledActionName"]) == name)?;
    let mut merged = body.clone();
    for bound in ["MinCapacity", "MaxCapacity"] {
        let given = &body["ScalableTargetAction"][bound];
        let kept = &old["ScalableTargetAction"][bound];
        if given.is_null() && !kept.is_null() {
            merged["ScalableTargetAction"][bound] = kept.clone();
        }
    }
    if body["Timezone"].is_null() && !old["Timezone"].is_null() {
        merged["Timezone"] = old["Timezone"].clone();
    }
    moto.scaling("PutScheduledAction", merged).await?;
    Some(Verdict::Answer("{}".into()))
}

/// Deregistering a target: refused if there is none; else its policies and scheduled
/// actions are deleted first (as AWS does with it).
async fn deregister(moto: &Upstream, key: &Key) -> Option<Verdict> {
    if target_arn(moto, key).await.is_none() {
        return Some(no_target(key));
    }
    let found = policies(moto, key).await;
    delete_each(moto, key, "DeleteScalingPolicy", "PolicyName", &found).await;
    let actions = scheduled(moto, key).await;
    let name = "ScheduledActionName";
    delete_each(moto, key, "DeleteScheduledAction", name, &actions).await;
    None
}

/// DeleteScalingPolicy or DeleteScheduledAction of one the target does not have: refused.
async fn missing(moto: &Upstream, key: &Key, action: &str, body: &Value) -> Option<Verdict> {
    let (kind, field, items) = match action {
        "DeleteScalingPolicy" => ("scaling policy", "PolicyName", policies(moto, key).await),
        _ => (
            "scheduled action",
            "ScheduledActionName",
            scheduled(moto, key).await,
        ),
    };
    let name = text(&body[field]);
    if items.iter().any(|item| text(&item[field]) == name) {
        return None;
    }
    let message = format!("No {kind} found for {}, {kind} name: {name}", key.words());
    Some(not_found(message))
}

fn no_target(key: &Key) -> Verdict {
    not_found(format!("No scalable target found for {}", key.words()))
}

fn not_found(message: String) -> Verdict {
    Verdict::Refuse(Refusal::new("ObjectNotFoundException", message))
}
