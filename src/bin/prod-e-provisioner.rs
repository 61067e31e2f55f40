//! The Lambda entry point: logging, clients built once, then the runtime loop.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use prod_e::handler::{handle, Provider};
use serde_json::Value;

/// Stack for the runtime's threads: provisioning futures are deep (debug builds especially).
const THREAD_STACK: usize = 8 << 20;

fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    prod_e::retry::set_delay_scale_from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK)
        .build()?;
    runtime.block_on(async {
        let provider = Provider::from_env().await?;
        run(service_fn(|event: LambdaEvent<Value>| {
            handle(&provider, event)
        }))
        .await
    })
}
