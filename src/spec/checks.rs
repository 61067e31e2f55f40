//! The validation rules of single property values (AWS's formats and limits). Each returns the
//! message that names what is wrong, for the FAILED Reason.

use crate::naming::{reserved_prefix, FINGERPRINT_LEN};

/// User tags allowed beside prod-e's three (IAM allows 50 per role).
pub const MAX_USER_TAGS: usize = 40;

/// The retention values CloudWatch Logs accepts (PutRetentionPolicy reference).
pub const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// `s` is one of `allowed` (else the message lists them).
pub fn one_of(s: &str, allowed: &[&str]) -> Result<(), String> {
    match allowed.contains(&s) {
        true => Ok(()),
        false => Err(format!("{s:?} must be one of {}", allowed.join(", "))),
    }
}

/// A VPC id (`vpc-…`).
pub fn vpc_id(s: &str) -> Result<(), String> {
    prefixed(s, "vpc-")
}

/// A security group id (`sg-…`).
pub fn security_group_id(s: &str) -> Result<(), String> {
    prefixed(s, "sg-")
}

/// Any key (the container environment: ECS sets no rule of its own; empty keys are refused
/// for every map).
pub fn any_key(_key: &str) -> Result<(), String> {
    Ok(())
}

/// Any value (the container environment: no rule of prod-e's).
pub fn any_value(_value: &str) -> Result<(), String> {
    Ok(())
}

/// Where a secret comes from: a Secrets Manager secret ARN (optionally with ECS's
/// `:json-key:version-stage:version-id` suffix) or an SSM parameter ARN (ECS Developer Guide,
/// "Pass sensitive data to an Amazon ECS container").
pub fn secret_source(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let secret =
        parts.len() >= 7 && parts.get(2) == Some(&"secretsmanager") && parts[5] == "secret";
    let parameter =
        parts.len() == 6 && parts.get(2) == Some(&"ssm") && parts[5].starts_with("parameter/");
    match parts.first() == Some(&"arn") && (secret || parameter) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be a Secrets Manager secret ARN (arn:…:secretsmanager:…:secret:…) or \
             an SSM parameter ARN (arn:…:ssm:…:parameter/…)"
        )),
    }
}

/// A Secrets Manager secret ARN (`arn:…:secretsmanager:…:secret:…`).
pub fn secret_arn(s: &str) -> Result<(), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let secret = parts.first() == Some(&"arn")
        && parts.len() >= 7
        && parts.get(2) == Some(&"secretsmanager")
        && parts[5] == "secret";
    match secret {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be a Secrets Manager secret ARN (arn:…:secretsmanager:…:secret:…)"
        )),
    }
}

/// A KMS key ARN (`arn:…:kms:…:key/…`).
pub fn kms_key_arn(s: &str) -> Result<(), String> {
    match s.starts_with("arn:") && s.contains(":kms:") && s.contains(":key/") {
        true => Ok(()),
        false => Err(format!("{s:?} must be a KMS key ARN (arn:…:kms:…:key/…)")),
    }
}

/// Whether a rolling deployment of `desired` tasks can make progress: start a task beyond
/// them (`floor(desired × max / 100) > desired`) or stop one (`ceil(desired × min / 100) <
/// desired`). ECS rounds the maximum down and the minimum up, and with neither possible the
/// deployment waits for ever without tripping the circuit breaker (ECS Developer Guide,
/// "Deploy Amazon ECS services by replacing tasks").
pub fn rolling(desired: u32, min: u32, max: u32) -> Result<(), String> {
    let (d, min, max) = (u64::from(desired), u64::from(min), u64::from(max));
    let (most, least) = (d * max / 100, (d * min).div_ceil(100));
    match d == 0 || most > d || least < d {
        true => Ok(()),
        false => Err(format!(
            "with DesiredCount {d}, MinimumHealthyPercent {min} and MaximumPercent {max} a \
             rolling deployment can neither start a new task ({most} at most) nor stop an old \
             one ({least} must run)"
        )),
    }
}

/// A Container Insights value (ECS API Reference, ClusterSetting: `enhanced` since 2024).
pub fn container_insights(s: &str) -> Result<(), String> {
    match ["disabled", "enabled", "enhanced"].contains(&s) {
        true => Ok(()),
        false => Err(format!("{s:?} must be disabled, enabled or enhanced")),
    }
}

/// A CloudWatch alarm name: 1–255 characters, no control characters (CloudWatch API
/// Reference, PutMetricAlarm `AlarmName`).
pub fn alarm_name(s: &str) -> Result<(), String> {
    match (1..=255).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
        true => Ok(()),
        false => Err(format!(
            "{s:?} is not a CloudWatch alarm name (1–255 characters)"
        )),
    }
}

/// An IAM managed policy ARN (`arn:…:iam::<account or aws>:policy/…`).
pub fn policy_arn(s: &str) -> Result<(), String> {
    match s.starts_with("arn:") && s.contains(":iam::") && s.contains(":policy/") {
        true => Ok(()),
        false => Err(format!(
            "{s:?} must be a managed policy ARN (arn:…:iam::…:policy/…)"
        )),
    }
}

/// An AWS id `<prefix><letters and digits>`.
pub fn prefixed(s: &str, prefix: &str) -> Result<(), String> {
    let rest = s.strip_prefix(prefix).unwrap_or_default();
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!("{s:?} is not a valid id ({prefix}…)"))
    }
}

/// An ELBv2 listener ARN.
pub fn listener_arn(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") && s.contains(":elasticloadbalancing:") && s.contains(":listener/") {
        Ok(())
    } else {
        Err(format!("{s:?} is not an ELBv2 listener ARN"))
    }
}

/// An ELBv2 listener rule ARN.
pub fn listener_rule_arn(s: &str) -> Result<(), String> {
    match s.starts_with("arn:") && s.contains(":listener-rule/") {
        true => Ok(()),
        false => Err(format!("{s:?} is not an ELBv2 listener rule ARN")),
    }
}

/// An ECS name: 1–255 letters, digits, hyphens or underscores.
pub fn ecs_name(s: &str) -> Result<(), String> {
    let ok = (1..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be 1–255 letters, digits, hyphens or underscores"
        ))
    }
}

/// An ECS service name short enough for a replacement to append `-<fingerprint>` (see
/// `naming`).
pub fn service_name(s: &str) -> Result<(), String> {
    ecs_name(s)?;
    let max = 255 - 1 - FINGERPRINT_LEN;
    match s.len() <= max {
        true => Ok(()),
        false => Err(format!("must have at most {max} characters")),
    }
}

/// An image reference: 1–255 characters without spaces.
pub fn image(s: &str) -> Result<(), String> {
    if !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err("must be an image reference of 1–255 characters without spaces".to_string())
    }
}

/// A health check path: starts with `/`, at most 1024 characters.
pub fn health_check_path(s: &str) -> Result<(), String> {
    if s.starts_with('/') && s.len() <= 1024 {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must start with / and have at most 1024 characters"
        ))
    }
}

/// An ALB path pattern: 1–128 of the characters ALB allows.
pub fn path_pattern(s: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+*?&".contains(c);
    if (1..=128).contains(&s.len()) && s.chars().all(allowed) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be 1–128 characters of A–Z a–z 0–9 _ - . $ / ~ \" ' @ : + * ? &"
        ))
    }
}

/// A Fargate CPU architecture (ECS `RuntimePlatform`: `X86_64` or `ARM64`).
pub fn cpu_architecture(s: &str) -> Result<(), String> {
    match s {
        "X86_64" | "ARM64" => Ok(()),
        _ => Err(format!("{s:?} must be X86_64 or ARM64")),
    }
}

/// `LoadBalancerEgress`: `managed` (not set is the other choice).
pub fn load_balancer_egress(s: &str) -> Result<(), String> {
    match s {
        "managed" => Ok(()),
        _ => Err(format!("{s:?} must be managed (or not set)")),
    }
}

/// An ALB host-header value: 1–128 of A–Z a–z 0–9 - . * ?, with at least one `.` and only
/// letters (or wildcards) after the last one (ALB guide, "Host conditions").
pub fn host_header(s: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-.*?".contains(c);
    let tld_ok = s.rsplit_once('.').is_some_and(|(_, tld)| {
        !tld.is_empty()
            && tld
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '*' || c == '?')
    });
    if (1..=128).contains(&s.len()) && s.chars().all(allowed) && tld_ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be a host name of 1–128 characters (A–Z a–z 0–9 - . * ?) ending in \
             a dot and letters"
        ))
    }
}

/// An HTTP header name for an ALB condition: 1–40 characters of an RFC 7230 token, no
/// wildcards (ALB guide, "HTTP header conditions").
pub fn http_header_name(s: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'+-.^_`|~".contains(c);
    if (1..=40).contains(&s.len()) && s.chars().all(token) {
        Ok(())
    } else {
        Err(format!(
            "{s:?} must be an HTTP header name of 1–40 characters (RFC 7230 token, no wildcards)"
        ))
    }
}

/// A value an ALB http-header or query-string condition matches: 1–128 characters.
pub fn condition_value(s: &str) -> Result<(), String> {
    match (1..=128).contains(&s.len()) {
        true => Ok(()),
        false => Err(format!("{s:?} must have 1–128 characters")),
    }
}

/// A user tag key: not under a reserved prefix in any case (AWS reserves `aws:` whatever its
/// case), 1–128 characters of [`tag_text`]'s set. Source: Tagging AWS Resources and Tag
/// Editor, "Tag naming limits and requirements" (keys 1–128 Unicode characters, values 0–256;
/// letters, numbers, spaces, and `_ . : / = + - @`: the set IAM, which tags the roles, takes).
pub fn user_tag(key: &str) -> Result<(), String> {
    if let Some(prefix) = reserved_prefix(key) {
        return Err(format!(
            "tag key {key:?} uses the reserved prefix {prefix:?}"
        ));
    }
    if key.chars().count() > 128 {
        return Err(format!("tag key {key:?} is longer than 128 characters"));
    }
    tag_text(key).map_err(|c| format!("tag key {key:?} has {c:?}, {TAG_CHARACTERS}"))
}

/// A user tag value: at most 256 characters of [`tag_text`]'s set (see [`user_tag`]).
pub fn user_tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 256 {
        let start: String = value.chars().take(20).collect();
        return Err(format!(
            "tag value {start:?}… is longer than 256 characters"
        ));
    }
    tag_text(value).map_err(|c| format!("tag value {value:?} has {c:?}, {TAG_CHARACTERS}"))
}

/// What tags may hold, for messages.
const TAG_CHARACTERS: &str = "but tags take only letters, digits, spaces and _ . : / = + - @";

/// The first character of `text` outside letters, digits, spaces and `_ . : / = + - @`.
fn tag_text(text: &str) -> Result<(), char> {
    // Spaces, not line breaks or tabs (IAM's `\p{Z}` is separators only).
    let space = |c: &char| c.is_whitespace() && !c.is_control();
    let allowed = |c: &char| c.is_alphanumeric() || space(c) || "_.:/=+-@".contains(*c);
    match text.chars().find(|c| !allowed(c)) {
        Some(c) => Err(c),
        None => Ok(()),
    }
}

/// The Cpu/Memory pairs Fargate accepts.
pub fn fargate_size(cpu: u32, memory: u32) -> Result<(), String> {
    let (min, max, step) = match cpu {
        256 => {
            return if [512, 1024, 2048].contains(&memory) {
                Ok(())
            } else {
                Err(format!(
                    "Cpu 256 allows Memory 512, 1024 or 2048, not {memory}"
                ))
            }
        }
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => {
            return Err(format!(
                "Cpu {cpu} is not a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384)"
            ))
        }
    };
    if (min..=max).contains(&memory) && memory.is_multiple_of(step) {
        Ok(())
    } else {
        Err(format!(
            "Cpu {cpu} allows Memory {min}–{max} in steps of {step}, not {memory}"
        ))
    }
}

/// The parts after the account of `s`, an ARN of `service` (`arn:PARTITION:SERVICE:REGION:
/// ACCOUNT:…`, partition and region in lower-case letters, digits and `-`, a 12-digit account);
/// `None` if it is not one.
pub fn arn_of<'a>(s: &'a str, service: &str) -> Option<Vec<&'a str>> {
    let parts: Vec<&str> = s.split(':').collect();
    let word = |w: &str| {
        let lower = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        !w.is_empty() && w.chars().all(lower)
    };
    let head = parts.len() > 5
        && parts[0] == "arn"
        && word(parts[1])
        && parts[2] == service
        && word(parts[3])
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit());
    head.then(|| parts[5..].to_vec())
}
