//! JWT claim checks shared by ID token validation ([`crate::rp`]) and client assertions
//! ([`crate::client_auth`]).
//!
//! Owns the typed reading of registered claims (RFC 7519 §4.1: `iss`, `sub`, `aud` as string
//! or array, NumericDate `exp` / `iat` / `nbf`) and the time checks with a clock-skew allowance
//! (RFC 7519 §4.1.4/§4.1.5, OIDC Core §3.1.3.7 steps 9-10). `now` is an argument.

use std::time::Duration;

use federa_jose::{JwsAlg, VerifiedJws, VerifyingKeySet, jws};
use federa_types::Timestamp;
use serde_json::{Map, Value};

use crate::error::{OidcError, excerpt};

/// Verifies a JWS and returns its header and strictly parsed claims.
pub(crate) fn verify_claims(
    token: &str,
    keys: &VerifyingKeySet,
    allowed: &[JwsAlg],
) -> Result<(VerifiedJws, Map<String, Value>), OidcError> {
    let verified = jws::verify(token, keys, allowed)?;
    let claims = verified.claims()?;
    Ok((verified, claims))
}

pub(crate) fn string<'m>(
    claims: &'m Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'m str>, OidcError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(OidcError::Claim {
            name,
            reason: "must be a string".to_owned(),
        }),
    }
}

pub(crate) fn required_string<'m>(
    claims: &'m Map<String, Value>,
    name: &'static str,
) -> Result<&'m str, OidcError> {
    string(claims, name)?.ok_or(OidcError::Claim {
        name,
        reason: "is missing".to_owned(),
    })
}

/// A NumericDate (RFC 7519 §2): a JSON number of seconds; fractions are truncated.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, OidcError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < 1e15)
                    // Truncation is the intent: NumericDate fractions are ignored.
                    .map(|f| f.trunc() as i64)
            })
            .map(Some)
            .ok_or(OidcError::Claim {
                name,
                reason: "is not a representable NumericDate".to_owned(),
            }),
        Some(_) => Err(OidcError::Claim {
            name,
            reason: "must be a NumericDate (number of seconds)".to_owned(),
        }),
    }
}

/// `aud` as a list (a single string or an array of strings, RFC 7519 §4.1.3).
pub(crate) fn audiences(claims: &Map<String, Value>) -> Result<Vec<String>, OidcError> {
    let bad = |reason: &str| OidcError::Claim {
        name: "aud",
        reason: reason.to_owned(),
    };
    match claims.get("aud") {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("has a non-string member"))
            })
            .collect(),
        Some(Value::Array(_)) => Err(bad("is an empty array")),
        Some(_) => Err(bad("must be a string or an array of strings")),
        None => Err(bad("is missing")),
    }
}

/// Checks `iss` equals `expected` exactly.
pub(crate) fn check_issuer(claims: &Map<String, Value>, expected: &str) -> Result<(), OidcError> {
    let iss = required_string(claims, "iss")?;
    if iss != expected {
        return Err(OidcError::IssuerMismatch {
            found: excerpt(iss),
        });
    }
    Ok(())
}

/// The time claims after the checks: `exp` required and not passed, `iat` (when `require_iat`)
/// and `nbf` not in the future, all with `skew` allowance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub(crate) exp: i64,
    pub(crate) iat: Option<i64>,
}

pub(crate) fn check_times(
    claims: &Map<String, Value>,
    now: Timestamp,
    skew: Duration,
    require_iat: bool,
) -> Result<Times, OidcError> {
    let now_s = now.seconds();
    let skew_s = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
    let exp = numeric_date(claims, "exp")?.ok_or(OidcError::Claim {
        name: "exp",
        reason: "is missing".to_owned(),
    })?;
    if exp.saturating_add(skew_s) <= now_s {
        return Err(OidcError::Expired {
            exp,
            now: now_s,
            skew: skew.as_secs(),
        });
    }
    let iat = numeric_date(claims, "iat")?;
    if require_iat && iat.is_none() {
        return Err(OidcError::Claim {
            name: "iat",
            reason: "is missing".to_owned(),
        });
    }
    for (claim, value) in [("iat", iat), ("nbf", numeric_date(claims, "nbf")?)] {
        if let Some(value) = value
            && value > now_s.saturating_add(skew_s)
        {
            return Err(OidcError::NotYetValid {
                claim,
                value,
                now: now_s,
                skew: skew.as_secs(),
            });
        }
    }
    Ok(Times { exp, iat })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn time_boundaries() {
        let now = Timestamp::from_millis(1_000_000);
        let skew = Duration::from_secs(60);
        let ok = map(json!({"exp": 1001, "iat": 1000}));
        assert!(check_times(&ok, now, Duration::ZERO, true).is_ok());
        // exp == now is expired (RFC 7519: "on or after").
        let at = map(json!({"exp": 1000, "iat": 900}));
        assert!(matches!(
            check_times(&at, now, Duration::ZERO, true),
            Err(OidcError::Expired { .. })
        ));
        assert!(check_times(&at, now, skew, true).is_ok());
        let future = map(json!({"exp": 5000, "iat": 1061}));
        assert!(matches!(
            check_times(&future, now, skew, true),
            Err(OidcError::NotYetValid { claim: "iat", .. })
        ));
        let nbf = map(json!({"exp": 5000, "iat": 1000, "nbf": 1060}));
        assert!(check_times(&nbf, now, skew, true).is_ok());
        let no_iat = map(json!({"exp": 5000}));
        assert!(check_times(&no_iat, now, skew, true).is_err());
        assert!(check_times(&map(json!({"exp": "5000"})), now, skew, false).is_err());
        assert!(check_times(&map(json!({"exp": 5000.7})), now, skew, false).is_ok());
    }

    #[test]
    fn audience_shapes() {
        assert_eq!(
            audiences(&map(json!({"aud": "a"}))).ok(),
            Some(vec!["a".into()])
        );
        assert_eq!(
            audiences(&map(json!({"aud": ["a", "b"]}))).ok(),
            Some(vec!["a".into(), "b".into()])
        );
        assert!(audiences(&map(json!({"aud": []}))).is_err());
        assert!(audiences(&map(json!({"aud": [1]}))).is_err());
        assert!(audiences(&map(json!({}))).is_err());
    }
}
