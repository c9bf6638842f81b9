//! Reading the consumed Assertion (SAML Core §2.3–§2.7) under the Web Browser SSO profile rules
//! (SAML Profiles §4.1.4.2–§4.1.4.3): Issuer, bearer SubjectConfirmation (Recipient,
//! NotOnOrAfter, InResponseTo), Conditions (NotBefore, NotOnOrAfter, every AudienceRestriction),
//! one AuthnStatement with its AuthnContext and the `OktaAuth` extension at the CONTRACT §4 path,
//! and the AttributeStatements. The node given here always comes from bytes a trusted signature
//! covers (see [`super::signature`]).

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::structure::{at_most_one, children, exactly_one, has_element_children, text_only};
use super::{SpExpectations, ValidatedAssertion};
use crate::error::{Result, SamlError};
use crate::ns;
use crate::response::NameId;
use crate::xml::parse_instant;

/// What the Response-level checks established, carried into the assertion.
pub(crate) struct ResponseFacts {
    pub response_id: String,
    pub response_signed: bool,
    pub assertion_signed: bool,
    pub encrypted: bool,
}

fn instant_attr(
    node: roxmltree::Node<'_, '_>,
    name: &str,
) -> Result<Option<(OffsetDateTime, String)>> {
    node.attribute(name)
        .map(|v| parse_instant(name, v).map(|t| (t, v.to_owned())))
        .transpose()
}

/// `now` is at or after `t` once the skew is granted: the window closed.
fn expired(exp: &SpExpectations<'_>, not_on_or_after: OffsetDateTime) -> bool {
    exp.now - exp.max_clock_skew >= not_on_or_after
}

fn not_yet(exp: &SpExpectations<'_>, not_before: OffsetDateTime) -> bool {
    exp.now + exp.max_clock_skew < not_before
}

pub(crate) fn read_assertion(
    a: roxmltree::Node<'_, '_>,
    exp: &SpExpectations<'_>,
    facts: ResponseFacts,
) -> Result<ValidatedAssertion> {
    if !a.has_tag_name((ns::ASSERTION, "Assertion")) {
        return Err(SamlError::invalid("the signed element is not an Assertion"));
    }
    let version = a.attribute("Version").unwrap_or("");
    if version != "2.0" {
        return Err(SamlError::UnsupportedVersion(version.to_owned()));
    }
    let assertion_id = a
        .attribute("ID")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| SamlError::invalid("Assertion has no ID"))?
        .to_owned();

    // Issuer.
    let issuer = text_only(exactly_one(a, ns::ASSERTION, "Issuer")?)?
        .trim()
        .to_owned();
    if issuer != exp.idp_issuer {
        return Err(SamlError::IssuerMismatch {
            expected: exp.idp_issuer.to_owned(),
            found: issuer,
        });
    }

    // Subject.
    let subject = exactly_one(a, ns::ASSERTION, "Subject")?;
    if children(subject, ns::ASSERTION, "EncryptedID")
        .next()
        .is_some()
        || children(subject, ns::ASSERTION, "BaseID").next().is_some()
    {
        return Err(SamlError::invalid(
            "only a plain NameID subject is supported (EncryptedID/BaseID found)",
        ));
    }
    let name_id_node = exactly_one(subject, ns::ASSERTION, "NameID")?;
    let name_id = NameId {
        value: text_only(name_id_node)?.trim().to_owned(),
        format: name_id_node
            .attribute("Format")
            .unwrap_or(ns::NAMEID_UNSPECIFIED)
            .to_owned(),
    };
    if name_id.value.is_empty() {
        return Err(SamlError::invalid("NameID is empty"));
    }
    let scd_not_on_or_after = check_subject_confirmations(subject, exp)?;

    // Conditions.
    let conditions = exactly_one(a, ns::ASSERTION, "Conditions")?;
    if let Some((nb, raw)) = instant_attr(conditions, "NotBefore")?
        && not_yet(exp, nb)
    {
        return Err(SamlError::NotYetValid {
            what: "Conditions/@NotBefore",
            at: raw,
        });
    }
    let cond_not_on_or_after = instant_attr(conditions, "NotOnOrAfter")?;
    if let Some((t, raw)) = &cond_not_on_or_after
        && expired(exp, *t)
    {
        return Err(SamlError::Expired {
            what: "Conditions/@NotOnOrAfter",
            at: raw.clone(),
        });
    }
    if children(conditions, ns::ASSERTION, "Condition")
        .next()
        .is_some()
    {
        return Err(SamlError::invalid(
            "Conditions holds a custom <Condition> this SP cannot evaluate",
        ));
    }
    let mut audiences = Vec::new();
    let mut restrictions = 0usize;
    for ar in children(conditions, ns::ASSERTION, "AudienceRestriction") {
        restrictions += 1;
        let list = children(ar, ns::ASSERTION, "Audience")
            .map(|n| text_only(n).map(|t| t.trim().to_owned()))
            .collect::<Result<Vec<_>>>()?;
        if !list.iter().any(|a| a == exp.sp_entity_id) {
            return Err(SamlError::AudienceMismatch {
                expected: exp.sp_entity_id.to_owned(),
                found: list,
            });
        }
        audiences.extend(list);
    }
    if restrictions == 0 {
        return Err(SamlError::AudienceMismatch {
            expected: exp.sp_entity_id.to_owned(),
            found: Vec::new(),
        });
    }

    // AuthnStatement: exactly one (two contexts cannot both be believed).
    let mut statements = children(a, ns::ASSERTION, "AuthnStatement");
    let authn = match (statements.next(), statements.next()) {
        (Some(s), None) => s,
        (None, _) => return Err(SamlError::invalid("the Assertion has no AuthnStatement")),
        (Some(_), Some(_)) => {
            return Err(SamlError::invalid(
                "the Assertion has more than one AuthnStatement",
            ));
        }
    };
    let (authn_instant, raw) = instant_attr(authn, "AuthnInstant")?
        .ok_or_else(|| SamlError::invalid("AuthnStatement has no AuthnInstant"))?;
    if not_yet(exp, authn_instant) {
        return Err(SamlError::NotYetValid {
            what: "AuthnStatement/@AuthnInstant",
            at: raw,
        });
    }
    let session_not_on_or_after = match instant_attr(authn, "SessionNotOnOrAfter")? {
        Some((t, raw)) if expired(exp, t) => {
            return Err(SamlError::Expired {
                what: "AuthnStatement/@SessionNotOnOrAfter",
                at: raw,
            });
        }
        other => other.map(|(t, _)| t),
    };
    let session_index = authn.attribute("SessionIndex").map(str::to_owned);
    let ctx = exactly_one(authn, ns::ASSERTION, "AuthnContext")?;
    let authn_context_class_ref = at_most_one(ctx, ns::ASSERTION, "AuthnContextClassRef")?
        .map(|n| text_only(n).map(|t| t.trim().to_owned()))
        .transpose()?;
    let okta_auth = okta_auth(ctx)?;

    let attributes = attributes(a)?;

    let not_on_or_after = match cond_not_on_or_after {
        Some((t, _)) => t.min(scd_not_on_or_after),
        None => scd_not_on_or_after,
    };
    Ok(ValidatedAssertion {
        assertion_id,
        response_id: facts.response_id,
        issuer,
        name_id,
        session_index,
        authn_instant,
        authn_context_class_ref,
        audiences,
        not_on_or_after,
        replay_cache_until: not_on_or_after + exp.max_clock_skew,
        session_not_on_or_after,
        attributes,
        okta_auth,
        response_signed: facts.response_signed,
        assertion_signed: facts.assertion_signed,
        encrypted: facts.encrypted,
    })
}

/// Every SubjectConfirmation must be bearer; at least one must carry SubjectConfirmationData
/// with our Recipient, a NotOnOrAfter still in the future and the expected InResponseTo.
/// Returns the NotOnOrAfter of the accepted one.
fn check_subject_confirmations(
    subject: roxmltree::Node<'_, '_>,
    exp: &SpExpectations<'_>,
) -> Result<OffsetDateTime> {
    let confirmations: Vec<_> = children(subject, ns::ASSERTION, "SubjectConfirmation").collect();
    if confirmations.is_empty() {
        return Err(SamlError::SubjectConfirmation(
            "the Subject has no SubjectConfirmation".into(),
        ));
    }
    if let Some(m) = confirmations
        .iter()
        .map(|c| c.attribute("Method").unwrap_or(""))
        .find(|m| *m != ns::CM_BEARER)
    {
        return Err(SamlError::SubjectConfirmation(format!(
            "method {m:?} is not bearer ({})",
            ns::CM_BEARER
        )));
    }
    let mut first_error = None;
    for c in confirmations {
        match check_bearer(c, exp) {
            Ok(t) => return Ok(t),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error
        .unwrap_or_else(|| SamlError::SubjectConfirmation("no usable SubjectConfirmation".into())))
}

fn check_bearer(c: roxmltree::Node<'_, '_>, exp: &SpExpectations<'_>) -> Result<OffsetDateTime> {
    let data = exactly_one(c, ns::ASSERTION, "SubjectConfirmationData")?;
    let recipient = data.attribute("Recipient");
    if recipient != Some(exp.acs_url) {
        return Err(SamlError::RecipientMismatch {
            expected: exp.acs_url.to_owned(),
            found: recipient.map(str::to_owned),
        });
    }
    if let Some((nb, raw)) = instant_attr(data, "NotBefore")?
        && not_yet(exp, nb)
    {
        return Err(SamlError::NotYetValid {
            what: "SubjectConfirmationData/@NotBefore",
            at: raw,
        });
    }
    let (t, raw) = instant_attr(data, "NotOnOrAfter")?.ok_or_else(|| {
        SamlError::SubjectConfirmation("bearer SubjectConfirmationData has no NotOnOrAfter".into())
    })?;
    if expired(exp, t) {
        return Err(SamlError::Expired {
            what: "SubjectConfirmationData/@NotOnOrAfter",
            at: raw,
        });
    }
    super::check_in_response_to(data.attribute("InResponseTo"), exp, true)?;
    Ok(t)
}

/// The `OktaAuth` text at `AuthnContext/AuthnContextDecl/AuthenticationContextDeclaration/
/// Extension/OktaAuth` (CONTRACT §4); only this path, only inside the consumed assertion.
fn okta_auth(ctx: roxmltree::Node<'_, '_>) -> Result<Option<String>> {
    let Some(decl) = at_most_one(ctx, ns::ASSERTION, "AuthnContextDecl")? else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for acd in children(decl, ns::OKTA_AUTH, "AuthenticationContextDeclaration") {
        for ext in children(acd, ns::OKTA_AUTH, "Extension") {
            for oa in children(ext, ns::OKTA_AUTH, "OktaAuth") {
                found.push(text_only(oa)?.trim().to_owned());
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(SamlError::invalid("more than one OktaAuth element")),
    }
}

/// Attribute name → values, in document order; repeated Attribute elements with one Name are
/// merged. Values are kept exactly as given (a comma-separated `session.amr` stays one value).
/// Values with element content (e.g. a NameID inside eduPersonTargetedID) are not text and are
/// left out; `EncryptedAttribute`s are not read.
fn attributes(a: roxmltree::Node<'_, '_>) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for st in children(a, ns::ASSERTION, "AttributeStatement") {
        for attr in children(st, ns::ASSERTION, "Attribute") {
            let name = attr
                .attribute("Name")
                .ok_or_else(|| SamlError::invalid("Attribute has no Name"))?;
            let values = out.entry(name.to_owned()).or_default();
            for v in children(attr, ns::ASSERTION, "AttributeValue") {
                if has_element_children(v) {
                    continue;
                }
                values.push(text_only(v)?);
            }
        }
    }
    Ok(out)
}
