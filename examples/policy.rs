//! `make test`'s last step: every AWS call the whole test suite made through its proxies
//! (appended to the file named by `PROD_E_CALL_LOG`, each with the ownership tag its resource
//! carried and the networks its account deploys behind) judged against the function's policy
//! in `bootstrap-template.yaml` ([`judgement`]): each must be allowed by a statement whose
//! conditions hold, under exact stack parameters, with the template's defaults and with the
//! suite's restrictive set; every action of every statement must be used. Names each denied
//! call or unused permission and exits 1.
//!
//! `cargo run --example policy -- FILE`

use prod_e_testkit as support;

use std::process::ExitCode;

use support::judgement;
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
    let j = judgement::judge_suite(&calls);
    for denied in &j.denied {
        println!("denied: {denied}");
    }
    for denied in &j.denied_by_defaults {
        println!("denied under the template's defaults: {denied}");
    }
    for unused in &j.unused {
        println!("unused: {unused}");
    }
    if j.unattributed > 0 {
        println!(
            "{} calls from proxies that deploy behind no network (Proxy::deploys_behind)",
            j.unattributed
        );
    }
    let probed = calls.iter().filter(|c| c.probed.owner.is_some()).count();
    println!(
        "policy: {} calls of the whole suite ({} permissions checked, {probed} on resources carrying the ownership tag), each under its own network's VpcId and ListenerArn; with TaskRoleAllowedPolicyArns {:?} and RoleTagKeys {:?}: {} denied, {} (statement, action) grants unused; with the template's defaults: {} denied, {} of {} calls needing an operator's opt-in (a task-role policy attachment, a user tag on a role) refused as the defaults intend",
        j.calls,
        j.judged,
        judgement::SUITE_PARAMETERS,
        judgement::SUITE_ROLE_TAG_KEYS,
        j.denied.len(),
        j.unused.len(),
        j.denied_by_defaults.len(),
        j.refused_by_defaults,
        j.opt_in_calls,
    );
    match j.passed() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}
