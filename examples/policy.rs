//! `make test`'s last step: every AWS call the whole test suite made through its proxies
//! (appended to the file named by `PROD_E_CALL_LOG`, each with the ownership tag its resource
//! carried) judged against the function's policy in `bootstrap-template.yaml`: each must be
//! allowed by a statement whose conditions hold, and every action of every statement must be
//! used. Names each denied call or unused permission and exits 1.
//!
//! `cargo run --example policy -- FILE`

use prod_e_testkit as support;

use std::process::ExitCode;

use support::iam;
use support::proxy::Call;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: policy CALL_LOG");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{path}: {e} (make test writes it)");
            return ExitCode::FAILURE;
        }
    };
    let calls: Vec<Call> = text.lines().filter_map(Call::from_log).collect();
    if calls.len() != text.lines().count() || calls.is_empty() {
        eprintln!(
            "{path}: {} of {} lines are calls",
            calls.len(),
            text.lines().count()
        );
        return ExitCode::FAILURE;
    }
    // Each test deploys behind a network of its own: the stack's parameters match any value.
    let parameters = iam::Parameters::default();
    let verdict = iam::judge(&iam::statements(&parameters), &calls);
    for denied in &verdict.denied {
        println!("denied: {denied}");
    }
    for unused in &verdict.unused {
        println!("unused: {unused}");
    }
    let probed = calls.iter().filter(|c| c.probed.owner.is_some()).count();
    println!(
        "policy: {} calls of the whole suite ({} permissions checked, {probed} on resources carrying the ownership tag): {} denied, {} permissions unused",
        calls.len(),
        verdict.judged,
        verdict.denied.len(),
        verdict.unused.len()
    );
    match verdict.denied.is_empty() && verdict.unused.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}
