//! `prod-e`, the operator CLI: plan, status, teardown, orphans, logs and deploy of prod-e
//! deployments.
//! Uses the standard AWS environment (profile, region, `AWS_ENDPOINT_URL`).

use clap::{Parser, Subcommand};
use prod_e::aws::Clients;
use prod_e::cli::{
    deploy::Deploy, exit, logs::Logs, orphans::Orphans, plan::Plan, status::Status,
    teardown::Teardown, Outcome, Output,
};

/// Operate prod-e deployments (the resources behind each Custom::ProdEService).
///
/// Exit codes: 0 done; 1 failed; 2 usage; 3 invalid properties; 4 declined (nothing
/// deleted); 5 missing or drifted resources (status), or deployment not found; 6 a
/// preflight check failed (plan --check).
#[derive(Debug, Parser)]
#[command(name = "prod-e", version)]
struct Cli {
    /// Output for people (text) or for scripts (json).
    #[arg(long, value_enum, default_value = "text", global = true)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a properties file offline; show what Create, or an Update, would do; with
    /// --check, run Create's preflight checks against the account.
    Plan(Plan),
    /// Show a deployment's resources, their state, and what is missing or drifted.
    Status(Status),
    /// Delete a deployment's resources after listing them and asking for confirmation.
    Teardown(Teardown),
    /// List deployments whose stack no longer exists, with the command to remove each.
    Orphans(Orphans),
    /// Show a deployment's container logs, oldest first, with the task of each line.
    Logs(Logs),
    /// Deploy a new image through CloudFormation (UpdateStack, only the image parameter
    /// changed) and follow the stack and the ECS deployment to the end.
    Deploy(Deploy),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Plan(plan) if plan.check => plan.run_checked(&Clients::from_env().await).await,
        Command::Plan(plan) => plan.run(),
        Command::Status(status) => status.run(&Clients::from_env().await).await,
        Command::Teardown(teardown) => teardown.run(&Clients::from_env().await, cli.output).await,
        Command::Logs(logs) => logs.run(&Clients::from_env().await, cli.output).await,
        Command::Orphans(orphans) => orphans.run(&Clients::from_env().await).await,
        Command::Deploy(deploy) => deploy.run(&Clients::from_env().await, cli.output).await,
    };
    std::process::exit(match result {
        Ok(Outcome { code, text, json }) => {
            match cli.output {
                Output::Text => print!("{text}"),
                // Nothing more to say (a command that printed as it went).
                Output::Json if json.is_null() => {}
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&json).unwrap_or_default()
                ),
            }
            code
        }
        Err(failure) => {
            eprintln!("{}", failure.line());
            let code = failure.code;
            if code == exit::OK {
                exit::FAILED
            } else {
                code
            }
        }
    });
}
