//! Integration tests: the real handler against moto server, CloudFormation played by hand.
//! One test crate with modules, so the SDK is linked once.

/// Shared with the demo and the benchmark, which each use a different part of it.
#[allow(dead_code)]
mod support;

mod aws_rules;
mod cli;
mod create;
mod delete;
mod events;
mod inspect;
mod policy;
mod protocol;
mod real_aws;
mod reliability;
mod replace;
mod steady;
mod tidy;
mod update;
mod validation;
