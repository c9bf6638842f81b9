//! Request parameters and the small typed values they become.
//!
//! Owns the parameter bag used by every endpoint (RFC 6749 §3.1/§3.2: a parameter must not be
//! included more than once, and one sent without a value is treated as omitted), and the
//! newtypes [`ClientId`], [`State`], [`Nonce`], [`RedirectUri`] (exact string plus parsed URL,
//! RFC 6749 §3.1.2), [`Scopes`] (RFC 6749 §3.3 scope-token syntax) and [`Issuer`] (OIDC
//! Discovery §3, RFC 9207).

use std::collections::BTreeMap;
use std::fmt;

use url::Url;

use crate::error::{OidcError, excerpt};

/// Longest accepted value of any single parameter, in bytes.
pub const MAX_PARAM_LEN: usize = 4096;

/// Request parameters by name; repeated names are remembered, not merged.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    values: BTreeMap<String, Vec<String>>,
}

impl Params {
    pub(crate) fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            values
                .entry(k.as_ref().to_owned())
                .or_default()
                .push(v.as_ref().to_owned());
        }
        Params { values }
    }

    /// The first repeated parameter name, if any, in name order.
    pub(crate) fn first_repeated(&self) -> Option<&str> {
        self.values
            .iter()
            .find(|(_, v)| v.len() > 1)
            .map(|(k, _)| k.as_str())
    }

    /// The single value of `name`; empty counts as absent. Repeats and over-long values fail.
    pub(crate) fn single(&self, name: &'static str) -> Result<Option<&str>, OidcError> {
        match self.values.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) if one.is_empty() => Ok(None),
            Some([one]) if one.len() > MAX_PARAM_LEN => Err(OidcError::InvalidParameter {
                name,
                reason: format!("longer than {MAX_PARAM_LEN} bytes"),
            }),
            Some([one]) => Ok(Some(one.as_str())),
            Some(_) => Err(OidcError::DuplicateParameter(name.to_owned())),
        }
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<&str, OidcError> {
        self.single(name)?.ok_or(OidcError::MissingParameter(name))
    }
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $param:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value: 1 to 4096 bytes, printable ASCII without spaces
            /// (RFC 6749 Appendix A `VSCHAR`, minus space).
            ///
            /// # Errors
            /// [`OidcError::InvalidParameter`].
            pub fn new(value: impl Into<String>) -> Result<Self, OidcError> {
                let value = value.into();
                if value.is_empty() || value.len() > MAX_PARAM_LEN {
                    return Err(OidcError::InvalidParameter {
                        name: $param,
                        reason: format!("must be 1 to {MAX_PARAM_LEN} bytes"),
                    });
                }
                if !value.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                    return Err(OidcError::InvalidParameter {
                        name: $param,
                        reason: "must be printable ASCII without spaces".to_owned(),
                    });
                }
                Ok($name(value))
            }

            /// The value.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

text_newtype!(
    /// An OAuth client identifier (RFC 6749 §2.2).
    ClientId,
    "client_id"
);
text_newtype!(
    /// The client's opaque `state` value, returned unchanged (RFC 6749 §4.1.1).
    State,
    "state"
);
text_newtype!(
    /// The `nonce` binding an ID token to the authentication request (OIDC Core §3.1.2.1).
    Nonce,
    "nonce"
);

/// A redirection endpoint: the exact string registered by the client and its parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri {
    raw: String,
    url: Url,
}

impl RedirectUri {
    /// Parses an absolute URI without fragment (RFC 6749 §3.1.2).
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`].
    pub fn parse(raw: &str) -> Result<Self, OidcError> {
        let url = Url::parse(raw).map_err(|e| OidcError::InvalidParameter {
            name: "redirect_uri",
            reason: format!("not an absolute URI: {e}"),
        })?;
        if url.fragment().is_some() {
            return Err(OidcError::InvalidParameter {
                name: "redirect_uri",
                reason: "must not contain a fragment".to_owned(),
            });
        }
        Ok(RedirectUri {
            raw: raw.to_owned(),
            url,
        })
    }

    /// The URI exactly as registered and sent.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed URL (to append response parameters to).
    #[must_use]
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// An ordered set of scope tokens (RFC 6749 §3.3), order of first appearance kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a space-delimited scope string. Each token must be `%x21 / %x23-5B / %x5D-7E`;
    /// repeated tokens are collapsed; empty input is refused.
    ///
    /// # Errors
    /// [`OidcError::InvalidScope`].
    pub fn parse(text: &str) -> Result<Self, OidcError> {
        let mut tokens: Vec<String> = Vec::new();
        for token in text.split(' ').filter(|t| !t.is_empty()) {
            if !token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
            {
                return Err(OidcError::InvalidScope(format!(
                    "the scope token {} has characters outside RFC 6749 §3.3",
                    excerpt(token)
                )));
            }
            if !tokens.iter().any(|t| t == token) {
                tokens.push(token.to_owned());
            }
        }
        if tokens.is_empty() {
            return Err(OidcError::InvalidScope("the scope is empty".to_owned()));
        }
        Ok(Scopes(tokens))
    }

    /// Whether the set contains `scope`.
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// The tokens, in order.
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether every token of `self` is in `other` (refresh/downscoping checks).
    #[must_use]
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// An OpenID Provider issuer identifier: an `https` URL (plain `http` only for `localhost`
/// names, for the demo) with no query or fragment (OIDC Discovery §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    /// Validates an issuer. A trailing `/` is removed so that endpoint URLs join cleanly.
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`] (named `issuer`).
    pub fn new(text: &str) -> Result<Self, OidcError> {
        let bad = |reason: &str| OidcError::InvalidParameter {
            name: "issuer",
            reason: reason.to_owned(),
        };
        let url = Url::parse(text).map_err(|_| bad("not an absolute URL"))?;
        let local = url
            .host_str()
            .is_some_and(|h| h == "localhost" || h.ends_with(".localhost"));
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            _ => return Err(bad("must use https")),
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        Ok(Issuer(text.trim_end_matches('/').to_owned()))
    }

    /// This server's own issuer, taken from the origin a request arrived on. Plain `http` is
    /// accepted for any host: the scheme reflects how the deployment reaches Federa (TLS ends at
    /// a proxy that sets `X-Forwarded-Proto`), and tests use other hosts than `localhost`.
    /// Issuers of other parties go through [`Issuer::new`].
    ///
    /// # Errors
    /// [`OidcError::InvalidParameter`] (named `issuer`).
    pub fn own(text: &str) -> Result<Self, OidcError> {
        let bad = |reason: &str| OidcError::InvalidParameter {
            name: "issuer",
            reason: reason.to_owned(),
        };
        let url = Url::parse(text).map_err(|_| bad("not an absolute URL"))?;
        if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
            return Err(bad("must be an http(s) URL with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        Ok(Issuer(text.trim_end_matches('/').to_owned()))
    }

    /// The issuer string, exactly as it appears in `iss`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An endpoint URL under the issuer, e.g. `/oauth2/v1/token`.
    ///
    /// # Errors
    /// [`OidcError::Internal`] if the join fails (it cannot for a validated issuer).
    pub fn endpoint(&self, path: &str) -> Result<Url, OidcError> {
        let mut url =
            Url::parse(&self.0).map_err(|_| OidcError::Internal("re-parsing the issuer"))?;
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        Ok(url)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_refuse_repeats_and_treat_empty_as_absent() {
        let p = Params::from_pairs([("a", "1"), ("a", "2"), ("b", ""), ("c", "x")]);
        assert_eq!(
            p.single("a"),
            Err(OidcError::DuplicateParameter("a".into()))
        );
        assert_eq!(p.single("b"), Ok(None));
        assert_eq!(p.single("c"), Ok(Some("x")));
        assert_eq!(p.required("d"), Err(OidcError::MissingParameter("d")));
        assert_eq!(p.first_repeated(), Some("a"));
        let long = "x".repeat(MAX_PARAM_LEN + 1);
        let p = Params::from_pairs([("s", long.as_str())]);
        assert!(matches!(
            p.single("s"),
            Err(OidcError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn scopes_parse_and_refuse_bad_tokens() {
        let s = Scopes::parse("openid  profile openid email").unwrap_or_default();
        assert_eq!(s.as_slice(), ["openid", "profile", "email"]);
        assert_eq!(s.to_string(), "openid profile email");
        assert!(Scopes::parse("   ").is_err());
        assert!(Scopes::parse("open\"id").is_err());
        assert!(Scopes::parse("a\\b").is_err());
        assert!(Scopes::parse("é").is_err());
        let sub = Scopes::parse("openid").unwrap_or_default();
        assert!(sub.is_subset_of(&s) && !s.is_subset_of(&sub));
    }

    #[test]
    fn newtypes_refuse_spaces_and_controls() {
        assert!(State::new("abc-123").is_ok());
        assert!(State::new("a b").is_err());
        assert!(Nonce::new("").is_err());
        assert!(ClientId::new("x\n").is_err());
    }

    #[test]
    fn redirect_uri_needs_absolute_without_fragment() {
        assert!(RedirectUri::parse("https://app.example/cb?x=1").is_ok());
        assert!(RedirectUri::parse("/cb").is_err());
        assert!(RedirectUri::parse("https://app.example/cb#frag").is_err());
    }

    #[test]
    fn issuer_rules() {
        let iss = Issuer::new("https://hub.example.com/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(iss.as_str(), "https://hub.example.com");
        assert_eq!(
            iss.endpoint("/oauth2/v1/token").map(String::from).ok(),
            Some("https://hub.example.com/oauth2/v1/token".to_owned())
        );
        assert!(Issuer::new("http://hub.localhost:8080").is_ok());
        assert!(Issuer::new("http://hub.example.com").is_err());
        assert!(Issuer::own("http://hub.example.com:8080").is_ok());
        assert!(Issuer::own("ftp://hub.example.com").is_err());
        assert!(Issuer::own("https://hub.example.com/?q=1").is_err());
        assert!(Issuer::new("https://hub.example.com?x=1").is_err());
    }
}
