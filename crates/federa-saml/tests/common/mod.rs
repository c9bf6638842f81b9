//! Shared test helpers: an RNG, generated identities, fixed times, the xmlsec1 runner.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use federa_jose::SystemRng;
use federa_saml::{Attribute, NameId, ResponseParams, SigningIdentity, ns};
use time::OffsetDateTime;
use time::macros::datetime;

pub fn rng() -> SystemRng {
    SystemRng::new()
}

pub fn now() -> OffsetDateTime {
    datetime!(2026-11-23 10:00:00 UTC)
}

/// One IdP identity per test binary (RSA key generation is the slow part).
pub fn idp() -> &'static SigningIdentity {
    static ID: OnceLock<SigningIdentity> = OnceLock::new();
    ID.get_or_init(|| SigningIdentity::generate("hub.localhost IdP", now(), &rng()).unwrap())
}

/// A second, unrelated identity (the SP, or an attacker).
pub fn other() -> &'static SigningIdentity {
    static ID: OnceLock<SigningIdentity> = OnceLock::new();
    ID.get_or_init(|| SigningIdentity::generate("spoke.localhost SP", now(), &rng()).unwrap())
}

pub const OKTA_AUTH: &str = "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAtMjU2In0.ZW5jcnlwdGVkLWtleQ.aXYtaXYtaXYtaXY.Y2lwaGVydGV4dA.dGFnLXRhZy10YWctdGFn";

pub fn params() -> ResponseParams {
    let mut p = ResponseParams::new(
        "http://hub.localhost:8080",
        "http://spoke.localhost:8080/sso/saml2/0oaIDP",
        "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp",
        NameId {
            value: "alice@example.com".into(),
            format: ns::NAMEID_EMAIL.into(),
        },
        "_sess1234",
        datetime!(2026-11-23 09:59:30 UTC),
        ns::AC_X509,
    );
    p.in_response_to = Some("_req42".into());
    p.attributes = vec![
        Attribute {
            name: "session.amr".into(),
            name_format: Some(ns::ATTRNAME_BASIC.into()),
            values: vec!["pwd".into(), "otp".into(), "mfa".into()],
        },
        Attribute {
            name: "email".into(),
            name_format: None,
            values: vec!["alice@example.com".into()],
        },
    ];
    p.okta_auth = Some(OKTA_AUTH.into());
    p
}

/// Run `xmlsec1 --verify` on `xml` with `cert_pem`; Ok(true) if it verified, Ok(false) if it
/// refused, Err if xmlsec1 is not installed.
pub fn xmlsec1_verify(xml: &str, cert_pem: &str) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let xml_path = dir.path().join("response.xml");
    let cert_path = dir.path().join("idp.crt");
    std::fs::write(&xml_path, xml).map_err(|e| e.to_string())?;
    std::fs::write(&cert_path, cert_pem).map_err(|e| e.to_string())?;
    run_xmlsec1(&xml_path, &cert_path)
}

fn run_xmlsec1(xml_path: &Path, cert_path: &Path) -> Result<bool, String> {
    let out = Command::new("xmlsec1")
        .arg("--verify")
        .arg("--pubkey-cert-pem")
        .arg(cert_path)
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .arg(xml_path)
        .output()
        .map_err(|e| format!("cannot run xmlsec1: {e}"))?;
    if !out.status.success() {
        eprintln!("xmlsec1 stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(out.status.success())
}

/// Whether a missing xmlsec1 may be tolerated.
pub fn xmlsec1_skip_allowed() -> bool {
    std::env::var("FEDERA_SKIP_XMLSEC1").is_ok_and(|v| v == "1")
}

/// Verify with xmlsec1, failing the test if xmlsec1 is missing (unless FEDERA_SKIP_XMLSEC1=1).
pub fn assert_xmlsec1(xml: &str, cert_pem: &str, expect_valid: bool) {
    match xmlsec1_verify(xml, cert_pem) {
        Ok(valid) => assert_eq!(
            valid, expect_valid,
            "xmlsec1 said valid={valid}, expected {expect_valid}"
        ),
        Err(e) if xmlsec1_skip_allowed() => eprintln!("skipping xmlsec1 check: {e}"),
        Err(e) => panic!(
            "xmlsec1 is required for the independent signature check ({e}); install it \
             (apt-get install xmlsec1) or set FEDERA_SKIP_XMLSEC1=1"
        ),
    }
}
