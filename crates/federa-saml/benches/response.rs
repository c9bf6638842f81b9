//! Time to build and sign a SAML Response (Assertion signed, RSA-2048/SHA-256, exc-C14N) carrying
//! an OktaAuth compact JWE and a multi-valued `session.amr` attribute.

use criterion::{Criterion, criterion_group, criterion_main};
use federa_jose::SystemRng;
use federa_saml::{
    Attribute, NameId, ResponseOptions, ResponseParams, SignMode, SigningIdentity, build_response,
    ns,
};
use time::macros::datetime;

fn bench(c: &mut Criterion) {
    let rng = SystemRng::new();
    let now = datetime!(2026-11-23 10:00:00 UTC);
    let identity = match SigningIdentity::generate("bench IdP", now, &rng) {
        Ok(i) => i,
        Err(e) => panic!("identity: {e}"),
    };
    let mut p = ResponseParams::new(
        "http://hub.localhost:8080",
        "http://spoke.localhost:8080/sso/saml2/0oaIDP",
        "http://spoke.localhost:8080/sso/saml2/0oaIDP/sp",
        NameId {
            value: "alice@example.com".into(),
            format: ns::NAMEID_EMAIL.into(),
        },
        "_sess1234",
        now,
        ns::AC_X509,
    );
    p.in_response_to = Some("_req42".into());
    p.attributes = vec![Attribute {
        name: "session.amr".into(),
        name_format: Some(ns::ATTRNAME_BASIC.into()),
        values: vec!["pwd".into(), "otp".into(), "mfa".into()],
    }];
    // A JWE of realistic size (Okta's sample: ~2.3 KB).
    p.okta_auth = Some(format!(
        "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAtMjU2In0.{}.MY6P5HIRCperbtCl.{}.wzZ_mCBoNwot00-l1wCSWg",
        "k".repeat(342),
        "c".repeat(1855)
    ));
    let opts = ResponseOptions {
        sign: SignMode::Assertion,
        encrypt: None,
    };
    c.bench_function("build_and_sign_response_assertion_signed_oktaauth", |b| {
        b.iter(|| build_response(&p, &opts, &identity, now, &rng))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
