//! Token endpoint: client authentication (all four methods, conflicts, private_key_jwt), token
//! request parsing, error and success responses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use federa_jose::{JwsAlg, SignOptions, SigningKey, VerifyingKeySet, jws};
use federa_oidc::client_auth::{
    AssertionExpectations, JWT_BEARER_ASSERTION_TYPE, authenticate_request, client_secret_matches,
    hash_client_secret, verify_client_assertion,
};
use federa_oidc::{
    ClientAuthentication, ClientId, OidcError, Scopes, TokenEndpointAuthMethod, TokenErrorResponse,
    TokenRequest, TokenResponse,
};
use federa_types::{Secret, Timestamp};
use serde_json::json;

const TOKEN_URL: &str = "https://hub.example.com/oauth2/v1/token";
const NOW: i64 = 1_700_000_000;

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

#[test]
fn basic_credentials_are_form_urlencoded_inside() {
    let auth =
        authenticate_request(Some(&basic("my%3Aclient", "s%2Bc+r%C3%A9t")), &form(&[])).unwrap();
    let ClientAuthentication::SecretBasic { client_id, secret } = auth else {
        panic!()
    };
    assert_eq!(client_id.as_str(), "my:client");
    assert_eq!(secret.expose(), "s+c rét");
    // Scheme is case-insensitive; a matching client_id in the body is tolerated.
    let auth = authenticate_request(
        Some(&basic("c1", "s").replace("Basic", "bAsIc")),
        &form(&[("client_id", "c1")]),
    )
    .unwrap();
    assert_eq!(auth.method(), TokenEndpointAuthMethod::ClientSecretBasic);
    assert!(matches!(
        authenticate_request(Some(&basic("c1", "s")), &form(&[("client_id", "c2")])),
        Err(OidcError::InvalidParameter {
            name: "client_id",
            ..
        })
    ));
}

#[test]
fn malformed_basic_is_invalid_client() {
    for header in [
        "Bearer abc".to_owned(),
        "Basic !!!".to_owned(),
        format!("Basic {}", STANDARD.encode("nocolon")),
        basic("c1", ""),
        "Basic".to_owned(),
    ] {
        assert!(
            matches!(
                authenticate_request(Some(&header), &form(&[])),
                Err(OidcError::InvalidClient(_))
            ),
            "{header}"
        );
    }
}

#[test]
fn post_none_and_conflicts() {
    let post =
        authenticate_request(None, &form(&[("client_id", "c1"), ("client_secret", "s")])).unwrap();
    assert_eq!(post.method(), TokenEndpointAuthMethod::ClientSecretPost);
    assert_eq!(post.client_id().as_str(), "c1");
    let none = authenticate_request(None, &form(&[("client_id", "c1")])).unwrap();
    assert_eq!(
        none,
        ClientAuthentication::None {
            client_id: ClientId::new("c1").unwrap()
        }
    );
    assert!(matches!(
        authenticate_request(None, &form(&[])),
        Err(OidcError::InvalidClient(_))
    ));
    assert!(matches!(
        authenticate_request(None, &form(&[("client_secret", "s")])),
        Err(OidcError::InvalidClient(_))
    ));
    // Two methods at once.
    for (header, body) in [
        (Some(basic("c1", "s")), form(&[("client_secret", "s")])),
        (
            Some(basic("c1", "s")),
            form(&[
                ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                ("client_assertion", "a.b.c"),
            ]),
        ),
        (
            None,
            form(&[
                ("client_id", "c1"),
                ("client_secret", "s"),
                ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
                ("client_assertion", "a.b.c"),
            ]),
        ),
    ] {
        let err = authenticate_request(header.as_deref(), &body).unwrap_err();
        assert_eq!(err, OidcError::MultipleClientAuthentication);
        assert_eq!(err.token_error_code().as_str(), "invalid_request");
    }
    // Repeated client_id.
    assert!(matches!(
        authenticate_request(None, &form(&[("client_id", "c1"), ("client_id", "c2")])),
        Err(OidcError::DuplicateParameter(_))
    ));
}

#[test]
fn secret_comparison_on_digests() {
    let stored = hash_client_secret("correct horse");
    assert!(client_secret_matches(
        &Secret::new("correct horse".into()),
        &stored
    ));
    assert!(!client_secret_matches(
        &Secret::new("correct horsf".into()),
        &stored
    ));
    assert!(!client_secret_matches(
        &Secret::new("correct horse".into()),
        &stored[..31]
    ));
}

struct Jwt {
    key: SigningKey,
    keys: VerifyingKeySet,
}

impl Jwt {
    fn new() -> Self {
        let key = SigningKey::generate(JwsAlg::Es256).unwrap();
        let keys = VerifyingKeySet::new(vec![key.verifying_key().clone()]).unwrap();
        Jwt { key, keys }
    }
    fn sign(&self, claims: serde_json::Value) -> String {
        jws::sign(
            &self.key,
            claims.to_string().as_bytes(),
            &SignOptions::new(),
        )
        .unwrap()
    }
}

fn good_claims() -> serde_json::Value {
    json!({"iss": "c1", "sub": "c1", "aud": TOKEN_URL, "exp": NOW + 60, "iat": NOW, "jti": "j-1"})
}

fn expect<'a>(client_id: &'a ClientId, audiences: &'a [&'a str]) -> AssertionExpectations<'a> {
    AssertionExpectations {
        client_id,
        audiences,
        now: Timestamp::from_millis(NOW * 1000),
        max_clock_skew: Duration::from_secs(30),
        max_lifetime: Duration::from_secs(300),
    }
}

#[test]
fn private_key_jwt_happy_path_takes_client_id_from_iss() {
    let jwt = Jwt::new();
    let assertion = jwt.sign(good_claims());
    let auth = authenticate_request(
        None,
        &form(&[
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ]),
    )
    .unwrap();
    assert_eq!(auth.method(), TokenEndpointAuthMethod::PrivateKeyJwt);
    assert_eq!(auth.client_id().as_str(), "c1");
    let id = ClientId::new("c1").unwrap();
    let audiences = [TOKEN_URL, "https://hub.example.com"];
    let verified =
        verify_client_assertion(&assertion, &jwt.keys, &expect(&id, &audiences)).unwrap();
    assert_eq!((verified.jti.as_str(), verified.exp), ("j-1", NOW + 60));
    // The issuer as audience (array form) is accepted too.
    let mut claims = good_claims();
    claims["aud"] = json!(["x", "https://hub.example.com"]);
    assert!(
        verify_client_assertion(&jwt.sign(claims), &jwt.keys, &expect(&id, &audiences)).is_ok()
    );
}

#[test]
fn private_key_jwt_rejections() {
    let jwt = Jwt::new();
    let id = ClientId::new("c1").unwrap();
    let audiences = [TOKEN_URL];
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("iss", json!("c2")),
        ("sub", json!("c2")),
        ("aud", json!("https://other.example/token")),
        ("exp", json!(NOW - 31)),
        ("exp", json!(NOW + 3600)),
        ("iat", json!(NOW + 120)),
        ("jti", json!("")),
        ("jti", json!(null)),
    ];
    for (claim, value) in cases {
        let mut claims = good_claims();
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(claim);
        } else {
            claims[claim] = value.clone();
        }
        let err = verify_client_assertion(&jwt.sign(claims), &jwt.keys, &expect(&id, &audiences))
            .unwrap_err();
        assert!(
            matches!(err, OidcError::InvalidClient(_)),
            "{claim}={value}: {err}"
        );
        assert_eq!(err.token_error_code().as_str(), "invalid_client");
    }
    // Signed by a key the client never registered.
    let stranger = Jwt::new();
    let err = verify_client_assertion(
        &stranger.sign(good_claims()),
        &jwt.keys,
        &expect(&id, &audiences),
    )
    .unwrap_err();
    assert!(matches!(err, OidcError::InvalidClient(_)), "{err}");
    // Wrong assertion type.
    assert!(matches!(
        authenticate_request(
            None,
            &form(&[
                ("client_assertion_type", "urn:x"),
                ("client_assertion", "a.b.c")
            ])
        ),
        Err(OidcError::InvalidParameter {
            name: "client_assertion_type",
            ..
        })
    ));
}

#[test]
fn token_requests_parse_into_the_enum() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let req = TokenRequest::from_form(&form(&[
        ("grant_type", "authorization_code"),
        ("code", "abc"),
        ("redirect_uri", "https://app.example/cb"),
        ("code_verifier", verifier),
        ("client_id", "c1"),
    ]))
    .unwrap();
    let TokenRequest::AuthorizationCode {
        code,
        redirect_uri,
        code_verifier,
    } = req
    else {
        panic!()
    };
    assert_eq!(code.expose(), "abc");
    assert_eq!(redirect_uri.as_deref(), Some("https://app.example/cb"));
    assert_eq!(code_verifier.unwrap().expose(), verifier);
    let req = TokenRequest::from_form(&form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "r"),
        ("scope", "openid"),
    ]))
    .unwrap();
    assert!(
        matches!(req, TokenRequest::RefreshToken { scope: Some(ref s), .. } if s.contains("openid"))
    );
    let req = TokenRequest::from_form(&form(&[("grant_type", "client_credentials")])).unwrap();
    assert_eq!(req, TokenRequest::ClientCredentials { scope: None });
}

#[test]
fn bad_token_requests() {
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (form(&[]), "invalid_request"),
        (
            form(&[("grant_type", "password"), ("username", "u")]),
            "unsupported_grant_type",
        ),
        (
            form(&[("grant_type", "authorization_code")]),
            "invalid_request",
        ),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("code", "a"),
                ("code", "b"),
            ]),
            "invalid_request",
        ),
        (
            form(&[
                ("grant_type", "authorization_code"),
                ("code", "a"),
                ("code_verifier", "short"),
            ]),
            "invalid_request",
        ),
        (form(&[("grant_type", "refresh_token")]), "invalid_request"),
        (
            form(&[("grant_type", "client_credentials"), ("scope", "a\"b")]),
            "invalid_scope",
        ),
    ];
    for (body, code) in cases {
        let err = TokenRequest::from_form(&body).unwrap_err();
        assert_eq!(err.token_error_code().as_str(), code, "{body:?}: {err}");
    }
}

#[test]
fn error_response_shape_status_and_challenge() {
    let err = OidcError::InvalidClient("unknown \"client\"".into());
    let basic =
        TokenErrorResponse::from_error(&err, Some(TokenEndpointAuthMethod::ClientSecretBasic));
    assert_eq!(basic.http_status(), 401);
    assert!(
        basic
            .www_authenticate
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );
    let body = serde_json::to_value(&basic).unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "client authentication failed: unknown 'client'"})
    );
    let post =
        TokenErrorResponse::from_error(&err, Some(TokenEndpointAuthMethod::ClientSecretPost));
    assert_eq!((post.http_status(), post.www_authenticate), (400, None));
    let grant = TokenErrorResponse::from_error(&OidcError::PkceMismatch, None);
    assert_eq!(grant.http_status(), 400);
    assert_eq!(
        serde_json::to_value(&grant).unwrap()["error"],
        "invalid_grant"
    );
}

#[test]
fn success_response_serialises_and_redacts() {
    let mut r = TokenResponse::bearer("at".into(), 3600, &Scopes::parse("openid email").unwrap());
    r.id_token = Some("idt".into());
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v,
        json!({"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "scope": "openid email", "id_token": "idt"})
    );
    let dbg = format!("{r:?}");
    assert!(!dbg.contains("\"at\"") && !dbg.contains("idt"), "{dbg}");
}
