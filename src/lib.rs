//! prod-e: a CloudFormation custom resource that provisions a production ECS Fargate service
//! behind an existing Application Load Balancer.
//!
//! The layout, outside in:
//! - [`cfn`] speaks CloudFormation's custom-resource protocol (events in, responses PUT out)
//!   and nothing else; [`handler`] is the Lambda entry that joins it to provisioning;
//!   [`continuation`] carries an operation that outlasts one invocation to the next.
//! - [`spec`] turns Properties into a validated [`spec::Spec`] and diffs old → new.
//! - [`preflight`] reads the account and network before any write of a Create or a
//!   replacement and names every problem that would keep the service from becoming healthy.
//! - [`naming`] derives every name and the ownership tags from the PhysicalResourceId.
//! - [`plan`] runs Create, Update (in place or by replacement) and Delete over the dependency
//!   graph, concurrently where the graph allows.
//! - [`resources`] holds one file per AWS resource kind with the same verbs; only these
//!   files call the AWS SDK. [`aws`] builds the clients, [`retry`] bounds every retry and
//!   [`wait`] every wait that may go on in another invocation.
//! - [`progress`] names the steps of an operation: structured logs, and what was still in
//!   flight when the deadline came near.
//! - [`cli`] is the operator CLI `prod-e`, one file per command, on the same library, with
//!   what only it needs (finding deployments by their tags, rendering them for people).
//! - The binaries are thin: `prod-e-provisioner` (the Lambda) and `prod-e` (the operator CLI).

#![warn(missing_docs)]

pub mod aws;
pub mod cfn;
pub mod cli;
pub mod continuation;
pub mod default_server;
pub mod error;
#[cfg(test)]
mod fake_aws;
pub mod handler;
pub mod naming;
pub mod plan;
pub mod preflight;
pub mod progress;
pub mod resources;
pub mod retry;
pub mod smoke_check;
pub mod spec;
pub mod wait;
