//! Building `samlp:AuthnRequest` XML (SAML Core §3.4.1) — what the SP side sends upstream, and
//! what the IdP's tests feed back in. Signing for the POST binding is enveloped (after `Issuer`);
//! for the Redirect binding use [`crate::bindings::encode_redirect`] with a signer instead.

use federa_types::Rng;
use time::OffsetDateTime;

use crate::authn_request::{AuthnContextComparison, RequestedAuthnContext};
use crate::dsig;
use crate::error::Result;
use crate::identity::SigningIdentity;
use crate::ns;
use crate::xml::{self, format_instant, new_id};

/// What an AuthnRequest asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthnRequestParams {
    /// The SP entity id.
    pub issuer: String,
    /// The IdP SSO URL.
    pub destination: Option<String>,
    /// Where the response should go.
    pub assertion_consumer_service_url: Option<String>,
    /// The binding for the response (usually HTTP-POST).
    pub protocol_binding: Option<String>,
    /// `ForceAuthn`.
    pub force_authn: bool,
    /// `IsPassive`.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format`.
    pub name_id_format: Option<String>,
    /// `RequestedAuthnContext`.
    pub requested_authn_context: Option<RequestedAuthnContext>,
}

/// Build an AuthnRequest; returns `(ID, XML)`. With `signer`, the request carries an enveloped
/// signature (POST binding).
pub fn build_authn_request(
    params: &AuthnRequestParams,
    now: OffsetDateTime,
    rng: &dyn Rng,
    signer: Option<&SigningIdentity>,
) -> Result<(String, String)> {
    xml::check_chars("issuer", &params.issuer)?;
    let id = new_id(rng);
    let mut s = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="{}" xmlns:saml="{}" ID="{}" Version="2.0" IssueInstant="{}""#,
        ns::PROTOCOL,
        ns::ASSERTION,
        id,
        format_instant(now)
    );
    let mut attr = |name: &str, v: &Option<String>| {
        if let Some(v) = v {
            s.push_str(&format!(r#" {name}="{}""#, xml::attr(v)));
        }
    };
    attr("Destination", &params.destination);
    attr(
        "AssertionConsumerServiceURL",
        &params.assertion_consumer_service_url,
    );
    attr("ProtocolBinding", &params.protocol_binding);
    if params.force_authn {
        s.push_str(r#" ForceAuthn="true""#);
    }
    if params.is_passive {
        s.push_str(r#" IsPassive="true""#);
    }
    s.push('>');
    s.push_str(&format!(
        "<saml:Issuer>{}</saml:Issuer>",
        xml::text(&params.issuer)
    ));
    if let Some(identity) = signer {
        s.push_str(&dsig::signature_template(&id, &identity.cert_base64()));
    }
    if let Some(f) = &params.name_id_format {
        s.push_str(&format!(
            r#"<samlp:NameIDPolicy Format="{}" AllowCreate="true"/>"#,
            xml::attr(f)
        ));
    }
    if let Some(rac) = &params.requested_authn_context {
        let cmp = match rac.comparison {
            AuthnContextComparison::Exact => "exact",
            AuthnContextComparison::Minimum => "minimum",
            AuthnContextComparison::Maximum => "maximum",
            AuthnContextComparison::Better => "better",
        };
        s.push_str(&format!(
            r#"<samlp:RequestedAuthnContext Comparison="{cmp}">"#
        ));
        for c in &rac.class_refs {
            s.push_str(&format!(
                "<saml:AuthnContextClassRef>{}</saml:AuthnContextClassRef>",
                xml::text(c)
            ));
        }
        s.push_str("</samlp:RequestedAuthnContext>");
    }
    s.push_str("</samlp:AuthnRequest>");
    if let Some(identity) = signer {
        s = dsig::sign_template(s, identity)?;
    }
    Ok((id, s))
}
