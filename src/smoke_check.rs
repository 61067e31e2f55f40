//! What a `SmokeChecks` task runs: a POSIX `sh` script in the new revision's container (its
//! command overridden, as for `MigrationCommand`) that sends each check's GET through the
//! load balancer's listener with the test route's host, header and query string, with `curl`
//! or else `wget` (GNU or BusyBox), and its environment. It prints one line per check
//! ([`LINE_PREFIX`]) and exits [`FAILED_BASE`] plus the number of the first check that got
//! another status (1 for the first), [`NO_CLIENT`] when the image has neither client, and
//! [`PASSED`] when every check passed: not 0, which an image's ENTRYPOINT that never runs its
//! command may well exit with.

use crate::spec::smoke::{SmokeCheck, TestRequest};

/// The variable holding the listener's base URL (`http://<load balancer DNS name>:<port>`).
pub const URL: &str = "PROD_E_SMOKE_URL";
/// The variable holding the `Host` header ("" for none).
pub const HOST: &str = "PROD_E_SMOKE_HOST";
/// The variable holding a further header, `Name: value` ("" for none).
pub const HEADER: &str = "PROD_E_SMOKE_HEADER";
/// The variable holding the query string ("" for none).
pub const QUERY: &str = "PROD_E_SMOKE_QUERY";
/// The variable holding the checks, one a line: `<path> <expected status> <seconds>`.
pub const CHECKS: &str = "PROD_E_SMOKE_CHECKS";
/// How each line the script prints for a check begins: `prod-e smoke check <n>: GET <path>
/// answered <status or "no response within <s>s"> (expected <status>)`.
pub const LINE_PREFIX: &str = "prod-e smoke check ";
/// The exit code when the image has neither `curl` nor `wget`.
pub const NO_CLIENT: i32 = 125;
/// The exit code when every check passed.
pub const PASSED: i32 = 100;
/// The exit code of a failed check, less its number.
pub const FAILED_BASE: i32 = 64;

/// The script (`sh -c`). TLS certificates are not verified: the request names the load
/// balancer by its DNS name and the test host in `Host`, which a certificate for the test
/// host does not cover; the request never leaves AWS's network. Redirects are not followed
/// (curl, GNU wget: an expected 301 is a 301), one attempt each; BusyBox's wget follows them.
pub const SCRIPT: &str = r#"u="$PROD_E_SMOKE_URL"; h="$PROD_E_SMOKE_HOST"
x="$PROD_E_SMOKE_HEADER"; q="$PROD_E_SMOKE_QUERY"
get() {
  t="$u$1${q:+?$q}"
  if command -v curl >/dev/null 2>&1; then
    curl -k -s -o /dev/null -w '%{http_code}' -m "$2" ${h:+-H "Host: $h"} ${x:+-H "$x"} "$t"
  elif command -v wget >/dev/null 2>&1; then
    o=""; wget --version 2>/dev/null | grep -q "GNU Wget" && o="-t 1 --max-redirect=0"
    wget -S -O /dev/null -T "$2" --no-check-certificate $o \
      ${h:+--header "Host: $h"} ${x:+--header "$x"} "$t" 2>&1 |
      awk '/^ *HTTP\//{c=$2} END{print c}'
  else
    echo none
  fi
}
n=0
while read -r p s t; do
  [ -n "$p" ] || continue
  n=$((n+1))
  g=$(get "$p" "$t")
  case "$g" in
    none) echo "prod-e smoke check: the image has neither curl nor wget"; exit 125;;
    ""|000) g="no response within ${t}s";;
  esac
  echo "prod-e smoke check $n: GET $p answered $g (expected $s)"
  [ "$g" = "$s" ] || exit $((64+n))
done <<E
$PROD_E_SMOKE_CHECKS
E
echo "prod-e smoke checks: all $n passed"
exit 100
"#;

/// The check that exit code `code` names as failed (1 for the first), if it names one.
pub fn failed_check(code: i32) -> Option<usize> {
    usize::try_from(code.checked_sub(FAILED_BASE)?)
        .ok()
        .filter(|n| *n >= 1)
}

/// The command the task's container runs.
pub fn command() -> Vec<String> {
    ["sh", "-c", SCRIPT].map(str::to_string).to_vec()
}

/// The task's environment: the listener's `base_url`, `request`'s parts and `checks`.
pub fn environment(
    base_url: &str,
    request: &TestRequest,
    checks: &[SmokeCheck],
) -> Vec<(String, String)> {
    let lines: Vec<String> = checks
        .iter()
        .map(|c| format!("{} {} {}", c.path, c.expected_status, c.timeout_seconds))
        .collect();
    let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        (URL, base_url.to_string()),
        (HOST, or_empty(&request.host)),
        (HEADER, or_empty(&request.header)),
        (QUERY, or_empty(&request.query)),
        (CHECKS, lines.join("\n")),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .to_vec()
}

/// What check `n` (1-based) got, from the task's output `lines`: the text after `answered`
/// on its line, if the line is there.
pub fn answer(lines: &[String], n: usize) -> Option<String> {
    let prefix = format!("{LINE_PREFIX}{n}: ");
    let line = lines.iter().find(|l| l.starts_with(&prefix))?;
    let (_, rest) = line.split_once(" answered ")?;
    let (got, _) = rest.rsplit_once(" (expected ")?;
    Some(got.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_read_from_the_checks_line() {
        let lines = vec![
            "prod-e smoke check 1: GET / answered 200 (expected 200)".to_string(),
            "prod-e smoke check 2: GET /health answered 503 (expected 200)".to_string(),
        ];
        assert_eq!(answer(&lines, 2).as_deref(), Some("503"));
        assert_eq!(answer(&lines, 3), None);
    }

    #[test]
    fn the_script_prints_and_exits_as_documented() {
        assert!(SCRIPT.contains(&format!("exit {NO_CLIENT};")));
        assert!(SCRIPT.contains(&format!("exit $(({FAILED_BASE}+n))")));
        assert!(SCRIPT.ends_with(&format!("exit {PASSED}\n")));
        assert_eq!(failed_check(FAILED_BASE + 2), Some(2));
        assert_eq!((failed_check(FAILED_BASE), failed_check(0)), (None, None));
        assert!(SCRIPT.contains(&format!("echo \"{LINE_PREFIX}$n: GET $p answered")));
        for variable in [URL, HOST, HEADER, QUERY, CHECKS] {
            assert!(SCRIPT.contains(&format!("${variable}")), "{variable}");
        }
    }
}
