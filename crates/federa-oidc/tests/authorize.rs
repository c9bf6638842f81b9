//! `/authorize`: parsing, the show-vs-redirect split of RFC 6749 §4.1.2.1, and response URLs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use federa_oidc::authorize_response::{self, AuthorizeErrorRedirect};
use federa_oidc::{
    AcrValue, AuthorizeErrorCode, AuthorizeFailure, AuthorizeParams, AuthorizeRequest,
    AuthorizeResponse, ClientId, ClientType, GrantType, Issuer, OidcError, Prompt,
    RegisteredClient, ResponseMode,
};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://app.example/cb?tenant=a%20b";

fn client(client_type: ClientType) -> RegisteredClient {
    RegisteredClient {
        client_id: ClientId::new("0oaclient").unwrap(),
        redirect_uris: vec![REDIRECT.to_owned(), "https://app.example/other".to_owned()],
        client_type,
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
    }
}

fn base() -> Vec<(String, String)> {
    [
        ("client_id", "0oaclient"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "st&te=1"),
        ("nonce", "n-0S6"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn with(mut pairs: Vec<(String, String)>, k: &str, v: &str) -> Vec<(String, String)> {
    pairs.retain(|(n, _)| n != k);
    pairs.push((k.to_owned(), v.to_owned()));
    pairs
}

fn without(mut pairs: Vec<(String, String)>, k: &str) -> Vec<(String, String)> {
    pairs.retain(|(n, _)| n != k);
    pairs
}

fn validate(
    pairs: &[(String, String)],
    client_type: ClientType,
) -> Result<AuthorizeRequest, AuthorizeFailure> {
    let params = AuthorizeParams::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let c = client(client_type);
    let found = (params.client_id()? == c.client_id).then_some(&c);
    params.validate(found)
}

fn redirect_error(pairs: &[(String, String)]) -> Box<AuthorizeErrorRedirect> {
    match validate(pairs, ClientType::Public) {
        Err(AuthorizeFailure::Redirect(r)) => r,
        other => panic!("expected a redirected error, got {other:?}"),
    }
}

fn shown_error(pairs: &[(String, String)]) -> OidcError {
    match validate(pairs, ClientType::Public) {
        Err(AuthorizeFailure::ShowToUser(e)) => e,
        other => panic!("expected an error page, got {other:?}"),
    }
}

fn issuer() -> Issuer {
    Issuer::new("https://hub.example.com").unwrap()
}

#[test]
fn full_request_parses_into_types() {
    let pairs = with(
        with(
            with(with(base(), "prompt", "login consent"), "max_age", "300"),
            "acr_values",
            "urn:okta:loa:2fa:any phr custom:thing phr",
        ),
        "response_mode",
        "form_post",
    );
    let pairs = with(
        with(pairs, "login_hint", "alice@example.com"),
        "idp",
        "0oaidp",
    );
    let req = validate(&pairs, ClientType::Public).unwrap();
    assert_eq!(req.client_id.as_str(), "0oaclient");
    assert_eq!(req.redirect_uri.as_str(), REDIRECT);
    assert!(req.scopes.contains("openid") && req.scopes.contains("profile"));
    assert_eq!(req.state.as_ref().map(|s| s.as_str()), Some("st&te=1"));
    assert_eq!(req.nonce.as_ref().map(|s| s.as_str()), Some("n-0S6"));
    assert!(req.prompt.contains(Prompt::Login) && req.prompt.contains(Prompt::Consent));
    assert!(!req.prompt.is_none());
    assert_eq!(req.max_age, Some(300));
    assert_eq!(
        req.acr_values,
        vec![
            AcrValue::TwoFactorAny,
            AcrValue::PhishingResistant,
            AcrValue::Other("custom:thing".into())
        ]
    );
    assert_eq!(req.login_hint.as_deref(), Some("alice@example.com"));
    assert_eq!(req.idp.as_deref(), Some("0oaidp"));
    assert_eq!(
        req.code_challenge.as_ref().map(|c| c.as_str()),
        Some(CHALLENGE)
    );
    assert_eq!(req.response_mode, ResponseMode::FormPost);
}

#[test]
fn all_acr_values_are_understood() {
    for (text, value) in [
        ("urn:okta:loa:1fa:any", AcrValue::OneFactorAny),
        ("urn:okta:loa:1fa:pwd", AcrValue::OneFactorPassword),
        ("urn:okta:loa:2fa:any", AcrValue::TwoFactorAny),
        (
            "urn:okta:loa:2fa:any:ifpossible",
            AcrValue::TwoFactorAnyIfPossible,
        ),
        ("phr", AcrValue::PhishingResistant),
        ("phrh", AcrValue::PhishingResistantHardware),
    ] {
        assert_eq!(AcrValue::parse(text), value);
        assert_eq!(value.as_str(), text);
    }
}

#[test]
fn client_and_redirect_problems_are_never_redirected() {
    // Unknown client.
    let e = shown_error(&with(base(), "client_id", "0oaother"));
    assert!(matches!(e, OidcError::UnknownClient(_)), "{e}");
    // Missing / repeated client_id.
    assert!(matches!(
        shown_error(&without(base(), "client_id")),
        OidcError::MissingParameter("client_id")
    ));
    let mut dup = base();
    dup.push(("client_id".into(), "0oaclient".into()));
    assert!(matches!(
        shown_error(&dup),
        OidcError::DuplicateParameter(_)
    ));
    // Missing, repeated, or not exactly registered redirect_uri.
    assert!(matches!(
        shown_error(&without(base(), "redirect_uri")),
        OidcError::MissingParameter("redirect_uri")
    ));
    let mut dup = base();
    dup.push(("redirect_uri".into(), "https://app.example/other".into()));
    assert!(matches!(
        shown_error(&dup),
        OidcError::DuplicateParameter(_)
    ));
    for near_miss in [
        "https://app.example/cb?tenant=a+b",
        "https://app.example/cb?tenant=a%20b&x=1",
        "https://APP.example/cb?tenant=a%20b",
        "https://app.example/cb/?tenant=a%20b",
        "https://evil.example/cb",
    ] {
        assert!(
            matches!(
                shown_error(&with(base(), "redirect_uri", near_miss)),
                OidcError::RedirectUriMismatch(_)
            ),
            "{near_miss}"
        );
    }
}

#[test]
fn later_errors_are_redirected_with_state() {
    let cases: Vec<(Vec<(String, String)>, AuthorizeErrorCode)> = vec![
        (
            with(base(), "response_type", "token"),
            AuthorizeErrorCode::UnsupportedResponseType,
        ),
        (
            with(base(), "response_type", "code id_token"),
            AuthorizeErrorCode::UnsupportedResponseType,
        ),
        (
            without(base(), "response_type"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "scope", "profile"),
            AuthorizeErrorCode::InvalidScope,
        ),
        (without(base(), "scope"), AuthorizeErrorCode::InvalidScope),
        (
            with(base(), "prompt", "none login"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "prompt", "bogus"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "max_age", "-1"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "max_age", "ten"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "code_challenge_method", "plain"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            without(base(), "code_challenge_method"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            without(base(), "code_challenge"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "code_challenge", "short"),
            AuthorizeErrorCode::InvalidRequest,
        ),
        (
            with(base(), "request", "eyJ..."),
            AuthorizeErrorCode::RequestNotSupported,
        ),
        (
            with(base(), "request_uri", "https://x"),
            AuthorizeErrorCode::RequestUriNotSupported,
        ),
        (
            with(base(), "response_mode", "fragment"),
            AuthorizeErrorCode::InvalidRequest,
        ),
    ];
    for (pairs, code) in cases {
        let r = redirect_error(&pairs);
        assert_eq!(r.error, code, "{pairs:?}: {}", r.description);
        assert_eq!(r.state.as_ref().map(|s| s.as_str()), Some("st&te=1"));
        assert_eq!(r.redirect_uri.as_str(), REDIRECT);
    }
    // Any other repeated parameter is invalid_request (RFC 6749 §3.1), redirected.
    let mut dup = base();
    dup.push(("scope".into(), "openid".into()));
    assert_eq!(
        redirect_error(&dup).error,
        AuthorizeErrorCode::InvalidRequest
    );
    // A repeated state: redirected without any state.
    let mut dup = base();
    dup.push(("state".into(), "other".into()));
    let r = redirect_error(&dup);
    assert_eq!(
        (r.error, r.state),
        (AuthorizeErrorCode::InvalidRequest, None)
    );
}

#[test]
fn public_clients_need_pkce_confidential_may_omit_it() {
    let plain = without(without(base(), "code_challenge"), "code_challenge_method");
    let r = redirect_error(&plain);
    assert_eq!(r.error, AuthorizeErrorCode::InvalidRequest);
    assert!(
        r.description.contains("public clients"),
        "{}",
        r.description
    );
    let req = validate(&plain, ClientType::Confidential).unwrap();
    assert!(req.code_challenge.is_none());
}

#[test]
fn client_without_code_grant_is_unauthorized() {
    let params = AuthorizeParams::from_pairs(base());
    let mut c = client(ClientType::Public);
    c.grant_types = vec![GrantType::ClientCredentials];
    match params.validate(Some(&c)) {
        Err(AuthorizeFailure::Redirect(r)) => {
            assert_eq!(r.error, AuthorizeErrorCode::UnauthorizedClient)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn success_redirect_is_built_with_url_encoding_and_iss() {
    let req = validate(&base(), ClientType::Public).unwrap();
    let AuthorizeResponse::Redirect(url) = authorize_response::success(&req, "c0de/+=", &issuer())
    else {
        panic!("query mode redirects")
    };
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![
            ("tenant".into(), "a b".into()),
            ("code".into(), "c0de/+=".into()),
            ("state".into(), "st&te=1".into()),
            ("iss".into(), "https://hub.example.com".into()),
        ]
    );
    assert_eq!(url.host_str(), Some("app.example"));
    assert_eq!(url.path(), "/cb");
    assert!(url.as_str().contains("state=st%26te%3D1"), "{url}");
}

#[test]
fn error_redirect_and_form_post() {
    let req = validate(
        &with(base(), "response_mode", "form_post"),
        ClientType::Public,
    )
    .unwrap();
    let e = AuthorizeErrorRedirect::for_request(
        &req,
        AuthorizeErrorCode::LoginRequired,
        "no \"session\"",
    );
    match e.response(&issuer()) {
        AuthorizeResponse::FormPost { action, fields } => {
            assert_eq!(action.as_str(), "https://app.example/cb?tenant=a%20b");
            assert_eq!(
                fields,
                vec![
                    ("error", "login_required".to_owned()),
                    ("error_description", "no 'session'".to_owned()),
                    ("state", "st&te=1".to_owned()),
                    ("iss", "https://hub.example.com".to_owned()),
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    // Query mode error.
    let r = redirect_error(&with(base(), "response_type", "token"));
    let AuthorizeResponse::Redirect(url) = r.response(&issuer()) else {
        panic!()
    };
    let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert_eq!(q[1], ("error".into(), "unsupported_response_type".into()));
    assert!(
        q.iter()
            .any(|(k, v)| k == "iss" && v == "https://hub.example.com")
    );
}
