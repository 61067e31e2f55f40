//! Rule 13: a capacity provider strategy may only name capacity providers associated with
//! the service's cluster (moto accepts any, and ignores the strategy).
//!
//! Source: the ECS error "The specified capacity provider strategy cannot contain a capacity
//! provider that is not associated with the cluster. Associate the capacity provider with the
//! cluster or specify a valid capacity provider and try again." (dask/dask-cloudprovider#328).

use serde_json::Value;

use super::ecs::cluster_of;
use super::wire::text;
use super::{AwsRules, Refusal, Rule, Upstream, Verdict};

/// CreateService or UpdateService naming a provider its cluster does not have.
pub async fn unassociated(rules: &AwsRules, moto: &Upstream, body: &Value) -> Option<Verdict> {
    let strategy = body["capacityProviderStrategy"].as_array()?;
    if !rules.on(Rule::CapacityProviders) {
        return None;
    }
    let cluster = moto.active_cluster(&cluster_of(body)).await?;
    let associated: Vec<String> = cluster["capacityProviders"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let named = strategy.iter().map(|i| text(&i["capacityProvider"]));
    named
        .into_iter()
        .find(|p| !associated.contains(p))
        .map(|_| {
            Verdict::Refuse(Refusal::new(
                "InvalidParameterException",
                "The specified capacity provider strategy cannot contain a capacity provider that \
             is not associated with the cluster. Associate the capacity provider with the \
             cluster or specify a valid capacity provider and try again.",
            ))
        })
}
