//! Unit tests of the names and ids: stable, distinct per stack, region and set, and within
//! each service's limits.

use super::*;

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/1111";
const FP: &str = "0123abcd";

#[test]
fn ids_are_stable_and_distinct_per_stack_region_and_set() {
    let a = Deployment::new(STACK, "Svc", FP);
    assert_eq!(a, Deployment::new(STACK, "Svc", FP));
    assert_ne!(a, Deployment::new(STACK, "Other", FP));
    let west = STACK.replace("us-east-1", "eu-west-1");
    assert_ne!(
        a.execution_role(),
        Deployment::new(&west, "Svc", FP).execution_role()
    );
    assert_eq!(
        Deployment::of(a.physical_id(), STACK, "Svc"),
        Some(a.clone())
    );
    assert_eq!(Deployment::of(a.physical_id(), STACK, "Other"), None);
    assert_eq!(
        Deployment::parse(a.physical_id()).and_then(|d| d.resource),
        None
    );
}

#[test]
fn names_fit_service_limits() {
    let d = Deployment::new(STACK, "Svc", FP);
    assert!(d.target_group().len() <= 32 && d.alternate_target_group().len() <= 32);
    assert!(d.traffic_role().len() <= 64);
    assert!(d.execution_role().len() <= 64 && d.task_role().len() <= 64);
    assert!(d
        .target_group()
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-'));
    assert_eq!(
        d.service_names("web"),
        ["web".to_string(), format!("web-{FP}")]
    );
}

#[test]
fn foreign_ids_are_not_ours() {
    for id in [
        "",
        "made-up",
        "prod-e-XYZ",
        "prod-e-0123456789",
        "prod-e-0123456789-0123abc",
        "prod-e-0123456789a-0123abcd",
        "prod-e-0123456789-0123ABCD",
        &Deployment::nothing_created("r"),
    ] {
        assert_eq!(Deployment::parse(id), None, "{id}");
    }
}

#[test]
fn an_install_knows_only_its_own_prefix() {
    let id = Deployment::new(STACK, "Svc", FP).physical_id().to_string();
    assert!(Deployment::parse_in("prod-e-", &id).is_some());
    assert_eq!(Deployment::parse_in("pe2-", &id), None);
    let other = id.replacen("prod-e-", "pe2-", 1);
    let d = Deployment::parse_in("pe2-", &other).expect("its own");
    assert_eq!(d.key(), &other[..other.len() - FINGERPRINT_LEN - 1]);
    for (prefix, valid) in [
        ("prod-e-", true),
        ("pe2-", true),
        ("a-", true),
        ("2a-", false),
        ("PE-", false),
    ] {
        assert_eq!(is_name_prefix(prefix), valid, "{prefix}");
    }
    assert!(!is_name_prefix("abcdefghij-") && is_name_prefix("abcdefghi-"));
}

#[test]
fn ownership_is_the_id_and_the_full_stack_resource() {
    let d = Deployment::new(STACK, "Svc", FP);
    let tags = d.tags(&Tags::from([("team".into(), "a".into())]));
    assert!(d.owns(&tags));
    assert_eq!(tags.get("team").map(String::as_str), Some("a"));
    assert!(!d.owns(&Tags::new()));
    assert!(!Deployment::new(STACK, "Other", FP).owns(&tags));
    let next = Deployment::new(STACK, "Svc", "ffff0000");
    assert!(!next.owns(&tags) && next.sibling_owns(&tags));
    assert!(!Deployment::new(STACK, "Other", FP).sibling_owns(&tags));
    let by_id = Deployment::parse(d.physical_id()).expect("id");
    assert!(by_id.owns(&tags) && !by_id.sibling_owns(&tags));
    let on_roles = role_tags(&tags, &["team".into()]);
    assert_eq!(on_roles, tags);
    assert_eq!(role_tags(&tags, &[]).get("team"), None);
    assert!(d.owns(&role_tags(&tags, &[])));
    let mut elsewhere = tags.clone();
    elsewhere.insert(STACK_TAG.into(), STACK.replace("demo", "other"));
    assert!(!d.owns(&elsewhere) && !next.sibling_owns(&elsewhere));
}
