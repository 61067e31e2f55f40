//! Rule 28b: prod-e's `SmokeChecks` task (a one-off task whose container override sets
//! [`prod_e::smoke_check::CHECKS`]), played as its script would run in the new revision: each
//! check gets the status a test gave the revision's image for its path
//! ([`AwsRules::smoke_answers`]; 200 otherwise), the task prints one line per check (the
//! script's own words, [`prod_e::smoke_check::LINE_PREFIX`]) to its awslogs stream in moto
//! and exits as the script does: 64 plus the number of the first check that got another
//! status, 100 if none did.
//! The answer stands for what the revision's tasks would send back through the test listener
//! rule: the tests check separately when the task runs (after the test rule exists and, in a
//! paused deployment, routes to the new revision).

use serde_json::{json, Value};

use super::wire::text;
use super::{AwsRules, Upstream};
use prod_e::smoke_check::{CHECKS, FAILED_BASE, LINE_PREFIX, PASSED};

/// For a smoke-check task of `definition` (its container override `overridden`): its exit
/// code and the lines it prints; `None` for any other one-off task.
pub fn outcome(
    rules: &AwsRules,
    moto: &Upstream,
    definition: &str,
    overridden: &Value,
) -> Option<(i64, Vec<String>)> {
    let environment = overridden["environment"].as_array()?;
    let checks = environment.iter().find(|e| e["name"] == CHECKS)?;
    let image = moto.rollouts().image_of(definition).unwrap_or_default();
    let mut lines = Vec::new();
    for (i, line) in text(&checks["value"]).lines().enumerate() {
        let mut words = line.split_whitespace();
        let (path, expected) = (words.next()?, words.next()?);
        let key = (image.clone(), path.to_string());
        let got = rules.with(|s| s.one_offs.answers.get(&key).cloned());
        let got = got.unwrap_or_else(|| "200".to_string());
        let n = i + 1;
        lines.push(format!(
            "{LINE_PREFIX}{n}: GET {path} answered {got} (expected {expected})"
        ));
        if got != expected {
            return Some((i64::from(FAILED_BASE) + n as i64, lines));
        }
    }
    lines.push(format!("prod-e smoke checks: all {} passed", lines.len()));
    Some((i64::from(PASSED), lines))
}

/// Writes `lines` to the awslogs stream of container `container` of task `task_id`, of
/// revision `definition` (`<prefix>/<container>/<task id>` in its `awslogs-group`), as the
/// awslogs driver would.
pub async fn log(
    moto: &Upstream,
    definition: &str,
    (container, task_id): (&str, &str),
    lines: &[String],
) {
    let asked = json!({"taskDefinition": definition});
    let found = moto.ecs("DescribeTaskDefinition", asked).await;
    let containers = found.map(|f| f["taskDefinition"]["containerDefinitions"].clone());
    let containers = containers
        .and_then(|c| c.as_array().cloned())
        .unwrap_or_default();
    let Some(options) = containers
        .iter()
        .find(|c| c["name"] == container)
        .map(|c| c["logConfiguration"]["options"].clone())
    else {
        return;
    };
    let group = text(&options["awslogs-group"]);
    let stream = format!(
        "{}/{container}/{task_id}",
        text(&options["awslogs-stream-prefix"])
    );
    let names = json!({"logGroupName": group, "logStreamName": stream});
    moto.logs("CreateLogStream", names.clone()).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    let at = now.map_or(0, |d| d.as_millis() as i64);
    let events: Vec<Value> = lines
        .iter()
        .map(|l| json!({"timestamp": at, "message": l}))
        .collect();
    let mut put = names;
    put["logEvents"] = json!(events);
    moto.logs("PutLogEvents", put).await;
}
