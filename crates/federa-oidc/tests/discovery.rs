//! Golden file for the discovery document. Regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p federa-oidc --test discovery`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use federa_oidc::Issuer;
use federa_oidc::discovery::metadata;

#[test]
fn discovery_document_matches_golden_file() {
    let issuer = Issuer::new("https://hub.example.com").unwrap();
    let doc = serde_json::to_string_pretty(&metadata(&issuer).unwrap()).unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/discovery.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &doc).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        doc, golden,
        "discovery changed; review and rerun with UPDATE_GOLDEN=1"
    );
}

#[test]
fn discovery_endpoints_follow_the_issuer_path() {
    let issuer = Issuer::new("https://hub.example.com/tenant/").unwrap();
    let m = metadata(&issuer).unwrap();
    assert_eq!(m.issuer, "https://hub.example.com/tenant");
    assert_eq!(m.jwks_uri, "https://hub.example.com/tenant/oauth2/v1/keys");
    assert_eq!(
        m.end_session_endpoint,
        "https://hub.example.com/tenant/oauth2/v1/logout"
    );
    assert!(m.authorization_response_iss_parameter_supported);
    assert_eq!(m.code_challenge_methods_supported, vec!["S256"]);
    assert!(m.claims_supported.contains(&"okta_auth") && m.claims_supported.contains(&"amr"));
}
