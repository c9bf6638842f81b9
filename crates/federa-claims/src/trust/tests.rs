//! Unit tests of the trust rules (CONTRACT §4 precedence; reference §1.7, §1.11, §1.12, §1.16;
//! threats D.6 T1–T3, T8, T12, T16).

use super::*;
use crate::model::{
    AmrValue, Engine, FactorClass, FactorClasses, Source, Timestamp, VerificationKind,
    distinct_factor_classes,
};
use serde_json::json;

fn idp(
    kind: IdpKind,
    protocol: Protocol,
    trust_claims: bool,
    map_amr_claims: bool,
) -> IdpTrustConfig {
    IdpTrustConfig {
        idp_id: IdpId::new("0oaIDP"),
        kind,
        protocol,
        trust_claims,
        map_amr_claims,
        factor_only: false,
    }
}

const AT: Timestamp = Timestamp(1_700_000_000_000);

fn outer(auds: &[String]) -> OuterBinding<'_> {
    OuterBinding {
        issuer: "https://hub.localhost",
        audiences: auds,
        subject: "alice",
        expected_engine: None,
        authenticated_at: AT,
    }
}

fn run(idp: &IdpTrustConfig, features: OrgFeatures, claims: UpstreamClaims<'_>) -> TrustOutcome {
    let auds = vec!["spoke".to_owned()];
    evaluate(&TrustInput {
        idp,
        features,
        claims,
        outer: outer(&auds),
    })
}

fn amr_claims(v: &Value) -> UpstreamClaims<'_> {
    UpstreamClaims {
        oidc_amr: Some(v),
        ..UpstreamClaims::default()
    }
}

fn reasons(o: &TrustOutcome) -> Vec<IgnoreReason> {
    o.claims.ignored.iter().map(|i| i.reason).collect()
}

fn credited_amr(o: &TrustOutcome) -> Vec<&str> {
    o.claims
        .credited
        .iter()
        .filter_map(|v| v.amr.as_ref().map(AmrValue::as_str))
        .collect()
}

#[test]
fn t1_trust_off_ignores_upstream_factors() {
    let amr = json!(["pwd", "otp"]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, false, false),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::Off);
    assert!(o.claims.credited.is_empty());
    assert_eq!(reasons(&o), [IgnoreReason::TrustOff]);
    assert!(!o.context_absent, "trust off is not 'absent context'");
}

#[test]
fn t2_trust_on_two_factor_types_credited_with_idp_source() {
    let amr = json!(["pwd", "otp"]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::ClaimsSharing);
    assert_eq!(o.expected_carrier, Some(Carrier::OidcAmr));
    assert_eq!(
        distinct_factor_classes(&o.claims.credited),
        FactorClasses::from_iter([FactorClass::Knowledge, FactorClass::Possession])
    );
    for v in &o.claims.credited {
        assert_eq!(v.verified_at, AT);
        assert_eq!(v.source.idp_id().map(IdpId::as_str), Some("0oaIDP"));
    }
}

#[test]
fn t3_mfa_only_is_an_assertion_without_possession() {
    let amr = json!(["mfa"]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert_eq!(o.claims.credited.len(), 1);
    assert_eq!(o.claims.credited[0].kind, VerificationKind::MfaAsserted);
    assert!(distinct_factor_classes(&o.claims.credited).is_empty());
}

#[test]
fn trust_claims_wins_over_map_amr_claims() {
    let amr = json!(["pwd", "phr"]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, true),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::ClaimsSharing);
    assert!(
        o.claims
            .credited
            .iter()
            .any(|v| v.characteristics.phishing_resistant)
    );
    assert!(o.claims.credited.iter().all(|v| matches!(
        v.source,
        Source::Federated {
            carrier: Carrier::OidcAmr,
            ..
        }
    )));
}

#[test]
fn trust_claims_with_its_feature_disabled_does_not_fall_back_to_legacy() {
    let amr = json!(["pwd", "sms"]);
    let features = OrgFeatures {
        third_party_idp_claims_sharing: false,
        ..OrgFeatures::ALL
    };
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, true),
        features,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::Off);
    assert!(o.claims.credited.is_empty());
    assert_eq!(reasons(&o), [IgnoreReason::FeatureDisabled]);
    // The Okta-org flag governs Okta-org IdPs, not third parties.
    let features = OrgFeatures {
        org2org_claims_sharing: false,
        ..OrgFeatures::ALL
    };
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        features,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::ClaimsSharing);
}

#[test]
fn legacy_mapping_needs_its_feature() {
    let amr = json!(["pwd", "sms", "phr"]);
    let legacy = idp(IdpKind::ThirdParty, Protocol::Oidc, false, true);
    let o = run(&legacy, OrgFeatures::ALL, amr_claims(&amr));
    assert_eq!(o.mode, TrustMode::LegacyAmrMapping);
    assert_eq!(credited_amr(&o), ["pwd", "sms", "phr"]);
    assert!(
        o.claims
            .credited
            .iter()
            .all(|v| !v.characteristics.phishing_resistant)
    );
    assert!(o.claims.credited.iter().all(|v| matches!(
        v.source,
        Source::Federated {
            carrier: Carrier::LegacyAmrMapping,
            ..
        }
    )));
    let off = OrgFeatures {
        idp_amr_claims_mapping: false,
        ..OrgFeatures::ALL
    };
    let o = run(&legacy, off, amr_claims(&amr));
    assert_eq!(o.mode, TrustMode::Off);
    assert_eq!(reasons(&o), [IgnoreReason::FeatureDisabled]);
}

#[test]
fn legacy_mapping_reads_amr_from_okta_orgs_too() {
    let amr = json!(["pwd", "okta_verify", "mfa"]);
    let o = run(
        &idp(IdpKind::OktaOrg, Protocol::Oidc, false, true),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert_eq!(o.mode, TrustMode::LegacyAmrMapping);
    assert_eq!(credited_amr(&o), ["pwd", "okta_verify", "mfa"]);
}

#[test]
fn okta_org_claims_sharing_reads_okta_auth_not_amr() {
    let payload = json!({"mfaVerified": "true", "factorVerifications": [
        {"factor": {"authenticatorKeyName": "okta_password", "methodType": "password"}, "verificationTimestamp": 5},
        {"factor": {"authenticatorKeyName": "okta_verify", "methodType": "push"}, "verificationTimestamp": 6}]});
    let amr = json!(["pwd", "swk", "mfa"]);
    let claims = UpstreamClaims {
        okta_auth: Some(OktaAuthInput::OidcObject(&payload)),
        oidc_amr: Some(&amr),
        ..UpstreamClaims::default()
    };
    let o = run(
        &idp(IdpKind::OktaOrg, Protocol::Oidc, true, true),
        OrgFeatures::ALL,
        claims,
    );
    assert_eq!(o.mode, TrustMode::ClaimsSharing);
    assert_eq!(o.expected_carrier, Some(Carrier::OktaAuthOidc));
    assert_eq!(o.claims.credited.len(), 2);
    assert!(o.claims.credited.iter().all(|v| matches!(
        v.source,
        Source::Federated {
            carrier: Carrier::OktaAuthOidc,
            engine: Some(Engine::Identity),
            ..
        }
    )));
    assert_eq!(reasons(&o), [IgnoreReason::CarrierNotUsed]);
    assert_eq!(o.claims.ignored[0].what, "amr");

    let features = OrgFeatures {
        org2org_claims_sharing: false,
        ..OrgFeatures::ALL
    };
    let o = run(
        &idp(IdpKind::OktaOrg, Protocol::Oidc, true, false),
        features,
        claims,
    );
    assert!(o.claims.credited.is_empty());
    assert_eq!(
        reasons(&o),
        [IgnoreReason::FeatureDisabled, IgnoreReason::FeatureDisabled]
    );
}

#[test]
fn okta_auth_must_arrive_on_the_idps_protocol_and_kind() {
    let plaintext = br#"{"factorVerifications": []}"#;
    let saml_input = UpstreamClaims {
        okta_auth: Some(OktaAuthInput::Saml(plaintext)),
        ..UpstreamClaims::default()
    };
    let o = run(
        &idp(IdpKind::OktaOrg, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        saml_input,
    );
    assert_eq!(reasons(&o), [IgnoreReason::CarrierNotUsed]);
    assert!(o.context_absent);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Saml, true, false),
        OrgFeatures::ALL,
        saml_input,
    );
    assert_eq!(reasons(&o), [IgnoreReason::CarrierNotUsed]);
    let o = run(
        &idp(IdpKind::OktaOrg, Protocol::Saml, true, false),
        OrgFeatures::ALL,
        saml_input,
    );
    assert!(o.claims.ignored.is_empty() && !o.context_absent);
}

#[test]
fn t8_trusted_but_absent_context_is_empty_not_an_error() {
    for (kind, protocol) in [
        (IdpKind::ThirdParty, Protocol::Oidc),
        (IdpKind::ThirdParty, Protocol::Saml),
        (IdpKind::OktaOrg, Protocol::Oidc),
        (IdpKind::OktaOrg, Protocol::Saml),
    ] {
        let o = run(
            &idp(kind, protocol, true, false),
            OrgFeatures::ALL,
            UpstreamClaims::default(),
        );
        assert_eq!(o.mode, TrustMode::ClaimsSharing);
        assert!(o.context_absent, "{kind:?} {protocol:?}");
        assert!(o.claims.credited.is_empty() && o.claims.ignored.is_empty());
    }
    let empty: Vec<String> = Vec::new();
    let claims = UpstreamClaims {
        saml_session_amr: Some(&empty),
        ..UpstreamClaims::default()
    };
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Saml, true, false),
        OrgFeatures::ALL,
        claims,
    );
    assert!(o.context_absent);
}

#[test]
fn malformed_context_is_recorded_not_credited() {
    let amr = json!("pwd otp");
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    assert!(o.claims.credited.is_empty());
    assert!(!o.context_absent);
    assert_eq!(reasons(&o), [IgnoreReason::Malformed]);
}

#[test]
fn t12_third_party_saml_session_amr() {
    let values = vec!["swk,pwd,sms".to_owned()];
    let claims = UpstreamClaims {
        saml_session_amr: Some(&values),
        ..UpstreamClaims::default()
    };
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Saml, true, false),
        OrgFeatures::ALL,
        claims,
    );
    assert_eq!(credited_amr(&o), ["pwd", "sms", "swk"]);
    assert!(o.claims.ignored.is_empty());
    // The same attribute on an OIDC IdP is not read.
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        claims,
    );
    assert_eq!(reasons(&o), [IgnoreReason::CarrierNotUsed]);
}

#[test]
fn t16_factor_only_idp_knowledge_dropped() {
    let amr = json!(["pwd", "kba", "otp"]);
    let mut cfg = idp(IdpKind::ThirdParty, Protocol::Oidc, true, false);
    cfg.factor_only = true;
    let o = run(&cfg, OrgFeatures::ALL, amr_claims(&amr));
    assert_eq!(credited_amr(&o), ["otp"]);
    assert_eq!(reasons(&o), [IgnoreReason::KnowledgeFromFactorOnlyIdp; 2]);
}

#[test]
fn acr_and_authn_context_are_reserved() {
    let claims = UpstreamClaims {
        oidc_acr: Some("urn:okta:loa:2fa:any"),
        authn_context_class_ref: Some("https://refeds.org/profile/mfa"),
        ..UpstreamClaims::default()
    };
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        claims,
    );
    assert_eq!(reasons(&o), [IgnoreReason::NotSupported; 2]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, false, false),
        OrgFeatures::ALL,
        claims,
    );
    assert_eq!(reasons(&o), [IgnoreReason::TrustOff; 2]);
}

#[test]
fn feature_ids_and_outcome_serialise() {
    assert_eq!(
        Feature::IdpAmrClaimsMapping.as_str(),
        "IDP_AMR_CLAIMS_MAPPING"
    );
    let v = serde_json::to_value(Feature::Org2OrgClaimsSharing).unwrap_or_default();
    assert_eq!(v, json!("ORG2ORG_CLAIMS_SHARING"));
    let amr = json!(["pwd", "bogus"]);
    let o = run(
        &idp(IdpKind::ThirdParty, Protocol::Oidc, true, false),
        OrgFeatures::ALL,
        amr_claims(&amr),
    );
    let v = serde_json::to_value(&o).unwrap_or_default();
    assert_eq!(v["mode"], json!("CLAIMS_SHARING"));
    assert_eq!(v["credited"][0]["amr"], json!("pwd"));
    assert_eq!(v["credited"][0]["source"]["type"], json!("IDP"));
    assert_eq!(v["ignored"][0]["reason"], json!("UNKNOWN_AMR_VALUE"));
    let back: Result<TrustOutcome, _> = serde_json::from_value(v);
    assert_eq!(back.ok(), Some(o));
}
