//! Fuzz target: arbitrary bytes as a policy or rule body of every type (reference §2.4–2.9).
//! Nothing may panic, and whatever parses must serialise to a canonical form that parses again
//! to the same value.

#![no_main]

use federa_policy::policy::{AnyPolicy, AnyRule, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    if let Ok(p) = AnyPolicy::from_json(&v) {
        let canonical = serde_json::to_value(&p).expect("a parsed policy serialises");
        let again = AnyPolicy::from_json(&canonical).expect("the canonical form parses");
        assert_eq!(serde_json::to_value(&again).ok(), Some(canonical), "canonical form is stable");
    }
    for t in [PolicyType::OktaSignOn, PolicyType::AccessPolicy, PolicyType::IdpDiscovery, PolicyType::MfaEnroll] {
        if let Ok(r) = AnyRule::from_json(t, &v) {
            let canonical = serde_json::to_value(&r).expect("a parsed rule serialises");
            let again = AnyRule::from_json(t, &canonical).expect("the canonical form parses");
            assert_eq!(serde_json::to_value(&again).ok(), Some(canonical), "canonical form is stable");
        }
    }
});
