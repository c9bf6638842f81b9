//! The IdP's `samlp:Response` (SAML Core §3.2.2, §2.3.3; Web Browser SSO Profile §4.1.4.2):
//! one bearer Assertion with Subject/NameID, SubjectConfirmationData (Recipient, NotOnOrAfter,
//! InResponseTo), Conditions with an AudienceRestriction, an AuthnStatement whose AuthnContext
//! carries the class reference and, for claims sharing, Okta's `OktaAuth` extension (CONTRACT §4)
//! at `AuthnContextDecl/AuthenticationContextDeclaration/Extension/OktaAuth`, and an optional
//! AttributeStatement. Signed (Assertion, Response or both) and optionally encrypted.

use federa_types::Rng;
use time::{Duration, OffsetDateTime};

use crate::bindings;
use crate::dsig;
use crate::error::{Result, SamlError};
use crate::identity::SigningIdentity;
use crate::ns;
use crate::xml::{self, check_chars, format_instant, new_id};
use crate::xmlenc::{self, Encryption};

/// A `saml:NameID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameId {
    /// The value.
    pub value: String,
    /// The `Format` URI (see the `NAMEID_*` constants in [`crate::ns`]).
    pub format: String,
}

/// One `saml:Attribute` with its values (each emitted as `xsi:type="xs:string"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// `@Name`, e.g. `session.amr`.
    pub name: String,
    /// `@NameFormat`, e.g. [`ns::ATTRNAME_BASIC`]; omitted when `None`.
    pub name_format: Option<String>,
    /// The values, in order (multi-valued attributes have several).
    pub values: Vec<String>,
}

/// What to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMode {
    /// Sign the Assertion only (the common default).
    #[default]
    Assertion,
    /// Sign the Response only.
    Response,
    /// Sign the Assertion, then the Response around it.
    Both,
}

/// Everything the Response says. Times are derived from `now` given to [`build_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseParams {
    /// The IdP entity id (`saml:Issuer` of Response and Assertion).
    pub issuer: String,
    /// `Response/@Destination`: the ACS URL the response is posted to.
    pub destination: String,
    /// `SubjectConfirmationData/@Recipient` (usually the ACS URL).
    pub recipient: String,
    /// `Audience` (the SP entity id).
    pub audience: String,
    /// `InResponseTo` (absent for IdP-initiated SSO).
    pub in_response_to: Option<String>,
    /// The subject.
    pub name_id: NameId,
    /// `AuthnStatement/@SessionIndex`.
    pub session_index: String,
    /// `AuthnStatement/@AuthnInstant`: when the user authenticated.
    pub authn_instant: OffsetDateTime,
    /// `AuthnContextClassRef`.
    pub authn_context_class_ref: String,
    /// Attributes (empty: no AttributeStatement).
    pub attributes: Vec<Attribute>,
    /// The `OktaAuth` value (a compact JWE), when claims are shared.
    pub okta_auth: Option<String>,
    /// How long the assertion is valid after `now` (Conditions and SubjectConfirmationData
    /// `NotOnOrAfter`).
    pub validity: Duration,
    /// How far before `now` `Conditions/@NotBefore` is set, to absorb SP clock skew.
    pub not_before_skew: Duration,
    /// `AuthnStatement/@SessionNotOnOrAfter`, if the IdP session end should be announced.
    pub session_not_on_or_after: Option<OffsetDateTime>,
}

impl ResponseParams {
    /// Parameters with the usual defaults: recipient = destination, five-minute validity,
    /// `NotBefore` one minute before `now`, no attributes, no OktaAuth.
    pub fn new(
        issuer: impl Into<String>,
        acs_url: impl Into<String>,
        audience: impl Into<String>,
        name_id: NameId,
        session_index: impl Into<String>,
        authn_instant: OffsetDateTime,
        authn_context_class_ref: impl Into<String>,
    ) -> Self {
        let acs_url = acs_url.into();
        ResponseParams {
            issuer: issuer.into(),
            recipient: acs_url.clone(),
            destination: acs_url,
            audience: audience.into(),
            in_response_to: None,
            name_id,
            session_index: session_index.into(),
            authn_instant,
            authn_context_class_ref: authn_context_class_ref.into(),
            attributes: Vec::new(),
            okta_auth: None,
            validity: Duration::minutes(5),
            not_before_skew: Duration::minutes(1),
            session_not_on_or_after: None,
        }
    }
}

/// How to protect the Response.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResponseOptions<'a> {
    /// What to sign.
    pub sign: SignMode,
    /// Encrypt the Assertion to the SP (`EncryptedAssertion`).
    pub encrypt: Option<Encryption<'a>>,
}

/// A built Response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltResponse {
    /// `Response/@ID` (to log; the SP keeps it in its replay cache).
    pub response_id: String,
    /// `Assertion/@ID`.
    pub assertion_id: String,
    /// The serialized Response.
    pub xml: String,
}

impl BuiltResponse {
    /// The POST-binding `SAMLResponse` form value (base64 of the XML).
    pub fn to_post_base64(&self) -> String {
        bindings::encode_post(&self.xml)
    }
}

fn check(params: &ResponseParams) -> Result<()> {
    let required = [
        ("issuer", &params.issuer),
        ("destination", &params.destination),
        ("recipient", &params.recipient),
        ("audience", &params.audience),
        ("NameID value", &params.name_id.value),
        ("NameID format", &params.name_id.format),
        ("session index", &params.session_index),
        ("AuthnContextClassRef", &params.authn_context_class_ref),
    ];
    for (field, value) in required {
        if value.trim().is_empty() {
            return Err(SamlError::Build(format!("{field} is empty")));
        }
        check_chars(field, value)?;
    }
    if let Some(irt) = params
        .in_response_to
        .as_ref()
        .filter(|irt| !xml::is_ncname(irt))
    {
        return Err(SamlError::Build(format!(
            "InResponseTo {irt:?} is not an xs:ID"
        )));
    }
    if let Some(okta) = &params.okta_auth {
        check_chars("OktaAuth", okta)?;
    }
    for a in &params.attributes {
        check_chars("attribute name", &a.name)?;
        for v in &a.values {
            check_chars("attribute value", v)?;
        }
    }
    if params.validity <= Duration::ZERO {
        return Err(SamlError::Build("validity must be positive".into()));
    }
    Ok(())
}

/// Build, sign and (optionally) encrypt a Response. IDs come from `rng`; every instant is
/// derived from `now` and the params.
pub fn build_response(
    params: &ResponseParams,
    options: &ResponseOptions<'_>,
    identity: &SigningIdentity,
    now: OffsetDateTime,
    rng: &dyn Rng,
) -> Result<BuiltResponse> {
    check(params)?;
    let response_id = new_id(rng);
    let assertion_id = new_id(rng);
    let issue_instant = format_instant(now);
    let cert_b64 = identity.cert_base64();

    let sign_assertion = matches!(options.sign, SignMode::Assertion | SignMode::Both);
    let mut assertion = assertion_xml(params, &assertion_id, &issue_instant, now, |id| {
        if sign_assertion {
            dsig::signature_template(id, &cert_b64)
        } else {
            String::new()
        }
    });
    if sign_assertion {
        assertion = dsig::sign_template(assertion, identity)?;
    }
    let assertion_part = match &options.encrypt {
        Some(enc) => xmlenc::encrypt_assertion(&assertion, enc, rng)?,
        None => assertion,
    };

    let sign_response = matches!(options.sign, SignMode::Response | SignMode::Both);
    let mut out = String::with_capacity(assertion_part.len() + 2048);
    out.push_str(&format!(
        r#"<samlp:Response xmlns:samlp="{}" xmlns:saml="{}" ID="{}" Version="2.0" IssueInstant="{}" Destination="{}""#,
        ns::PROTOCOL,
        ns::ASSERTION,
        response_id,
        issue_instant,
        xml::attr(&params.destination),
    ));
    if let Some(irt) = &params.in_response_to {
        out.push_str(&format!(r#" InResponseTo="{}""#, xml::attr(irt)));
    }
    out.push('>');
    out.push_str(&issuer_element(&params.issuer));
    if sign_response {
        out.push_str(&dsig::signature_template(&response_id, &cert_b64));
    }
    out.push_str(&format!(
        r#"<samlp:Status><samlp:StatusCode Value="{}"/></samlp:Status>"#,
        ns::STATUS_SUCCESS
    ));
    out.push_str(&assertion_part);
    out.push_str("</samlp:Response>");
    if sign_response {
        out = dsig::sign_template(out, identity)?;
    }
    Ok(BuiltResponse {
        response_id,
        assertion_id,
        xml: out,
    })
}

fn issuer_element(issuer: &str) -> String {
    format!(
        r#"<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{}</saml:Issuer>"#,
        xml::text(issuer)
    )
}

/// The standalone Assertion (it declares every namespace it uses, so it can be signed alone,
/// encrypted alone, and canonicalizes the same once embedded).
fn assertion_xml(
    p: &ResponseParams,
    id: &str,
    issue_instant: &str,
    now: OffsetDateTime,
    signature: impl Fn(&str) -> String,
) -> String {
    let not_on_or_after = format_instant(now + p.validity);
    let not_before = format_instant(now - p.not_before_skew);
    let mut s = String::with_capacity(4096);
    s.push_str(&format!(
        r#"<saml:Assertion xmlns:saml="{}" xmlns:xs="{}" xmlns:xsi="{}" ID="{}" Version="2.0" IssueInstant="{}">"#,
        ns::ASSERTION,
        ns::XS,
        ns::XSI,
        id,
        issue_instant
    ));
    s.push_str(&issuer_element(&p.issuer));
    s.push_str(&signature(id));
    // Subject
    s.push_str(&format!(
        r#"<saml:Subject><saml:NameID Format="{}">{}</saml:NameID><saml:SubjectConfirmation Method="{}"><saml:SubjectConfirmationData"#,
        xml::attr(&p.name_id.format),
        xml::text(&p.name_id.value),
        ns::CM_BEARER
    ));
    if let Some(irt) = &p.in_response_to {
        s.push_str(&format!(r#" InResponseTo="{}""#, xml::attr(irt)));
    }
    s.push_str(&format!(
        r#" NotOnOrAfter="{}" Recipient="{}"/></saml:SubjectConfirmation></saml:Subject>"#,
        not_on_or_after,
        xml::attr(&p.recipient)
    ));
    // Conditions
    s.push_str(&format!(
        r#"<saml:Conditions NotBefore="{}" NotOnOrAfter="{}"><saml:AudienceRestriction><saml:Audience>{}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
        not_before,
        not_on_or_after,
        xml::text(&p.audience)
    ));
    // AuthnStatement
    s.push_str(&format!(
        r#"<saml:AuthnStatement AuthnInstant="{}" SessionIndex="{}""#,
        format_instant(p.authn_instant),
        xml::attr(&p.session_index)
    ));
    if let Some(end) = p.session_not_on_or_after {
        s.push_str(&format!(
            r#" SessionNotOnOrAfter="{}""#,
            format_instant(end)
        ));
    }
    s.push_str(&format!(
        r#"><saml:AuthnContext><saml:AuthnContextClassRef>{}</saml:AuthnContextClassRef>"#,
        xml::text(&p.authn_context_class_ref)
    ));
    if let Some(okta) = &p.okta_auth {
        s.push_str(&okta_auth_decl(okta));
    }
    s.push_str("</saml:AuthnContext></saml:AuthnStatement>");
    // Attributes
    if !p.attributes.is_empty() {
        s.push_str("<saml:AttributeStatement>");
        for a in &p.attributes {
            s.push_str(&format!(r#"<saml:Attribute Name="{}""#, xml::attr(&a.name)));
            if let Some(f) = &a.name_format {
                s.push_str(&format!(r#" NameFormat="{}""#, xml::attr(f)));
            }
            s.push('>');
            for v in &a.values {
                s.push_str(&format!(
                    r#"<saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
                    xml::text(v)
                ));
            }
            s.push_str("</saml:Attribute>");
        }
        s.push_str("</saml:AttributeStatement>");
    }
    s.push_str("</saml:Assertion>");
    s
}

/// Okta's claims-sharing declaration, shaped as Okta emits it (CONTRACT §4; reference
/// okta-claims-sharing.md §1.3): default namespace `urn:okta:saml:2.0:OktaAuth` on
/// `AuthenticationContextDeclaration`, `Extension`, and `OktaAuth` typed `xs:string`.
fn okta_auth_decl(value: &str) -> String {
    format!(
        concat!(
            r#"<saml:AuthnContextDecl><AuthenticationContextDeclaration xmlns="{okta}"><Extension>"#,
            r#"<OktaAuth xmlns:xsi="{xsi}" xsi:type="xs:string">{value}</OktaAuth>"#,
            r#"</Extension></AuthenticationContextDeclaration></saml:AuthnContextDecl>"#
        ),
        okta = ns::OKTA_AUTH,
        xsi = ns::XSI,
        value = xml::text(value),
    )
}
