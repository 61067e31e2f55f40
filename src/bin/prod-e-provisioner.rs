//! The Lambda entry point: logging, clients built once, then the runtime loop.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use prod_e::handler::{handle, Provider};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    prod_e::retry::set_delay_scale_from_env();
    let provider = Provider::from_env().await?;
    run(service_fn(|event: LambdaEvent<Value>| {
        handle(&provider, event)
    }))
    .await
}
