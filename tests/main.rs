//! Integration tests: the real handler against moto server, CloudFormation played by hand.
//! One test crate with modules, so the SDK is linked once.

/// The test world (`testkit/`), under the name the tests use.
use prod_e_testkit as support;

mod aws_rules;
mod cancel;
mod capacity;
mod cli;
mod create;
mod delete;
mod deploy;
mod deployment;
mod drift;
mod emulator;
mod events;
mod forged;
mod groups;
mod health;
mod hooks;
mod inspect;
mod logs;
mod migration;
mod network;
mod overrides;
mod placement;
mod policy;
mod preflight;
mod protocol;
mod real_aws;
mod reliability;
mod replace;
mod rollouts;
mod routing;
mod scaling;
mod secrets;
mod smoke;
mod steady;
mod strategy;
mod task_role;
mod test_route;
mod tidy;
mod update;
mod validation;
