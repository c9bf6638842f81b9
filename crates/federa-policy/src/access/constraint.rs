//! `verificationMethod.constraints[]` of an `ACCESS_POLICY` rule with `type: ASSURANCE`
//! (reference §2.5): the `knowledge` and `possession` objects, their `required`, `types`,
//! `methods`, `authenticationMethods` (allow specific), `excludedAuthenticationMethods`
//! (disallow specific), `reauthenticateIn`, and the possession characteristics
//! (`deviceBound`, `hardwareProtection`, `phishingResistant`, `userPresence` default REQUIRED,
//! `userVerification`, `userVerificationMethods`).
//!
//! Input tolerance (end of reference §2.5): lowercase enum values, `excludedAuthenticationMethods`
//! as a single object, the `phishingREsistant` spelling. Output: arrays, upper-case enums,
//! `required` always present and every characteristic filled in.
//!
//! Save-time contradictions refused here, each naming its field: characteristics required of a
//! knowledge factor; a `types` / `methods` / `authenticationMethods` entry of the wrong factor
//! class; allow- and disallow-specific together; a filter that leaves no method at all; a
//! characteristic that none of the still-allowed methods can have; `userVerificationMethods`
//! without `userVerification: REQUIRED`; an empty constraint object; both classes required
//! under `1FA`.

use crate::catalogue::{self, MethodInfo};
use crate::duration::IsoDuration;
use crate::error::{PolicyError, Result};
use crate::ids::{AuthenticatorId, ParseId};
use crate::wire::{Item, Obj, wire_enum};
use federa_claims::{AuthenticatorKey, Characteristics, FactorClass, MethodType};
use serde::Serialize;

use super::FactorMode;

wire_enum! {
    /// `OPTIONAL` / `REQUIRED` for a characteristic.
    pub enum Requirement { Optional = "OPTIONAL", Required = "REQUIRED" }
}

impl Requirement {
    /// Whether it is `REQUIRED`.
    pub fn is_required(self) -> bool {
        self == Requirement::Required
    }
}

wire_enum! {
    /// Constraint `types` (reference §2.5 full enum).
    pub enum ConstraintType {
        SecurityKey = "SECURITY_KEY",
        Phone = "PHONE",
        Email = "EMAIL",
        Password = "PASSWORD",
        SecurityQuestion = "SECURITY_QUESTION",
        App = "APP",
        Federated = "FEDERATED",
    }
}

wire_enum! {
    /// Constraint `methods` (reference §2.5 full enum).
    pub enum ConstraintMethod {
        Password = "PASSWORD",
        SecurityQuestion = "SECURITY_QUESTION",
        Sms = "SMS",
        Voice = "VOICE",
        Email = "EMAIL",
        Push = "PUSH",
        SignedNonce = "SIGNED_NONCE",
        Otp = "OTP",
        Totp = "TOTP",
        Webauthn = "WEBAUTHN",
        Duo = "DUO",
        Idp = "IDP",
        Cert = "CERT",
    }
}

wire_enum! {
    /// `userVerificationMethods`.
    pub enum UvMethod { Biometrics = "BIOMETRICS", Pin = "PIN" }
}

/// `{key, method?, id?}` naming one authenticator (method) in allow / disallow lists and chains.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct MethodRef {
    /// Authenticator key, e.g. `okta_password`.
    pub key: AuthenticatorKey,
    /// Method type; `None` = every method of the authenticator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<MethodType>,
    /// The authenticator's id, when the client gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<AuthenticatorId>,
}

impl MethodRef {
    /// Whether this reference covers the catalogue entry `m`.
    pub fn covers(&self, key: &AuthenticatorKey, method: &MethodType) -> bool {
        &self.key == key && self.method.as_ref().is_none_or(|x| x == method)
    }

    /// Reads one reference; `extra` lists further keys allowed in the object (chains).
    pub(crate) fn read<'a>(item: &Item<'a>, extra: &[&str]) -> Result<(Self, Obj<'a>)> {
        let o = item.obj()?;
        let mut known = vec!["key", "method", "id"];
        known.extend_from_slice(extra);
        o.deny_unknown(&known)?;
        let key_s = o.req_string("key")?;
        let key = AuthenticatorKey::known(&key_s.to_ascii_lowercase())
            .filter(|k| catalogue::methods_of(k).next().is_some())
            .ok_or_else(|| {
                PolicyError::invalid(
                    o.at("key"),
                    format!("unknown authenticator key '{}'", crate::error::clip(key_s)),
                )
            })?;
        let method = match o.string("method")? {
            None => None,
            Some(m) => {
                let mt = MethodType::known(&m.to_ascii_lowercase())
                    .filter(|mt| catalogue::lookup(&key, mt).is_some())
                    .ok_or_else(|| {
                        PolicyError::invalid(
                            o.at("method"),
                            format!(
                                "authenticator {key} has no method '{}'",
                                crate::error::clip(m)
                            ),
                        )
                    })?;
                Some(mt)
            }
        };
        let id = o
            .string("id")?
            .map(|s| AuthenticatorId::at(s, &o.at("id")))
            .transpose()?;
        Ok((MethodRef { key, method, id }, o))
    }

    /// The catalogue entries this reference covers.
    pub fn entries(&self) -> impl Iterator<Item = &'static MethodInfo> + '_ {
        catalogue::methods_of(&self.key)
            .filter(|m| self.method.as_ref().is_none_or(|x| x == &m.method))
    }
}

/// The fields `knowledge` and `possession` share: which methods count and how fresh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodFilter {
    /// A factor of this class must be present (default true; false when
    /// `excludedAuthenticationMethods` is set and `required` was not given).
    pub required: bool,
    /// Only these authenticator types count (empty = any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<ConstraintType>,
    /// Only these method types count (empty = any).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<ConstraintMethod>,
    /// Allow specific: only these count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authentication_methods: Vec<MethodRef>,
    /// Disallow specific: these never count.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excluded_authentication_methods: Vec<MethodRef>,
    /// Freshness for factors of this class; overrides the verification-method value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reauthenticate_in: Option<IsoDuration>,
}

impl MethodFilter {
    /// Whether the catalogue entry `m` passes `types`, `methods` and the allow / disallow lists.
    pub fn admits(&self, m: &MethodInfo) -> bool {
        (self.types.is_empty() || self.types.contains(&m.constraint_type))
            && (self.methods.is_empty() || self.methods.contains(&m.constraint_method))
            && (self.authentication_methods.is_empty()
                || self
                    .authentication_methods
                    .iter()
                    .any(|r| r.covers(&m.key, &m.method)))
            && !self
                .excluded_authentication_methods
                .iter()
                .any(|r| r.covers(&m.key, &m.method))
    }

    /// Whether the filter narrows anything beyond the class (used to explain third-party AMR).
    pub fn is_specific(&self) -> bool {
        !self.types.is_empty()
            || !self.methods.is_empty()
            || !self.authentication_methods.is_empty()
            || !self.excluded_authentication_methods.is_empty()
    }

    fn read(o: &Obj<'_>, class: FactorClass) -> Result<Self> {
        let types = o.enum_list::<ConstraintType>("types")?;
        let methods = o.enum_list::<ConstraintMethod>("methods")?;
        let class_name = if class == FactorClass::Knowledge {
            "knowledge"
        } else {
            "possession"
        };
        let knowledge_type = |t: ConstraintType| {
            matches!(
                t,
                ConstraintType::Password | ConstraintType::SecurityQuestion
            )
        };
        let knowledge_method = |m: ConstraintMethod| {
            matches!(
                m,
                ConstraintMethod::Password | ConstraintMethod::SecurityQuestion
            )
        };
        let is_k = class == FactorClass::Knowledge;
        if let Some(i) = types.iter().position(|t| knowledge_type(*t) != is_k) {
            return Err(PolicyError::invalid(
                crate::wire::index(&o.at("types"), i),
                format!("{} is not a {class_name} authenticator type", types[i]),
            ));
        }
        if let Some(i) = methods.iter().position(|m| knowledge_method(*m) != is_k) {
            return Err(PolicyError::invalid(
                crate::wire::index(&o.at("methods"), i),
                format!("{} is not a {class_name} method", methods[i]),
            ));
        }
        let read_refs = |key: &str, tolerant: bool| -> Result<Vec<MethodRef>> {
            let items = if tolerant {
                o.array_or_one(key)?
            } else {
                o.array(key)?
            };
            let mut out: Vec<MethodRef> = Vec::new();
            for item in &items {
                let (r, ro) = MethodRef::read(item, &[])?;
                if catalogue::class_of_key(&r.key) != Some(class) {
                    return Err(PolicyError::invalid(
                        ro.at("key"),
                        format!("{} is not a {class_name} authenticator", r.key),
                    ));
                }
                if !out.contains(&r) {
                    out.push(r);
                }
            }
            Ok(out)
        };
        let authentication_methods = read_refs("authenticationMethods", false)?;
        let excluded = read_refs("excludedAuthenticationMethods", true)?;
        if !authentication_methods.is_empty() && !excluded.is_empty() {
            return Err(PolicyError::invalid(
                o.at("excludedAuthenticationMethods"),
                "cannot be combined with authenticationMethods: allow specific methods or disallow specific methods, not both",
            ));
        }
        let required = o.boolean("required")?.unwrap_or(excluded.is_empty());
        let reauthenticate_in = o
            .string("reauthenticateIn")?
            .map(|s| IsoDuration::parse(s, &o.at("reauthenticateIn")))
            .transpose()?;
        let filter = MethodFilter {
            required,
            types,
            methods,
            authentication_methods,
            excluded_authentication_methods: excluded,
            reauthenticate_in,
        };
        if !catalogue::METHODS
            .iter()
            .any(|m| m.class == class && filter.admits(m))
        {
            let field = if filter.excluded_authentication_methods.is_empty() {
                o.path().to_owned()
            } else {
                o.at("excludedAuthenticationMethods")
            };
            return Err(PolicyError::invalid(
                field,
                format!("no {class_name} method is left that could satisfy this constraint"),
            ));
        }
        Ok(filter)
    }
}

const FILTER_KEYS: &[&str] = &[
    "required",
    "types",
    "methods",
    "authenticationMethods",
    "excludedAuthenticationMethods",
    "reauthenticateIn",
];

const CHARACTERISTIC_KEYS: &[&str] = &[
    "deviceBound",
    "hardwareProtection",
    "phishingResistant",
    "userPresence",
    "userVerification",
];

/// Reference §2.5 tolerates the typo `phishingREsistant`; read whichever spelling is present.
fn characteristic(o: &Obj<'_>, key: &str) -> Result<Option<Requirement>> {
    let v = o.enumv::<Requirement>(key)?;
    if key == "phishingResistant" {
        let typo = o.enumv::<Requirement>("phishingREsistant")?;
        return match (v, typo) {
            (Some(a), Some(b)) if a != b => Err(PolicyError::invalid(
                o.at("phishingREsistant"),
                "contradicts phishingResistant",
            )),
            (a, b) => Ok(a.or(b)),
        };
    }
    Ok(v)
}

/// `constraints[i].knowledge`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KnowledgeConstraint {
    /// Which knowledge methods count.
    #[serde(flatten)]
    pub filter: MethodFilter,
}

impl KnowledgeConstraint {
    fn read(o: &Obj<'_>) -> Result<Self> {
        let mut known = FILTER_KEYS.to_vec();
        known.extend_from_slice(CHARACTERISTIC_KEYS);
        known.extend_from_slice(&["phishingREsistant", "userVerificationMethods"]);
        o.deny_unknown(&known)?;
        for key in CHARACTERISTIC_KEYS {
            if characteristic(o, key)?.is_some_and(Requirement::is_required) {
                return Err(PolicyError::invalid(
                    o.at(key),
                    format!(
                        "{key} only applies to possession factors; a knowledge factor can never meet it"
                    ),
                ));
            }
        }
        if o.has("userVerificationMethods") {
            return Err(PolicyError::invalid(
                o.at("userVerificationMethods"),
                "only applies to possession factors",
            ));
        }
        Ok(KnowledgeConstraint {
            filter: MethodFilter::read(o, FactorClass::Knowledge)?,
        })
    }
}

/// `constraints[i].possession`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PossessionConstraint {
    /// Which possession methods count.
    #[serde(flatten)]
    pub filter: MethodFilter,
    /// Default OPTIONAL.
    pub device_bound: Requirement,
    /// Default OPTIONAL.
    pub hardware_protection: Requirement,
    /// Default OPTIONAL.
    pub phishing_resistant: Requirement,
    /// Default REQUIRED.
    pub user_presence: Requirement,
    /// Default OPTIONAL.
    pub user_verification: Requirement,
    /// Only with `userVerification: REQUIRED`. Federa cannot tell biometrics from PIN in a
    /// verification, so any user verification meets either.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_verification_methods: Vec<UvMethod>,
}

impl PossessionConstraint {
    /// The characteristics a possession factor must have.
    pub fn required_characteristics(&self) -> Characteristics {
        Characteristics {
            user_presence: self.user_presence.is_required(),
            device_bound: self.device_bound.is_required(),
            hardware_protected: self.hardware_protection.is_required(),
            phishing_resistant: self.phishing_resistant.is_required(),
            user_verifying: self.user_verification.is_required(),
        }
    }

    /// A constraint with defaults and the given characteristics required.
    pub fn requiring(required: Characteristics) -> Self {
        let r = |b: bool| {
            if b {
                Requirement::Required
            } else {
                Requirement::Optional
            }
        };
        PossessionConstraint {
            filter: MethodFilter {
                required: true,
                types: Vec::new(),
                methods: Vec::new(),
                authentication_methods: Vec::new(),
                excluded_authentication_methods: Vec::new(),
                reauthenticate_in: None,
            },
            device_bound: r(required.device_bound),
            hardware_protection: r(required.hardware_protected),
            phishing_resistant: r(required.phishing_resistant),
            user_presence: Requirement::Required,
            user_verification: r(required.user_verifying),
            user_verification_methods: Vec::new(),
        }
    }

    fn read(o: &Obj<'_>) -> Result<Self> {
        let mut known = FILTER_KEYS.to_vec();
        known.extend_from_slice(CHARACTERISTIC_KEYS);
        known.extend_from_slice(&["phishingREsistant", "userVerificationMethods"]);
        o.deny_unknown(&known)?;
        let filter = MethodFilter::read(o, FactorClass::Possession)?;
        let get = |k: &str, d: Requirement| characteristic(o, k).map(|v| v.unwrap_or(d));
        let c = PossessionConstraint {
            device_bound: get("deviceBound", Requirement::Optional)?,
            hardware_protection: get("hardwareProtection", Requirement::Optional)?,
            phishing_resistant: get("phishingResistant", Requirement::Optional)?,
            user_presence: get("userPresence", Requirement::Required)?,
            user_verification: get("userVerification", Requirement::Optional)?,
            user_verification_methods: o.enum_list::<UvMethod>("userVerificationMethods")?,
            filter,
        };
        if !c.user_verification_methods.is_empty() && !c.user_verification.is_required() {
            return Err(PolicyError::invalid(
                o.at("userVerificationMethods"),
                "only allowed when userVerification is REQUIRED",
            ));
        }
        // Every required characteristic must be reachable by some still-allowed method.
        let allowed: Vec<&MethodInfo> = catalogue::METHODS
            .iter()
            .filter(|m| m.class == FactorClass::Possession && c.filter.admits(m))
            .collect();
        type Check = (&'static str, Requirement, fn(&Characteristics) -> bool);
        let checks: [Check; 4] = [
            ("deviceBound", c.device_bound, |b| b.device_bound),
            ("hardwareProtection", c.hardware_protection, |b| {
                b.hardware_protected
            }),
            ("phishingResistant", c.phishing_resistant, |b| {
                b.phishing_resistant
            }),
            ("userVerification", c.user_verification, |b| {
                b.user_verifying
            }),
        ];
        for (key, req, has) in checks {
            if req.is_required() && !allowed.iter().any(|m| has(&m.best)) {
                return Err(PolicyError::invalid(
                    o.at(key),
                    "is REQUIRED but none of the allowed possession methods can meet it",
                ));
            }
        }
        if !allowed
            .iter()
            .any(|m| m.best.covers(c.required_characteristics()))
        {
            return Err(PolicyError::invalid(
                o.path(),
                "no single allowed possession method can meet all the required characteristics",
            ));
        }
        Ok(c)
    }
}

/// One element of `constraints`: every present part must be met (AND).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConstraintSet {
    /// Knowledge part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<KnowledgeConstraint>,
    /// Possession part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub possession: Option<PossessionConstraint>,
}

impl ConstraintSet {
    pub(crate) fn read(item: &Item<'_>, mode: FactorMode) -> Result<Self> {
        let o = item.obj()?;
        if o.has("inherence") {
            return Err(PolicyError::invalid(
                o.at("inherence"),
                "inherence cannot be configured; an inherence factor can supply the second factor of 2FA",
            ));
        }
        o.deny_unknown(&["knowledge", "possession"])?;
        let set = ConstraintSet {
            knowledge: o
                .obj("knowledge")?
                .map(|k| KnowledgeConstraint::read(&k))
                .transpose()?,
            possession: o
                .obj("possession")?
                .map(|p| PossessionConstraint::read(&p))
                .transpose()?,
        };
        if set.knowledge.is_none() && set.possession.is_none() {
            return Err(PolicyError::invalid(
                item.path.clone(),
                "a constraint needs knowledge or possession",
            ));
        }
        let k_req = set.knowledge.as_ref().is_some_and(|k| k.filter.required);
        let p_req = set.possession.as_ref().is_some_and(|p| p.filter.required);
        if mode == FactorMode::OneFa && k_req && p_req {
            return Err(PolicyError::invalid(
                item.path.clone(),
                "requires both a knowledge and a possession factor, which contradicts factorMode 1FA; use 2FA",
            ));
        }
        Ok(set)
    }

    /// Every authenticator reference, with its path suffix under this constraint.
    pub(crate) fn method_refs(&self) -> Vec<(String, &MethodRef)> {
        let mut out = Vec::new();
        let parts = [
            ("knowledge", self.knowledge.as_ref().map(|k| &k.filter)),
            ("possession", self.possession.as_ref().map(|p| &p.filter)),
        ];
        for (name, f) in parts {
            let Some(f) = f else { continue };
            for (i, r) in f.authentication_methods.iter().enumerate() {
                out.push((format!("{name}.authenticationMethods[{i}]"), r));
            }
            for (i, r) in f.excluded_authentication_methods.iter().enumerate() {
                out.push((format!("{name}.excludedAuthenticationMethods[{i}]"), r));
            }
        }
        out
    }
}
