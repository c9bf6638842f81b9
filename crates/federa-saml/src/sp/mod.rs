//! The SP side: validating a `samlp:Response` that an IdP posted to our ACS (SAML Core §3.2.2,
//! §2.3–§2.7, §5.4; Web Browser SSO Profile §4.1.4.2–§4.1.4.3; Bindings §3.5.5.2). Trust is a
//! type: [`UnverifiedResponse`] exposes only what is needed to find the IdP and the pending
//! request; [`UnverifiedResponse::validate`] turns it into a [`ValidatedAssertion`] or a typed
//! [`SamlError`].
//!
//! The rule that matters most: the signature that is trusted covers **exactly** the assertion
//! whose contents are returned. Concretely:
//! - the document is refused if it has a DTD, a comment or processing instruction inside the
//!   root, a repeated or namespaced ID attribute, a nested Response, more or fewer than one
//!   Assertion/EncryptedAssertion (and it must be a direct child of the Response), or a
//!   `ds:Signature` anywhere but directly on the Response or the Assertion (XSW1–8);
//! - signatures are verified with the configured certificates only (KeyInfo is ignored);
//! - the assertion is read from the canonical bytes that the verified signature digested (the
//!   Assertion's own, or the Response's when only the Response is signed), re-parsed — never
//!   from the original document (see the `signature` submodule).
//!
//! Replay: the caller keeps `assertion_id` in its replay cache until
//! [`ValidatedAssertion::replay_cache_until`]; this module has no state.

mod assertion;
mod decrypt;
mod signature;
mod structure;

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::bindings;
use crate::cert::Certificate;
use crate::error::{Result, SamlError};
use crate::hardening::{self, Limits};
use crate::ns;
use crate::response::NameId;

pub use decrypt::DecryptionKey;

use assertion::{ResponseFacts, read_assertion};
use structure::{assertions_and_nested_responses, check_document, text_only};

/// A Response as received, not yet trusted. Only the IdP lookup hints are exposed.
#[derive(Debug, Clone)]
pub struct UnverifiedResponse {
    xml: String,
    limits: Limits,
    issuer: Option<String>,
    in_response_to: Option<String>,
}

/// What this SP expects of the Response; time comes in here.
#[derive(Debug, Clone, Copy)]
pub struct SpExpectations<'a> {
    /// The IdP's entity id: the Assertion's Issuer (and the Response's, when present).
    pub idp_issuer: &'a str,
    /// The IdP signing certificates configured for this IdP (rollover: several).
    pub trusted_certs: &'a [Certificate],
    /// The SP entity id, required in every AudienceRestriction.
    pub sp_entity_id: &'a str,
    /// The ACS URL: `Response/@Destination` and `SubjectConfirmationData/@Recipient`.
    pub acs_url: &'a str,
    /// The ID of the AuthnRequest this response answers; `None` when none is outstanding
    /// (IdP-initiated), which is accepted only with `allow_unsolicited`.
    pub expected_in_response_to: Option<&'a str>,
    /// Whether IdP-initiated (unsolicited) responses are accepted.
    pub allow_unsolicited: bool,
    /// The current instant.
    pub now: OffsetDateTime,
    /// Tolerance on every NotBefore / NotOnOrAfter / AuthnInstant comparison.
    pub max_clock_skew: Duration,
    /// The SP's RSA keys for EncryptedAssertion (empty: encrypted assertions are refused).
    pub decryption_keys: &'a [DecryptionKey],
    /// Require a signature on the Assertion itself (a signed Response alone is not enough).
    pub require_signed_assertion: bool,
}

/// A validated assertion: every value here comes from bytes covered by a trusted signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    /// `Assertion/@ID` (replay-cache key).
    pub assertion_id: String,
    /// `Response/@ID` (for logs).
    pub response_id: String,
    /// The Assertion's Issuer (equal to the configured IdP).
    pub issuer: String,
    /// The subject (`Format` defaults to `unspecified` when absent).
    pub name_id: NameId,
    /// `AuthnStatement/@SessionIndex`.
    pub session_index: Option<String>,
    /// `AuthnStatement/@AuthnInstant`.
    pub authn_instant: OffsetDateTime,
    /// `AuthnContextClassRef`, if any.
    pub authn_context_class_ref: Option<String>,
    /// All audiences of the AudienceRestrictions (ours among them).
    pub audiences: Vec<String>,
    /// When the assertion stops being acceptable: the earlier of `Conditions/@NotOnOrAfter` and
    /// the bearer `SubjectConfirmationData/@NotOnOrAfter`.
    pub not_on_or_after: OffsetDateTime,
    /// `not_on_or_after` plus the clock skew: keep `assertion_id` in the replay cache until then.
    pub replay_cache_until: OffsetDateTime,
    /// `AuthnStatement/@SessionNotOnOrAfter`, if the IdP announced its session end.
    pub session_not_on_or_after: Option<OffsetDateTime>,
    /// Attribute name → values as given (multi-valued kept, single values not split).
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The text of the `OktaAuth` element at the CONTRACT §4 path (a compact JWE), if present.
    pub okta_auth: Option<String>,
    /// Whether the Response signature was present (and verified).
    pub response_signed: bool,
    /// Whether the Assertion signature was present (and verified).
    pub assertion_signed: bool,
    /// Whether the assertion arrived as an EncryptedAssertion.
    pub encrypted: bool,
}

impl UnverifiedResponse {
    /// Decode the HTTP-POST `SAMLResponse` value: strict base64, size caps, DTD refused, UTF-8.
    pub fn from_post(saml_response_b64: &str, limits: &Limits) -> Result<Self> {
        let xml = bindings::decode_post(saml_response_b64, "SAMLResponse", limits)?;
        Self::from_xml(xml, limits)
    }

    /// Take the Response XML (already decoded from its binding).
    pub fn from_xml(xml: String, limits: &Limits) -> Result<Self> {
        hardening::check_size("SAMLResponse", xml.len(), limits.max_xml_bytes)?;
        let (issuer, in_response_to) = Self::hints(&xml)?;
        Ok(UnverifiedResponse {
            xml,
            limits: *limits,
            issuer,
            in_response_to,
        })
    }

    fn hints(xml: &str) -> Result<(Option<String>, Option<String>)> {
        let doc = hardening::parse_xml(xml)?;
        let root = doc.root_element();
        if !root.has_tag_name((ns::PROTOCOL, "Response")) {
            return Err(SamlError::invalid(format!(
                "expected a samlp:Response, found <{}>",
                root.tag_name().name()
            )));
        }
        let issuer = root
            .children()
            .find(|n| n.has_tag_name((ns::ASSERTION, "Issuer")))
            .or_else(|| {
                root.children()
                    .find(|n| n.has_tag_name((ns::ASSERTION, "Assertion")))
                    .and_then(|a| {
                        a.children()
                            .find(|n| n.has_tag_name((ns::ASSERTION, "Issuer")))
                    })
            })
            .and_then(|n| text_only(n).ok())
            .map(|s| s.trim().to_owned());
        let in_response_to = root.attribute("InResponseTo").map(str::to_owned);
        Ok((issuer, in_response_to))
    }

    /// The issuer the message claims (Response Issuer, else the plain Assertion's) — an
    /// unverified hint to pick the IdP configuration, nothing more.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// `Response/@InResponseTo` — an unverified hint to find the pending AuthnRequest.
    pub fn in_response_to(&self) -> Option<&str> {
        self.in_response_to.as_deref()
    }

    /// The XML as received (for logs and debugging).
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Validate everything against `exp` and return the assertion the trusted signature covers.
    pub fn validate(&self, exp: &SpExpectations<'_>) -> Result<ValidatedAssertion> {
        let xml = self.xml.as_str();
        let doc = hardening::parse_xml(xml)?;
        let root = doc.root_element();
        let version = root.attribute("Version").unwrap_or("");
        if version != "2.0" {
            return Err(SamlError::UnsupportedVersion(version.to_owned()));
        }
        let response_id = root
            .attribute("ID")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| SamlError::invalid("Response has no ID"))?
            .to_owned();

        // Shapes that only wrapping attacks produce, before anything else is read.
        let (assertions, nested) = assertions_and_nested_responses(&doc);
        if !nested.is_empty() {
            return Err(SamlError::Wrapping(format!(
                "a Response nested inside <{}>",
                nested[0]
                    .parent_element()
                    .map(|p| p.tag_name().name())
                    .unwrap_or("?")
            )));
        }
        if assertions.len() > 1 {
            return Err(SamlError::Wrapping(format!(
                "{} assertions in one Response (only one is allowed)",
                assertions.len()
            )));
        }
        let assertion = assertions.first().copied();
        if let Some(a) = assertion
            && a.parent_element() != Some(root)
        {
            return Err(SamlError::Wrapping(format!(
                "the assertion sits inside <{}>, not directly in the Response",
                a.parent_element()
                    .map(|p| p.tag_name().name())
                    .unwrap_or("?")
            )));
        }
        let plain_assertion = assertion.filter(|a| a.has_tag_name((ns::ASSERTION, "Assertion")));
        let mut sig_parents = vec![root.id()];
        sig_parents.extend(plain_assertion.map(|a| a.id()));
        check_document(&doc, &sig_parents)?;

        // Response-level checks (SAML Core §3.2.2, Bindings §3.5.5.2).
        let response_signed = root
            .children()
            .any(|n| n.has_tag_name((ns::DSIG, "Signature")));
        if let Some(issuer) = structure::at_most_one(root, ns::ASSERTION, "Issuer")? {
            let issuer = text_only(issuer)?.trim().to_owned();
            if issuer != exp.idp_issuer {
                return Err(SamlError::IssuerMismatch {
                    expected: exp.idp_issuer.to_owned(),
                    found: issuer,
                });
            }
        }
        match root.attribute("Destination") {
            Some(d) if d == exp.acs_url => {}
            None if !response_signed => {}
            found => {
                return Err(SamlError::DestinationMismatch {
                    expected: exp.acs_url.to_owned(),
                    found: found.map(str::to_owned),
                });
            }
        }
        check_in_response_to(root.attribute("InResponseTo"), exp, false)?;
        check_status(root)?;

        let assertion = assertion.ok_or(SamlError::NoAssertion)?;
        let assertion_signed_outer = plain_assertion.is_some_and(|a| {
            a.children()
                .any(|n| n.has_tag_name((ns::DSIG, "Signature")))
        });

        if plain_assertion.is_some() {
            if !assertion_signed_outer && !response_signed {
                return Err(SamlError::SignatureRequired("response or assertion"));
            }
            if exp.require_signed_assertion && !assertion_signed_outer {
                return Err(SamlError::SignatureRequired("assertion"));
            }
            // Verify every signature present; a present but invalid one is never skipped.
            let canonical_response = if response_signed {
                Some(signature::verify_signed_element(
                    xml,
                    root,
                    exp.trusted_certs,
                )?)
            } else {
                None
            };
            let facts = ResponseFacts {
                response_id,
                response_signed,
                assertion_signed: assertion_signed_outer,
                encrypted: false,
            };
            if assertion_signed_outer {
                let canonical =
                    signature::verify_signed_element(xml, assertion, exp.trusted_certs)?;
                let cdoc = hardening::parse_xml(&canonical)?;
                return read_assertion(cdoc.root_element(), exp, facts);
            }
            let canonical = canonical_response.unwrap_or_default();
            let cdoc = hardening::parse_xml(&canonical)?;
            let a = single_assertion_in_canonical(&cdoc, "Assertion")?;
            return read_assertion(a, exp, facts);
        }

        // EncryptedAssertion: a Response signature is checked before decrypting (no
        // decryption oracle on signed responses), and then the ciphertext is taken from the
        // signed canonical bytes.
        let canonical_response = if response_signed {
            Some(signature::verify_signed_element(
                xml,
                root,
                exp.trusted_certs,
            )?)
        } else {
            None
        };
        let plaintext = match &canonical_response {
            Some(c) => {
                let cdoc = hardening::parse_xml(c)?;
                let enc = single_assertion_in_canonical(&cdoc, "EncryptedAssertion")?;
                decrypt::decrypt_assertion(enc, exp.decryption_keys, self.limits.max_xml_bytes)?
            }
            None => decrypt::decrypt_assertion(
                assertion,
                exp.decryption_keys,
                self.limits.max_xml_bytes,
            )?,
        };
        let pdoc = hardening::parse_xml(&plaintext)?;
        let proot = pdoc.root_element();
        if !proot.has_tag_name((ns::ASSERTION, "Assertion")) {
            return Err(SamlError::invalid(format!(
                "the EncryptedAssertion holds <{}>, not an Assertion",
                proot.tag_name().name()
            )));
        }
        let (inner, inner_responses) = assertions_and_nested_responses(&pdoc);
        if inner.len() != 1 || !inner_responses.is_empty() {
            return Err(SamlError::Wrapping(
                "the decrypted assertion contains further assertions or responses".into(),
            ));
        }
        check_document(&pdoc, &[proot.id()])?;
        let assertion_signed = proot
            .children()
            .any(|n| n.has_tag_name((ns::DSIG, "Signature")));
        if exp.require_signed_assertion && !assertion_signed {
            return Err(SamlError::SignatureRequired("assertion"));
        }
        let facts = ResponseFacts {
            response_id,
            response_signed,
            assertion_signed,
            encrypted: true,
        };
        if assertion_signed {
            let canonical = signature::verify_signed_element(&plaintext, proot, exp.trusted_certs)?;
            let cdoc = hardening::parse_xml(&canonical)?;
            return read_assertion(cdoc.root_element(), exp, facts);
        }
        if !response_signed {
            return Err(SamlError::SignatureRequired("response or assertion"));
        }
        // Unsigned assertion inside a signed Response: the plaintext came from signed
        // ciphertext.
        read_assertion(proot, exp, facts)
    }
}

/// The one child `name` of a canonical (signed) Response, refusing any other copy.
fn single_assertion_in_canonical<'a, 'i>(
    cdoc: &'a roxmltree::Document<'i>,
    name: &str,
) -> Result<roxmltree::Node<'a, 'i>> {
    let (assertions, nested) = assertions_and_nested_responses(cdoc);
    match (assertions.as_slice(), nested.is_empty()) {
        ([a], true)
            if a.has_tag_name((ns::ASSERTION, name))
                && a.parent_element() == Some(cdoc.root_element()) =>
        {
            Ok(*a)
        }
        _ => Err(SamlError::Wrapping(
            "the signed Response does not hold exactly one assertion".into(),
        )),
    }
}

/// `InResponseTo` (on the Response or a SubjectConfirmationData) against the expectation.
/// With `required`, an expected value must be present (the bearer SubjectConfirmationData,
/// which the signature covers); SAML Core makes it optional on the Response itself.
pub(crate) fn check_in_response_to(
    found: Option<&str>,
    exp: &SpExpectations<'_>,
    required: bool,
) -> Result<()> {
    match (exp.expected_in_response_to, found) {
        (Some(e), Some(f)) if e == f => Ok(()),
        (Some(_), None) if !required => Ok(()),
        (None, None) if exp.allow_unsolicited => Ok(()),
        (None, None) => Err(SamlError::Unsolicited),
        (expected, found) => Err(SamlError::InResponseToMismatch {
            expected: expected.map(str::to_owned),
            found: found.map(str::to_owned),
        }),
    }
}

/// A Status other than Success becomes [`SamlError::Status`] with every nested code.
fn check_status(root: roxmltree::Node<'_, '_>) -> Result<()> {
    let status = structure::exactly_one(root, ns::PROTOCOL, "Status")?;
    let mut codes = Vec::new();
    let mut cur = Some(structure::exactly_one(status, ns::PROTOCOL, "StatusCode")?);
    while let Some(code) = cur {
        codes.push(code.attribute("Value").unwrap_or("").to_owned());
        cur = structure::at_most_one(code, ns::PROTOCOL, "StatusCode")?;
    }
    if codes.first().map(String::as_str) == Some(ns::STATUS_SUCCESS) {
        return Ok(());
    }
    let message = structure::at_most_one(status, ns::PROTOCOL, "StatusMessage")?
        .and_then(|m| text_only(m).ok());
    Err(SamlError::Status { codes, message })
}
