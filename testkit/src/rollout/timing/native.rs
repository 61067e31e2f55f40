//! The times of ECS's own blue/green, canary and linear deployments ([`Strategy`] other than
//! rolling): how long one takes, its lifecycle stage and the share of production traffic on
//! its new revision at a moment of it.

use super::{flaps, leaving, new_task, Fate, Outcome, Settings, Startup, Strategy};

/// A blue/green, canary or linear deployment: the new revision's tasks all at once, the
/// traffic shift's bakes, `bakeTimeInMinutes`, the old tasks leaving.
pub(super) fn native(s: &Settings, startup: Startup) -> Outcome {
    let green = match new_task(s, startup) {
        Fate::Healthy(after) => after,
        Fate::Stopped(after) => return flaps(s, after, s.desired),
    };
    let baking = f64::from((shifting_minutes(s) + s.bake_minutes) * 60);
    Outcome::Completes(green + baking + leaving(s))
}

/// The lifecycle stage (ECS API Reference, `ServiceDeployment.lifecycleStage`) of a native
/// deployment `elapsed` seconds after it began, as [`native`] times it: SCALE_UP until the new
/// revision is healthy, PRODUCTION_TRAFFIC_SHIFT through the canary's or linear steps' bakes,
/// BAKE_TIME for `bakeTimeInMinutes`, then CLEAN_UP; `None` for a rolling deployment or one
/// whose tasks never become healthy.
pub fn native_stage(s: &Settings, startup: Startup, elapsed: f64) -> Option<&'static str> {
    if s.strategy == Strategy::Rolling {
        return None;
    }
    let Fate::Healthy(green) = new_task(s, startup) else {
        return None;
    };
    let shifted = green + f64::from(shifting_minutes(s) * 60);
    let baked = shifted + f64::from(s.bake_minutes * 60);
    Some(match elapsed {
        e if e < green => "SCALE_UP",
        e if e < shifted => "PRODUCTION_TRAFFIC_SHIFT",
        e if e < baked => "BAKE_TIME",
        _ => "CLEAN_UP",
    })
}

/// The percent of production traffic on the new revision of a native deployment `elapsed`
/// seconds after it began, as [`native`] times it: none until the new revision is healthy,
/// then all at once (BLUE_GREEN), `first` for the canary's bake then all (CANARY), or `first`
/// more at each linear step (LINEAR; ECS Developer Guide, "canary deployments", "linear
/// deployments"); `None` for a rolling deployment or one whose tasks never become healthy.
pub fn traffic_share(s: &Settings, startup: Startup, elapsed: f64, first: f64) -> Option<f64> {
    let Fate::Healthy(green) = new_task(s, startup) else {
        return None;
    };
    let since = elapsed - green;
    Some(match s.strategy {
        Strategy::Rolling => return None,
        _ if since < 0.0 => 0.0,
        Strategy::BlueGreen => 100.0,
        Strategy::Canary { bake_minutes } if since < f64::from(bake_minutes * 60) => first,
        Strategy::Canary { .. } => 100.0,
        // No wait between steps: every step at once.
        Strategy::Linear {
            bake_minutes: 0, ..
        } => 100.0,
        Strategy::Linear { bake_minutes, .. } => {
            let steps = (since / f64::from(bake_minutes * 60)).floor() + 1.0;
            (steps * first).min(100.0)
        }
    })
}

/// Minutes a native deployment's production traffic shift takes: the canary's bake, or the
/// bakes between linear steps; none for blue/green.
fn shifting_minutes(s: &Settings) -> u32 {
    match s.strategy {
        Strategy::Canary { bake_minutes } => bake_minutes,
        Strategy::Linear {
            steps,
            bake_minutes,
        } => steps.saturating_sub(1) * bake_minutes,
        _ => 0,
    }
}
