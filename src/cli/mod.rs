//! The operator CLI `prod-e`, one file per command. It uses the same library as the Lambda:
//! the same validation, names, ownership rule, inventory and Delete.

pub mod deploy;
pub mod discover;
mod drift;
pub mod logs;
pub mod orphans;
pub mod plan;
pub mod report;
pub mod status;
pub mod teardown;

use std::path::Path;

use serde_json::Value;

use crate::aws::Clients;
use crate::naming::Deployment;
use crate::spec::Locator;

/// Exit codes scripts can rely on.
pub mod exit {
    /// Done; for `status`, everything present and as specified.
    pub const OK: i32 = 0;
    /// An AWS call or a file read failed.
    pub const FAILED: i32 = 1;
    /// The command line was wrong (clap's own code).
    pub const USAGE: i32 = 2;
    /// The properties are invalid (`plan`).
    pub const INVALID: i32 = 3;
    /// Nothing was done: teardown declined, or refused without a terminal and without `--yes`.
    pub const DECLINED: i32 = 4;
    /// `status`: something is missing or differs from the properties; `teardown`: the
    /// deployment was not found.
    pub const DRIFT: i32 = 5;
    /// `plan --check`: a preflight check failed.
    pub const CHECKS_FAILED: i32 = 6;
}

/// Text for people, JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Text for people.
    Text,
    /// One JSON document on stdout; progress on stderr.
    Json,
}

/// A command's result: what to print and the exit code.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code ([`exit`]).
    pub code: i32,
    /// The result for people.
    pub text: String,
    /// The result for `--output json`.
    pub json: Value,
}

/// A failure that ends the command with [`exit::FAILED`] (or another code).
#[derive(Debug)]
pub struct Failure {
    /// The exit code ([`exit`]).
    pub code: i32,
    /// What went wrong, for stderr.
    pub message: String,
}

/// A request the properties cannot make (a member the SDK requires is missing), as the CLI's
/// failure: invalid properties.
pub(super) fn no_request(e: impl std::fmt::Display) -> Failure {
    Failure {
        code: exit::INVALID,
        message: format!("the properties make no valid request: {e}"),
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            code: exit::FAILED,
            message: e.to_string(),
        }
    }
}

impl Failure {
    /// The line for stderr. Where AWS cannot be used at all (no credentials, no region), every
    /// read fails the same way, so one line with the fix ([`setup_problem`]) stands for them
    /// all; where the endpoint cannot be reached, the fix comes first and the first failure
    /// after it (the others say the same).
    pub fn line(&self) -> String {
        match setup_problem(&self.message) {
            Some((hint, false)) => format!("prod-e: {hint}"),
            Some((hint, true)) => {
                let first = self.message.split("; ").next().unwrap_or_default();
                format!(
                    "prod-e: {hint} ({})",
                    first.chars().take(300).collect::<String>()
                )
            }
            None => format!("prod-e: {}", self.message),
        }
    }
}

/// The fix for an AWS SDK failure that no call can get past, recognised by the SDK's words,
/// and whether the SDK's own message must follow it: no credentials in the SDK's chain
/// (environment, profile, web identity, ECS, EC2 metadata: "no credentials found in chain"),
/// no region (`MissingSigningRegion`), or no connection to the endpoint (the cause follows).
/// A credential source that exists but failed (an expired SSO session, a refused role) is
/// not one of these: its own message says what failed.
pub fn setup_problem(message: &str) -> Option<(&'static str, bool)> {
    let has = |words: &[&str]| words.iter().any(|w| message.contains(w));
    if has(&["no credentials found in chain"]) {
        let hint = "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and \
                    AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for an emulator)";
        return Some((hint, false));
    }
    if has(&["missing signing region", "MissingSigningRegion"]) {
        let hint = "no AWS region: set AWS_REGION, or a region in AWS_PROFILE's profile";
        return Some((hint, false));
    }
    if has(&["dispatch failure: io", "Connection refused", "dns error"]) {
        let hint = "cannot reach the AWS endpoint: check AWS_ENDPOINT_URL and the network";
        return Some((hint, true));
    }
    None
}

/// Reads a properties file: YAML or JSON (JSON is YAML), the shape of the custom resource's
/// `Properties`.
pub fn read_properties(path: &Path) -> Result<Value, Failure> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let value: Value =
        serde_norway::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))?;
    Ok(value)
}

/// Which deployment a command is about.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The CloudFormation stack name (the deployment is found by its tags).
    #[arg(long)]
    pub stack: Option<String>,
    /// The PhysicalResourceId (`<prefix><hash>-<fingerprint>`).
    #[arg(long)]
    pub physical_id: Option<String>,
}

impl Target {
    /// The deployment, and where its resources are (from `properties` if given, else from tags).
    pub async fn resolve(
        &self,
        c: &Clients,
        properties: Option<&Path>,
    ) -> Result<(Deployment, Locator), Failure> {
        let d = self.deployment(c).await?;
        let at = match properties {
            Some(path) => Locator::from_properties(&read_properties(path)?),
            None => discover::locate(c, &d).await?,
        };
        Ok((d, at))
    }
}

impl Target {
    /// The deployment: parsed from `--physical-id`, or found by `--stack`'s tags.
    pub async fn deployment(&self, c: &Clients) -> Result<Deployment, Failure> {
        match (&self.physical_id, &self.stack) {
            (Some(id), _) => Deployment::parse(id).ok_or_else(|| Failure {
                code: exit::USAGE,
                message: format!(
                    "{id:?} is not a prod-e PhysicalResourceId ({}<10 hex digits>-<8 hex \
                     digits>; PROD_E_NAME_PREFIX names another install's prefix)",
                    crate::naming::name_prefix()
                ),
            }),
            (None, Some(stack)) => by_stack(c, stack).await,
            (None, None) => Err("give --stack or --physical-id".into()),
        }
    }
}

async fn by_stack(c: &Clients, stack: &str) -> Result<Deployment, Failure> {
    let needle = format!(":stack/{stack}/");
    let matching: Vec<_> = discover::deployments(c)
        .await?
        .into_iter()
        .filter(|f| f.stack_id.contains(&needle))
        .collect();
    match matching.as_slice() {
        [one] => Deployment::parse(&one.physical_id)
            .ok_or_else(|| format!("bad id {}", one.physical_id).into()),
        [] => Err(Failure {
            code: exit::DRIFT,
            message: format!(
                "no prod-e deployment of stack {stack} found (by the prod-e:stack-id tag)"
            ),
        }),
        many => {
            let ids: Vec<&str> = many.iter().map(|f| f.physical_id.as_str()).collect();
            Err(format!(
                "stack {stack} has several deployments ({}); pick one with --physical-id",
                ids.join(", ")
            )
            .into())
        }
    }
}
