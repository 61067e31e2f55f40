//! The listener rule priority prod-e chooses when `RulePriority` is not given: derived from
//! the stack resource (so re-deliveries, continuations and replacements agree), then the
//! next free one after it. ALB evaluates rules from the lowest priority up (ELBv2 `Rule`
//! reference); derived priorities stay at or above [`FIRST_DERIVED`], so rules numbered by
//! hand below it keep precedence.

use crate::naming::Deployment;

/// The lowest priority prod-e derives.
pub const FIRST_DERIVED: u32 = 1000;
/// The highest priority a rule may have (ELBv2 `RulePriorityPair`: 1–50000).
pub const LAST: u32 = 50000;
/// How many priorities a Create tries when others keep taking them concurrently
/// (`PriorityInUse`, ELBv2 CreateRule reference).
pub const ATTEMPTS: u32 = 5;

/// The priority a stack resource starts from.
pub fn derived(d: &Deployment) -> u32 {
    let span = u64::from(LAST - FIRST_DERIVED + 1);
    FIRST_DERIVED + (d.stack_resource_number() % span) as u32
}

/// The first priority at or after `start` (wrapping within the derived range) that no rule in
/// `taken` holds; `None` if all are taken.
pub fn next_free(start: u32, taken: &[u32]) -> Option<u32> {
    next_free_from(start, FIRST_DERIVED, taken)
}

/// [`next_free`] within `lowest.max(FIRST_DERIVED)`–[`LAST`] (a derived priority that must stay
/// above other owners' rules: [`super::shadowing::floor`]).
pub fn next_free_from(start: u32, lowest: u32, taken: &[u32]) -> Option<u32> {
    let first = lowest.max(FIRST_DERIVED);
    let span = LAST.checked_sub(first)? + 1;
    let offset = start.clamp(first, LAST) - first;
    (0..span)
        .map(|i| first + (offset + i) % span)
        .find(|p| !taken.contains(p))
}

/// The free priority nearest below `below` (a test rule's: ALB evaluates the lowest number
/// first, so it matches before the rule at `below`): the highest of 1..`below` not in
/// `taken`; `None` if every one is.
pub fn free_below(below: u32, taken: &[u32]) -> Option<u32> {
    (1..below).rev().find(|p| !taken.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_priorities_are_stable_and_in_range() {
        let d = Deployment::new("arn:aws:cloudformation:us-east-1:1:stack/s/x", "Web", "0");
        let again = Deployment::new("arn:aws:cloudformation:us-east-1:1:stack/s/x", "Web", "1");
        let other = Deployment::new("arn:aws:cloudformation:us-east-1:1:stack/s/x", "Api", "0");
        assert_eq!(derived(&d), derived(&again));
        assert_ne!(derived(&d), derived(&other));
        assert!((FIRST_DERIVED..=LAST).contains(&derived(&d)));
    }

    #[test]
    fn probing_skips_taken_priorities_and_wraps() {
        assert_eq!(next_free(2000, &[1, 2000, 2001]), Some(2002));
        assert_eq!(next_free(LAST, &[LAST]), Some(FIRST_DERIVED));
        assert_eq!(next_free(5, &[]), Some(FIRST_DERIVED));
        let all: Vec<u32> = (FIRST_DERIVED..=LAST).collect();
        assert_eq!(next_free(3000, &all), None);
        assert_eq!(next_free_from(2000, 30000, &[30000]), Some(30001));
        assert_eq!(next_free_from(LAST, 30000, &[LAST]), Some(30000));
        assert_eq!(next_free_from(2000, LAST + 1, &[]), None);
    }

    #[test]
    fn a_test_rule_takes_the_free_priority_nearest_below() {
        assert_eq!(free_below(1000, &[999, 998, 1000]), Some(997));
        assert_eq!(free_below(3, &[2]), Some(1));
        assert_eq!(free_below(2, &[1]), None);
        assert_eq!(free_below(1, &[]), None);
    }
}
