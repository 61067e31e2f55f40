//! Integration tests: the real handler against moto server, CloudFormation played by hand.
//! One test crate with modules, so the SDK is linked once.

mod support;

mod cli;
mod create;
mod delete;
mod events;
mod inspect;
mod protocol;
mod reliability;
mod update;
mod validation;
