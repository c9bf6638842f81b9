//! Incoming `samlp:AuthnRequest` (SAML Core §3.4.1, Profiles §4.1.4.1) over the Redirect and POST
//! bindings. Decoding yields an [`UnverifiedAuthnRequest`]; only [`UnverifiedAuthnRequest::verify`]
//! — with the SP's certificates and its "signature required" policy — yields an [`AuthnRequest`].

use time::{Duration, OffsetDateTime};

use crate::bindings::{self, Binding, MessageParam, RedirectSignature};
use crate::cert::Certificate;
use crate::dsig;
use crate::error::{Result, SamlError};
use crate::hardening::{self, Limits};
use crate::ns;
use crate::xml::{is_ncname, parse_instant};

/// `RequestedAuthnContext/@Comparison` (SAML Core §3.3.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthnContextComparison {
    /// `exact` (the default).
    #[default]
    Exact,
    /// `minimum`.
    Minimum,
    /// `maximum`.
    Maximum,
    /// `better`.
    Better,
}

/// `samlp:RequestedAuthnContext` with class references (declaration references are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthnContext {
    /// How the IdP should compare its context with the listed ones.
    pub comparison: AuthnContextComparison,
    /// The requested `AuthnContextClassRef` values, in order.
    pub class_refs: Vec<String>,
}

/// `samlp:NameIDPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameIdPolicy {
    /// Requested NameID format.
    pub format: Option<String>,
    /// `AllowCreate`.
    pub allow_create: Option<bool>,
    /// `SPNameQualifier`.
    pub sp_name_qualifier: Option<String>,
}

/// The fields of an AuthnRequest. Reachable only through verification (see
/// [`UnverifiedAuthnRequest::verify`]) or as an explicitly unverified peek.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequestFields {
    /// `@ID`.
    pub id: String,
    /// `@IssueInstant`.
    pub issue_instant: OffsetDateTime,
    /// `@Destination`.
    pub destination: Option<String>,
    /// `saml:Issuer` (the SP's entity id).
    pub issuer: String,
    /// `@AssertionConsumerServiceURL`.
    pub assertion_consumer_service_url: Option<String>,
    /// `@AssertionConsumerServiceIndex`.
    pub assertion_consumer_service_index: Option<u16>,
    /// `@ProtocolBinding`.
    pub protocol_binding: Option<String>,
    /// `@ForceAuthn`.
    pub force_authn: bool,
    /// `@IsPassive`.
    pub is_passive: bool,
    /// `samlp:NameIDPolicy`.
    pub name_id_policy: Option<NameIdPolicy>,
    /// `samlp:RequestedAuthnContext`.
    pub requested_authn_context: Option<RequestedAuthnContext>,
}

/// A verified AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnRequest {
    /// The request's fields.
    pub fields: AuthnRequestFields,
    /// The binding it arrived on.
    pub binding: Binding,
    /// `RelayState`, decoded, to be returned unchanged with the response.
    pub relay_state: Option<String>,
    /// Whether a signature was verified against the SP's certificates.
    pub signature_verified: bool,
}

impl AuthnRequest {
    /// Check `IssueInstant` against `now`: not more than `skew` in the future and not older
    /// than `max_age` (+ `skew`).
    pub fn check_issue_instant(
        &self,
        now: OffsetDateTime,
        skew: Duration,
        max_age: Duration,
    ) -> Result<()> {
        let t = self.fields.issue_instant;
        if t > now + skew {
            return Err(SamlError::invalid(
                "AuthnRequest IssueInstant is in the future",
            ));
        }
        if t + max_age + skew < now {
            return Err(SamlError::invalid("AuthnRequest is too old"));
        }
        Ok(())
    }
}

/// How an SP's requests must be signed.
#[derive(Debug, Clone, Copy)]
pub struct SignaturePolicy<'a> {
    /// The SP's signing certificates (any may match). Empty: signatures cannot be checked.
    pub certs: &'a [Certificate],
    /// Refuse unsigned requests.
    pub require_signature: bool,
}

/// An AuthnRequest decoded from a binding, well-formed and schema-checked, signature not yet
/// checked.
#[derive(Debug, Clone)]
pub struct UnverifiedAuthnRequest {
    fields: AuthnRequestFields,
    xml: String,
    binding: Binding,
    relay_state: Option<String>,
    redirect_signature: Option<RedirectSignature>,
    has_xml_signature: bool,
}

impl UnverifiedAuthnRequest {
    /// Decode from the HTTP-Redirect binding. `raw_query` is the request's query string exactly as
    /// received (the signature covers its URL-encoded octets).
    pub fn from_redirect(raw_query: &str, limits: &Limits) -> Result<Self> {
        let msg = bindings::decode_redirect(raw_query, MessageParam::Request, limits)?;
        let (fields, _) = parse_authn_request(&msg.xml)?;
        Ok(UnverifiedAuthnRequest {
            fields,
            xml: msg.xml,
            binding: Binding::Redirect,
            relay_state: msg.relay_state,
            redirect_signature: msg.signature,
            // Bindings §3.4.4.1: an XML signature does not travel on the Redirect binding; one
            // present is ignored, never credited.
            has_xml_signature: false,
        })
    }

    /// Decode from the HTTP-POST binding: the `SAMLRequest` form value and `RelayState`.
    pub fn from_post(
        saml_request: &str,
        relay_state: Option<&str>,
        limits: &Limits,
    ) -> Result<Self> {
        let xml = bindings::decode_post(saml_request, "SAMLRequest", limits)?;
        bindings::check_relay_state(relay_state)?;
        let (fields, has_xml_signature) = parse_authn_request(&xml)?;
        Ok(UnverifiedAuthnRequest {
            fields,
            xml,
            binding: Binding::Post,
            relay_state: relay_state.map(str::to_owned),
            redirect_signature: None,
            has_xml_signature,
        })
    }

    /// The claimed issuer, to look up the SP configuration before verifying. Not yet trusted.
    pub fn issuer(&self) -> &str {
        &self.fields.issuer
    }

    /// The fields, explicitly unverified (for logging and SP lookup only).
    pub fn unverified_fields(&self) -> &AuthnRequestFields {
        &self.fields
    }

    /// Whether the request carries a signature (query string or enveloped).
    pub fn is_signed(&self) -> bool {
        self.redirect_signature.is_some() || self.has_xml_signature
    }

    /// The binding the request arrived on.
    pub fn binding(&self) -> Binding {
        self.binding
    }

    /// The decoded XML (for audit logs).
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Verify the signature per `policy`. A signature that is present is checked whenever
    /// certificates are configured, and a bad one is refused even if signatures are optional.
    /// Unsigned requests are refused when `policy.require_signature`.
    pub fn verify(self, policy: &SignaturePolicy<'_>) -> Result<AuthnRequest> {
        let signature_verified = if !self.is_signed() {
            if policy.require_signature {
                return Err(SamlError::SignatureRequired("AuthnRequest"));
            }
            false
        } else if policy.certs.is_empty() {
            if policy.require_signature {
                return Err(SamlError::SignatureInvalid(
                    "no SP certificate is configured to check the AuthnRequest signature".into(),
                ));
            }
            false
        } else {
            if let Some(sig) = &self.redirect_signature {
                bindings::verify_redirect_signature(sig, policy.certs)?;
            } else {
                let doc = hardening::parse_xml(&self.xml)?;
                dsig::verify_enveloped(&self.xml, &doc, doc.root_element(), policy.certs)?;
            }
            true
        };
        Ok(AuthnRequest {
            fields: self.fields,
            binding: self.binding,
            relay_state: self.relay_state,
            signature_verified,
        })
    }
}

fn parse_bool(field: &str, v: Option<&str>) -> Result<Option<bool>> {
    match v.map(str::trim) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(other) => Err(SamlError::invalid(format!(
            "{field} is not an xs:boolean: {other:?}"
        ))),
    }
}

fn only_child<'a, 'i>(
    parent: roxmltree::Node<'a, 'i>,
    ns_uri: &str,
    name: &str,
) -> Result<Option<roxmltree::Node<'a, 'i>>> {
    let mut it = parent.children().filter(|n| n.has_tag_name((ns_uri, name)));
    let first = it.next();
    if it.next().is_some() {
        return Err(SamlError::invalid(format!("more than one {name} element")));
    }
    Ok(first)
}

/// Text of an element that must contain text only.
pub(crate) fn simple_text(node: roxmltree::Node<'_, '_>) -> Result<String> {
    if node.children().any(|c| c.is_element()) {
        return Err(SamlError::invalid(format!(
            "{} must contain text only",
            node.tag_name().name()
        )));
    }
    Ok(node
        .children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect::<String>()
        .trim()
        .to_owned())
}

/// Parse and schema-check an AuthnRequest; returns the fields and whether it carries an
/// enveloped `ds:Signature`.
fn parse_authn_request(xml: &str) -> Result<(AuthnRequestFields, bool)> {
    let doc = hardening::parse_xml(xml)?;
    let root = doc.root_element();
    if !root.has_tag_name((ns::PROTOCOL, "AuthnRequest")) {
        return Err(SamlError::invalid(format!(
            "expected samlp:AuthnRequest in {}, found {:?} in {:?}",
            ns::PROTOCOL,
            root.tag_name().name(),
            root.tag_name().namespace().unwrap_or("")
        )));
    }
    match root.attribute("Version") {
        Some("2.0") => {}
        Some(v) => {
            return Err(SamlError::invalid(format!(
                "unsupported SAML Version {v:?}"
            )));
        }
        None => return Err(SamlError::invalid("AuthnRequest has no Version")),
    }
    let id = root
        .attribute("ID")
        .ok_or_else(|| SamlError::invalid("AuthnRequest has no ID"))?;
    if !is_ncname(id) {
        return Err(SamlError::invalid(format!(
            "AuthnRequest ID {id:?} is not an xs:ID"
        )));
    }
    let issue_instant = parse_instant(
        "IssueInstant",
        root.attribute("IssueInstant")
            .ok_or_else(|| SamlError::invalid("AuthnRequest has no IssueInstant"))?,
    )?;
    let issuer_node = only_child(root, ns::ASSERTION, "Issuer")?
        .ok_or_else(|| SamlError::invalid("AuthnRequest has no saml:Issuer"))?;
    let issuer = simple_text(issuer_node)?;
    if issuer.is_empty() {
        return Err(SamlError::invalid("AuthnRequest Issuer is empty"));
    }
    let acs_url = root
        .attribute("AssertionConsumerServiceURL")
        .map(str::to_owned);
    let acs_index = root
        .attribute("AssertionConsumerServiceIndex")
        .map(|v| {
            v.trim()
                .parse::<u16>()
                .map_err(|_| SamlError::invalid("AssertionConsumerServiceIndex is not a number"))
        })
        .transpose()?;
    let protocol_binding = root.attribute("ProtocolBinding").map(str::to_owned);
    if acs_index.is_some() && (acs_url.is_some() || protocol_binding.is_some()) {
        return Err(SamlError::invalid(
            "AssertionConsumerServiceIndex excludes AssertionConsumerServiceURL and ProtocolBinding",
        ));
    }
    let name_id_policy = only_child(root, ns::PROTOCOL, "NameIDPolicy")?
        .map(|n| -> Result<NameIdPolicy> {
            Ok(NameIdPolicy {
                format: n.attribute("Format").map(str::to_owned),
                allow_create: parse_bool("AllowCreate", n.attribute("AllowCreate"))?,
                sp_name_qualifier: n.attribute("SPNameQualifier").map(str::to_owned),
            })
        })
        .transpose()?;
    let requested_authn_context = only_child(root, ns::PROTOCOL, "RequestedAuthnContext")?
        .map(|n| -> Result<RequestedAuthnContext> {
            let comparison = match n.attribute("Comparison") {
                None | Some("exact") => AuthnContextComparison::Exact,
                Some("minimum") => AuthnContextComparison::Minimum,
                Some("maximum") => AuthnContextComparison::Maximum,
                Some("better") => AuthnContextComparison::Better,
                Some(other) => {
                    return Err(SamlError::invalid(format!(
                        "unknown RequestedAuthnContext Comparison {other:?}"
                    )));
                }
            };
            let class_refs = n
                .children()
                .filter(|c| c.has_tag_name((ns::ASSERTION, "AuthnContextClassRef")))
                .map(simple_text)
                .collect::<Result<Vec<_>>>()?;
            Ok(RequestedAuthnContext {
                comparison,
                class_refs,
            })
        })
        .transpose()?;
    let has_signature = root
        .children()
        .any(|c| c.has_tag_name((ns::DSIG, "Signature")));
    Ok((
        AuthnRequestFields {
            id: id.to_owned(),
            issue_instant,
            destination: root.attribute("Destination").map(str::to_owned),
            issuer,
            assertion_consumer_service_url: acs_url,
            assertion_consumer_service_index: acs_index,
            protocol_binding,
            force_authn: parse_bool("ForceAuthn", root.attribute("ForceAuthn"))?.unwrap_or(false),
            is_passive: parse_bool("IsPassive", root.attribute("IsPassive"))?.unwrap_or(false),
            name_id_policy,
            requested_authn_context,
        },
        has_signature,
    ))
}
