//! Scheduled actions of a scalable target: `find_all`, `put`, `delete`.
//!
//! Source: Application Auto Scaling API Reference, PutScheduledAction ("To update a scheduled
//! action, specify the parameters that you want to change"; a ScalableTargetAction with
//! MinCapacity, MaxCapacity or both; Timezone, UTC by default).

use aws_sdk_applicationautoscaling::types::ScalableTargetAction;
use aws_sdk_applicationautoscaling::Client;

use super::{retried_put, retried_removal};
use crate::error::Result;
use crate::spec::scaling::ScheduledAction;

/// A scheduled action as found: its name, which bounds it sets, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheduled {
    /// Its name.
    pub name: String,
    /// The MinCapacity it sets, if any.
    pub min_capacity: Option<i32>,
    /// The MaxCapacity it sets, if any.
    pub max_capacity: Option<i32>,
    /// When it runs (`at(…)`, `rate(…)` or `cron(…)`).
    pub schedule: String,
    /// The time zone of its schedule ([`DEFAULT_TIMEZONE`] if it names none).
    pub timezone: String,
}

/// Every scheduled action of the target `resource_id`.
pub async fn find_all(aas: &Client, resource_id: &str) -> Result<Vec<Scheduled>> {
    let listed =
        of_service!(every aas.describe_scheduled_actions(), resource_id, "scheduled actions")?;
    Ok(listed
        .iter()
        .map(|a| Scheduled {
            name: a.scheduled_action_name().to_string(),
            min_capacity: a.scalable_target_action().and_then(|t| t.min_capacity()),
            max_capacity: a.scalable_target_action().and_then(|t| t.max_capacity()),
            schedule: a.schedule().to_string(),
            timezone: a.timezone().unwrap_or(DEFAULT_TIMEZONE).to_string(),
        })
        .collect())
}

/// The time zone of a schedule that names none.
pub const DEFAULT_TIMEZONE: &str = "Etc/UTC";

/// Creates or updates action `name` of the target `resource_id` from one item of
/// `ScheduledActions`. An update keeps a bound it is not given (PutScheduledAction: "specify
/// the parameters that you want to change"), so the caller deletes an action first whose
/// bound the item dropped; the time zone is always sent ([`DEFAULT_TIMEZONE`] if none).
pub async fn put(
    aas: &Client,
    resource_id: &str,
    name: &str,
    item: &ScheduledAction,
) -> Result<()> {
    let doing = format!("putting scheduled action ({name})");
    let action = ScalableTargetAction::builder()
        .set_min_capacity(item.min_capacity)
        .set_max_capacity(item.max_capacity)
        .build();
    let timezone = Some(item.timezone.as_str()).filter(|t| !t.is_empty());
    let timezone = timezone.unwrap_or(DEFAULT_TIMEZONE);
    let send = || {
        of_service!(aas.put_scheduled_action(), resource_id)
            .scheduled_action_name(name)
            .schedule(&item.schedule)
            .timezone(timezone)
            .scalable_target_action(action.clone())
            .send()
    };
    retried_put(&doing, send).await
}

/// Deletes action `name`; gone counts as deleted.
pub async fn delete(aas: &Client, resource_id: &str, name: &str) -> Result<()> {
    let doing = format!("deleting scheduled action ({name})");
    let send = || {
        let request = of_service!(aas.delete_scheduled_action(), resource_id);
        request.scheduled_action_name(name).send()
    };
    retried_removal(&doing, send).await
}
