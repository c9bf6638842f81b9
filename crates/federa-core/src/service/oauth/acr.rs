//! `acr_values` (CONTRACT §3, reference §3.3): a request can only make the app's policy
//! stricter. The first value Federa knows among those requested becomes one more
//! authentication policy, evaluated after the app's own: `urn:okta:loa:1fa:pwd` (a password),
//! `urn:okta:loa:2fa:any` (two factor types), `phr` (a phishing-resistant factor), `phrh` (a
//! phishing-resistant, hardware-protected factor). `urn:okta:loa:1fa:any` and
//! `urn:okta:loa:2fa:any:ifpossible` add nothing; unknown values are ignored.

use federa_policy::access::{AccessPolicy, AccessRule};
use serde_json::json;

/// The requirement of the first enforceable value of `acr_values`, if any.
pub fn requirement(acr_values: &[String]) -> Option<String> {
    acr_values
        .iter()
        .find(|v| {
            matches!(
                v.as_str(),
                "urn:okta:loa:1fa:pwd" | "urn:okta:loa:2fa:any" | "phr" | "phrh"
            )
        })
        .cloned()
}

/// The authentication policy an `acr` value stands for.
pub fn policy_for(acr: &str) -> Option<AccessPolicy> {
    let (mode, constraints) = match acr {
        "urn:okta:loa:1fa:pwd" => ("1FA", json!([{"knowledge": {"types": ["password"]}}])),
        "urn:okta:loa:2fa:any" => ("2FA", json!([])),
        "phr" => (
            "1FA",
            json!([{"possession": {"phishingResistant": "REQUIRED"}}]),
        ),
        "phrh" => (
            "1FA",
            json!([{"possession": {"phishingResistant": "REQUIRED", "hardwareProtection": "REQUIRED"}}]),
        ),
        _ => return None,
    };
    let mut policy = AccessPolicy::from_json(&json!({
        "type": "ACCESS_POLICY",
        "name": format!("acr_values {acr}"),
        "status": "ACTIVE",
        "system": false,
    }))
    .ok()?;
    let rule = AccessRule::from_json(&json!({
        "type": "ACCESS_POLICY",
        "name": "requested acr",
        "priority": 0,
        "status": "ACTIVE",
        "system": false,
        "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": {
            "type": "ASSURANCE", "factorMode": mode, "reauthenticateIn": "PT12H",
            "constraints": constraints}}},
    }))
    .ok()?;
    policy.rules.push(rule);
    Some(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enforceable_value_builds_a_policy() {
        for v in [
            "urn:okta:loa:1fa:pwd",
            "urn:okta:loa:2fa:any",
            "phr",
            "phrh",
        ] {
            let p = policy_for(v);
            assert!(p.is_some_and(|p| p.rules.len() == 1), "{v}");
        }
        assert!(policy_for("urn:okta:loa:1fa:any").is_none());
        assert!(policy_for("bogus").is_none());
    }

    #[test]
    fn the_first_known_value_is_the_requirement() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            requirement(&v(&[
                "bogus",
                "urn:okta:loa:1fa:any",
                "phr",
                "urn:okta:loa:2fa:any"
            ])),
            Some("phr".into())
        );
        assert_eq!(requirement(&v(&["urn:okta:loa:2fa:any:ifpossible"])), None);
    }
}
