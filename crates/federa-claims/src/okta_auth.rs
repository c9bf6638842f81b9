//! The `okta_auth` (OIDC) / `OktaAuth` (SAML) claims-sharing payload: parsing the decrypted
//! JSON into a typed [`OktaAuthPayload`], checking it is bound to the outer token or assertion,
//! crediting the factors an Okta-style IdP org verified natively, and building the payload an
//! IdP org sends.
//!
//! Implements CONTRACT §4 (`okta_auth` plaintext shape, binding of `iss`/`aud`/`sub`, string or
//! boolean `mfaVerified`), reference `okta-claims-sharing.md` §1.5 (payload fields, epoch-ms
//! `verificationTimestamp`), §1.8 (accepted authenticators: only ones performed natively at the
//! IdP org, not `external_idp` / `smart_card_idp` / methods `idp` and `cert`), §1.12 (a Classic
//! engine only says whether MFA happened) and threats D.6 T9 (non-crypto parts).
//!
//! Decryption is not here: the caller verifies the outer token or assertion, decrypts the JWE
//! and hands over the plaintext bytes (or the JSON object when `okta_auth` arrives unencrypted
//! inside a signed ID token). Freshness is not here either: every credited verification keeps
//! its `verificationTimestamp` and the caller applies its own staleness rule.
//!
//! Parsing is strict about structure and lenient about extra fields: the payload and every
//! nested record must be JSON objects, known fields must have their documented types and may
//! not be duplicated, unknown fields are ignored. A structural error, an oversize payload or a
//! binding mismatch credits nothing at all; an unknown or delegated authenticator only drops
//! that one verification.

use crate::catalogue::{self, MethodFlags};
use crate::model::{
    AuthenticatorKey, Carrier, Engine, FactorVerification, IdpId, IgnoreReason, IgnoredClaim,
    MethodType, Source, Timestamp, VerificationKind, truncate,
};
use crate::{ClaimsError, ClaimsOutcome};
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// Largest decrypted payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Most entries accepted in `factorVerifications`.
pub const MAX_FACTOR_VERIFICATIONS: usize = 32;
/// Most values accepted in an array-valued `aud`.
pub const MAX_AUDIENCES: usize = 16;

/// `properties` token meaning the method verified the user (Federa's emitter writes it; the
/// semantics of Okta's own `properties` are undocumented, reference §1.5).
pub const PROPERTY_USER_VERIFYING: &str = "USER_VERIFYING";
/// `properties` token meaning the key is hardware protected.
pub const PROPERTY_HARDWARE_PROTECTED: &str = "HARDWARE_PROTECTED";

/// The payload as handed over by the caller.
#[derive(Clone, Copy, Debug)]
pub enum OktaAuthInput<'a> {
    /// Content of the SAML `OktaAuth` element: the decrypted JWE plaintext (or the element text
    /// when it carried JSON directly).
    Saml(&'a [u8]),
    /// Decrypted plaintext of an `okta_auth` compact JWE.
    OidcPlaintext(&'a [u8]),
    /// `okta_auth` as a JSON object inside the signed ID token.
    OidcObject(&'a Value),
}

impl OktaAuthInput<'_> {
    /// The carrier this input arrived in.
    pub fn carrier(&self) -> Carrier {
        match self {
            OktaAuthInput::Saml(_) => Carrier::OktaAuthSaml,
            OktaAuthInput::OidcPlaintext(_) | OktaAuthInput::OidcObject(_) => Carrier::OktaAuthOidc,
        }
    }
}

/// Values of the verified outer ID token or SAML assertion that the payload must agree with.
#[derive(Clone, Copy, Debug)]
pub struct OuterBinding<'a> {
    /// Outer `iss` (ID token) or assertion `Issuer`.
    pub issuer: &'a str,
    /// Outer `aud` values (ID token) or the assertion's `Audience`s.
    pub audiences: &'a [String],
    /// Outer `sub` (ID token) or the assertion's `NameID`.
    pub subject: &'a str,
    /// The engine the SP knows the IdP org runs, if configured. When set, a payload `engine`
    /// must equal it, and a payload without `engine` is read with it.
    pub expected_engine: Option<Engine>,
    /// Outer authentication time (`auth_time`, `AuthnInstant`): the time of a Classic-engine MFA
    /// assertion when the payload gives no better one.
    pub authenticated_at: Timestamp,
}

/// One entry of `factorVerifications`, typed but not yet credited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadVerification {
    /// `factor.type` (Okta: `AUTHENTICATOR`), if present.
    pub factor_type: Option<String>,
    /// `factor.authenticatorKeyName`.
    pub key: Option<AuthenticatorKey>,
    /// `factor.methodType`.
    pub method: Option<MethodType>,
    /// From `factor.properties` (and cleared by `userVerificationKeyUnavailable: true`).
    pub flags: MethodFlags,
    /// `verificationTimestamp` (epoch ms).
    pub verified_at: Option<Timestamp>,
}

/// A parsed, not yet bound or credited, claims-sharing payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OktaAuthPayload {
    /// `iss` (ext).
    pub iss: Option<String>,
    /// `aud` (ext), a string or an array in the JSON.
    pub aud: Option<Vec<String>>,
    /// `sub` (ext).
    pub sub: Option<String>,
    /// `iat` (ext), seconds since the epoch.
    pub iat: Option<i64>,
    /// `engine` (ext).
    pub engine: Option<Engine>,
    /// `mfaVerified`, from `"true"`/`"false"` or a boolean.
    pub mfa_verified: Option<bool>,
    /// `factorVerifications`.
    pub factor_verifications: Vec<PayloadVerification>,
}

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePayload<'a> {
    #[serde(borrow, default)]
    iss: Option<Cow<'a, str>>,
    #[serde(default)]
    aud: Option<WireAud>,
    #[serde(borrow, default)]
    sub: Option<Cow<'a, str>>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(borrow, default)]
    engine: Option<Cow<'a, str>>,
    #[serde(default)]
    mfa_verified: Option<FlexBool>,
    #[serde(borrow, default)]
    factor_verifications: Option<CappedList<ObjectOnly<WireVerification<'a>>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireVerification<'a> {
    #[serde(borrow)]
    factor: ObjectOnly<WireFactor<'a>>,
    #[serde(default)]
    verification_timestamp: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireFactor<'a> {
    #[serde(borrow, default, rename = "type")]
    factor_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    authenticator_key_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method_type: Option<Cow<'a, str>>,
    #[serde(default)]
    properties: Lenient<PropertyFlags>,
    #[serde(default)]
    user_verification_key_unavailable: Option<bool>,
}

/// Only a JSON object deserialises into `T` (serde's derive would also take an array).
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(ObjectOnly)
    }
}

/// An array of at most [`MAX_FACTOR_VERIFICATIONS`] elements.
struct CappedList<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for CappedList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of at most {MAX_FACTOR_VERIFICATIONS} entries")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if out.len() == MAX_FACTOR_VERIFICATIONS {
                        return Err(de::Error::custom(TOO_MANY_MARKER));
                    }
                    out.push(item);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V(PhantomData)).map(CappedList)
    }
}

const TOO_MANY_MARKER: &str = "factorVerifications has too many entries";

/// `true`, `false`, `"true"` or `"false"` (reference §1.5: Okta sends the string).
struct FlexBool(bool);

impl<'de> Deserialize<'de> for FlexBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FlexBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or the string \"true\" or \"false\"")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<FlexBool, E> {
                Ok(FlexBool(b))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<FlexBool, E> {
                match s {
                    "true" => Ok(FlexBool(true)),
                    "false" => Ok(FlexBool(false)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(s), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `aud`: one string or an array of at most [`MAX_AUDIENCES`] strings.
struct WireAud(Vec<String>);

impl<'de> Deserialize<'de> for WireAud {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WireAud;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a string or an array of at most {MAX_AUDIENCES} strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<WireAud, E> {
                Ok(WireAud(vec![s.to_owned()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WireAud, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Cow<'de, str>>()? {
                    if out.len() == MAX_AUDIENCES {
                        return Err(de::Error::invalid_length(out.len() + 1, &self));
                    }
                    out.push(s.into_owned());
                }
                Ok(WireAud(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Characteristic tokens found in `factor.properties`.
#[derive(Default)]
struct PropertyFlags(MethodFlags);

/// Accepts any JSON; `T` is built from what it understands and everything else is skipped.
/// Used for undocumented fields whose shape must not make a whole payload malformed.
#[derive(Default)]
struct Lenient<T>(T);

impl<'de> Deserialize<'de> for Lenient<PropertyFlags> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Token(Option<&'static str>);
        impl<'de> Deserialize<'de> for Token {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct TV;
                impl<'de> Visitor<'de> for TV {
                    type Value = Token;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("any JSON value")
                    }
                    fn visit_str<E: de::Error>(self, s: &str) -> Result<Token, E> {
                        Ok(Token(match s {
                            PROPERTY_USER_VERIFYING => Some(PROPERTY_USER_VERIFYING),
                            PROPERTY_HARDWARE_PROTECTED => Some(PROPERTY_HARDWARE_PROTECTED),
                            _ => None,
                        }))
                    }
                    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Token, E> {
                        Ok(Token(None))
                    }
                    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Token, E> {
                        Ok(Token(None))
                    }
                    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Token, E> {
                        Ok(Token(None))
                    }
                    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Token, E> {
                        Ok(Token(None))
                    }
                    fn visit_unit<E: de::Error>(self) -> Result<Token, E> {
                        Ok(Token(None))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Token, A::Error> {
                        while seq.next_element::<IgnoredAny>()?.is_some() {}
                        Ok(Token(None))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Token, A::Error> {
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(Token(None))
                    }
                }
                d.deserialize_any(TV)
            }
        }

        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient<PropertyFlags>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut flags = MethodFlags::NONE;
                while let Some(Token(t)) = seq.next_element::<Token>()? {
                    match t {
                        Some(PROPERTY_USER_VERIFYING) => flags.user_verified = true,
                        Some(PROPERTY_HARDWARE_PROTECTED) => flags.hardware_protected = true,
                        _ => {}
                    }
                }
                Ok(Lenient(PropertyFlags(flags)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Lenient::default())
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

impl OktaAuthPayload {
    /// Parses decrypted plaintext bytes.
    ///
    /// # Errors
    /// [`ClaimsError::PayloadTooLarge`] above [`MAX_PAYLOAD_BYTES`];
    /// [`ClaimsError::TooManyEntries`] above [`MAX_FACTOR_VERIFICATIONS`];
    /// [`ClaimsError::InvalidJson`] for anything that is not a payload-shaped JSON object
    /// (including duplicate known fields and trailing data);
    /// [`ClaimsError::UnknownValue`] for an `engine` other than `IDENTITY` / `CLASSIC`.
    pub fn from_bytes(bytes: &[u8]) -> Result<OktaAuthPayload, ClaimsError> {
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(ClaimsError::PayloadTooLarge {
                len: bytes.len(),
                max: MAX_PAYLOAD_BYTES,
            });
        }
        let wire: ObjectOnly<WirePayload<'_>> =
            serde_json::from_slice(bytes).map_err(json_error)?;
        OktaAuthPayload::from_wire(wire.0)
    }

    /// Parses the JSON object form (`okta_auth` inside a signed ID token).
    ///
    /// # Errors
    /// As [`OktaAuthPayload::from_bytes`], without the byte cap (the ID token was size-capped).
    pub fn from_value(value: &Value) -> Result<OktaAuthPayload, ClaimsError> {
        let wire = ObjectOnly::<WirePayload<'_>>::deserialize(value).map_err(json_error)?;
        OktaAuthPayload::from_wire(wire.0)
    }

    fn from_wire(w: WirePayload<'_>) -> Result<OktaAuthPayload, ClaimsError> {
        let engine = match w.engine {
            None => None,
            Some(e) => Some(Engine::parse(&e).ok_or_else(|| ClaimsError::UnknownValue {
                field: "engine",
                value: truncate(&e),
            })?),
        };
        let factor_verifications = w
            .factor_verifications
            .map(|l| l.0)
            .unwrap_or_default()
            .into_iter()
            .map(|ObjectOnly(v)| {
                let f = v.factor.0;
                let mut flags = f.properties.0.0;
                if f.user_verification_key_unavailable == Some(true) {
                    flags.user_verified = false;
                }
                PayloadVerification {
                    factor_type: f.factor_type.map(|s| truncate(&s)),
                    key: f
                        .authenticator_key_name
                        .map(|s| AuthenticatorKey::from_str_lossy(&s)),
                    method: f.method_type.map(|s| MethodType::from_str_lossy(&s)),
                    flags,
                    verified_at: v.verification_timestamp.map(Timestamp),
                }
            })
            .collect();
        Ok(OktaAuthPayload {
            iss: w.iss.map(Cow::into_owned),
            aud: w.aud.map(|a| a.0),
            sub: w.sub.map(Cow::into_owned),
            iat: w.iat,
            engine,
            mfa_verified: w.mfa_verified.map(|b| b.0),
            factor_verifications,
        })
    }

    /// Checks the payload against the outer token or assertion (CONTRACT §4: when `iss`, `aud`,
    /// `sub` or `engine` are present they must match).
    ///
    /// # Errors
    /// [`ClaimsError::BindingMismatch`] naming the first field that differs.
    pub fn check_binding(&self, outer: &OuterBinding<'_>) -> Result<(), ClaimsError> {
        let mismatch = |field: &'static str, payload: &str| ClaimsError::BindingMismatch {
            field,
            payload: truncate(payload),
        };
        if let Some(iss) = &self.iss
            && iss != outer.issuer
        {
            return Err(mismatch("iss", iss));
        }
        if let Some(aud) = &self.aud
            && (aud.is_empty() || !aud.iter().all(|a| outer.audiences.contains(a)))
        {
            return Err(mismatch("aud", &aud.join(" ")));
        }
        if let Some(sub) = &self.sub
            && sub != outer.subject
        {
            return Err(mismatch("sub", sub));
        }
        if let (Some(got), Some(want)) = (self.engine, outer.expected_engine)
            && got != want
        {
            return Err(mismatch("engine", got.as_str()));
        }
        Ok(())
    }

    /// Credits what this payload proves, after [`OktaAuthPayload::check_binding`] (which this
    /// calls: a mismatch credits nothing).
    pub fn credit(
        &self,
        idp_id: &IdpId,
        carrier: Carrier,
        outer: &OuterBinding<'_>,
    ) -> ClaimsOutcome {
        if let Err(e) = self.check_binding(outer) {
            let reason = match &e {
                ClaimsError::BindingMismatch { field: "iss", .. } => IgnoreReason::IssuerMismatch,
                ClaimsError::BindingMismatch { field: "aud", .. } => IgnoreReason::AudienceMismatch,
                ClaimsError::BindingMismatch { field: "sub", .. } => IgnoreReason::SubjectMismatch,
                _ => IgnoreReason::EngineMismatch,
            };
            return whole_payload_ignored(carrier, reason, &e);
        }
        let engine = self
            .engine
            .or(outer.expected_engine)
            .unwrap_or(Engine::Identity);
        let source = Source::Federated {
            idp_id: idp_id.clone(),
            carrier,
            engine: Some(engine),
        };
        match engine {
            Engine::Identity => self.credit_identity(carrier, &source),
            Engine::Classic => self.credit_classic(carrier, source, outer),
        }
    }

    fn credit_identity(&self, carrier: Carrier, source: &Source) -> ClaimsOutcome {
        let mut out = ClaimsOutcome::default();
        for (i, v) in self.factor_verifications.iter().enumerate() {
            match credit_one(v, source) {
                Ok(fv) => out.credited.push(fv),
                Err((reason, detail)) => out.ignored.push(
                    IgnoredClaim::new(describe_entry(i, v), reason, Some(carrier))
                        .with_detail(detail),
                ),
            }
        }
        out
    }

    fn credit_classic(
        &self,
        carrier: Carrier,
        source: Source,
        outer: &OuterBinding<'_>,
    ) -> ClaimsOutcome {
        let mut out = ClaimsOutcome::default();
        for (i, v) in self.factor_verifications.iter().enumerate() {
            out.ignored.push(IgnoredClaim::new(
                describe_entry(i, v),
                IgnoreReason::ClassicEngineFactor,
                Some(carrier),
            ));
        }
        if self.mfa_verified != Some(true) {
            out.ignored.push(IgnoredClaim::new(
                "okta_auth mfaVerified",
                IgnoreReason::ClassicWithoutMfa,
                Some(carrier),
            ));
            return out;
        }
        let latest = self
            .factor_verifications
            .iter()
            .filter_map(|v| v.verified_at)
            .max();
        let verified_at = latest
            .or(self.iat.map(|s| Timestamp(s.saturating_mul(1000))))
            .unwrap_or(outer.authenticated_at);
        out.credited.push(FactorVerification {
            authenticator_key: None,
            method: None,
            amr: None,
            factor_class: None,
            characteristics: crate::model::Characteristics::NONE,
            kind: VerificationKind::MfaAsserted,
            verified_at,
            source,
        });
        out
    }
}

fn json_error(e: serde_json::Error) -> ClaimsError {
    let msg = e.to_string();
    if msg.contains(TOO_MANY_MARKER) {
        ClaimsError::TooManyEntries {
            what: "factorVerifications",
            count: MAX_FACTOR_VERIFICATIONS + 1,
            max: MAX_FACTOR_VERIFICATIONS,
        }
    } else {
        ClaimsError::InvalidJson(msg)
    }
}

fn whole_payload_ignored(carrier: Carrier, reason: IgnoreReason, e: &ClaimsError) -> ClaimsOutcome {
    ClaimsOutcome {
        credited: Vec::new(),
        ignored: vec![
            IgnoredClaim::new(carrier_name(carrier), reason, Some(carrier))
                .with_detail(e.to_string()),
        ],
    }
}

fn carrier_name(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::OktaAuthSaml => "OktaAuth",
        _ => "okta_auth",
    }
}

fn describe_entry(i: usize, v: &PayloadVerification) -> String {
    let key = v.key.as_ref().map_or("-", AuthenticatorKey::as_str);
    let method = v.method.as_ref().map_or("-", MethodType::as_str);
    format!("okta_auth factorVerifications[{i}] {key}/{method}")
}

fn credit_one(
    v: &PayloadVerification,
    source: &Source,
) -> Result<FactorVerification, (IgnoreReason, String)> {
    if let Some(t) = &v.factor_type
        && t != "AUTHENTICATOR"
    {
        return Err((
            IgnoreReason::UnknownAuthenticator,
            format!("factor.type is '{t}'"),
        ));
    }
    let Some(key) = &v.key else {
        let e = ClaimsError::Missing {
            field: "factor.authenticatorKeyName",
        };
        return Err((IgnoreReason::Malformed, e.to_string()));
    };
    if key.is_delegated() || v.method.as_ref().is_some_and(MethodType::is_delegated) {
        return Err((
            IgnoreReason::DelegatedAuthenticator,
            IgnoreReason::DelegatedAuthenticator.describe().to_owned(),
        ));
    }
    let method = match &v.method {
        Some(m) => m.clone(),
        None => catalogue::default_method(key).ok_or_else(|| {
            let e = ClaimsError::Missing {
                field: "factor.methodType",
            };
            (IgnoreReason::Malformed, e.to_string())
        })?,
    };
    let entry = catalogue::lookup(key, &method).ok_or_else(|| {
        let e = ClaimsError::NotInCatalogue {
            key: key.as_str().to_owned(),
            method: method.as_str().to_owned(),
        };
        (IgnoreReason::UnknownAuthenticator, e.to_string())
    })?;
    let verified_at = match v.verified_at {
        Some(t) if t.millis() >= 0 => t,
        Some(_) => {
            let e = ClaimsError::WrongType {
                field: "verificationTimestamp",
                expected: "a non-negative epoch-millisecond integer",
            };
            return Err((IgnoreReason::Malformed, e.to_string()));
        }
        None => {
            let e = ClaimsError::Missing {
                field: "verificationTimestamp",
            };
            return Err((IgnoreReason::Malformed, e.to_string()));
        }
    };
    Ok(catalogue::verification(
        entry,
        v.flags,
        verified_at,
        source.clone(),
    ))
}

/// Parses and credits one carrier: the whole of reading an `okta_auth` / `OktaAuth` payload.
/// Never panics; malformed, oversize or unbound payloads credit nothing and say why.
pub fn parse_okta_auth(
    input: OktaAuthInput<'_>,
    idp_id: &IdpId,
    outer: &OuterBinding<'_>,
) -> ClaimsOutcome {
    let carrier = input.carrier();
    let parsed = match input {
        OktaAuthInput::Saml(b) | OktaAuthInput::OidcPlaintext(b) => OktaAuthPayload::from_bytes(b),
        OktaAuthInput::OidcObject(v) => OktaAuthPayload::from_value(v),
    };
    match parsed {
        Ok(p) => p.credit(idp_id, carrier, outer),
        Err(e) => {
            let reason = match e {
                ClaimsError::PayloadTooLarge { .. } | ClaimsError::TooManyEntries { .. } => {
                    IgnoreReason::TooLarge
                }
                _ => IgnoreReason::Malformed,
            };
            whole_payload_ignored(carrier, reason, &e)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Emission (IdP org side)
// ---------------------------------------------------------------------------------------------

/// The binding header an IdP org puts in the payload it emits.
#[derive(Clone, Copy, Debug)]
pub struct PayloadHeader<'a> {
    /// The IdP org's issuer (equal to the outer token / assertion issuer).
    pub iss: &'a str,
    /// The SP's audience (equal to the outer audience).
    pub aud: &'a str,
    /// The subject (equal to the outer `sub` / `NameID`).
    pub sub: &'a str,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// This org's engine.
    pub engine: Engine,
}

/// Builds the plaintext payload (CONTRACT §4) for a session's verifications, to be encrypted by
/// the caller. Only verifications with a catalogue key and method are listed (AMR-derived and
/// MFA-asserted ones cannot be described as authenticators); `mfaVerified` is `"true"` when the
/// listed verifications span two or more factor classes.
pub fn build_payload(verifications: &[FactorVerification], header: &PayloadHeader<'_>) -> Value {
    let mut entries = Vec::new();
    let mut listed = Vec::new();
    for v in verifications {
        let (Some(key), Some(method)) = (&v.authenticator_key, &v.method) else {
            continue;
        };
        let Some(entry) = catalogue::lookup(key, method) else {
            continue;
        };
        let mut properties = Vec::new();
        if entry.flag_dependent.user_verifying && v.characteristics.user_verifying {
            properties.push(PROPERTY_USER_VERIFYING);
        }
        if entry.flag_dependent.hardware_protected && v.characteristics.hardware_protected {
            properties.push(PROPERTY_HARDWARE_PROTECTED);
        }
        let authenticator_type = key.authenticator_type().map_or_else(
            || Value::Null,
            |t| serde_json::to_value(t).unwrap_or(Value::Null),
        );
        entries.push(json!({
            "factor": {
                "type": "AUTHENTICATOR",
                "authenticatorType": authenticator_type,
                "methodType": method.as_str(),
                "authenticatorKeyName": key.as_str(),
                "status": "ACTIVE",
                "properties": properties,
            },
            "verificationTimestamp": v.verified_at.millis(),
        }));
        listed.push(v.clone());
    }
    let mfa = crate::model::distinct_factor_classes(&listed).len() >= 2;
    json!({
        "iss": header.iss,
        "aud": header.aud,
        "sub": header.sub,
        "iat": header.iat,
        "engine": header.engine.as_str(),
        "mfaVerified": if mfa { "true" } else { "false" },
        "factorVerifications": entries,
    })
}

#[cfg(test)]
mod tests;
