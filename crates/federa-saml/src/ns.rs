//! Namespace, binding, format and algorithm identifiers used on the wire (SAML Core §1.1 and
//! §8, SAML Bindings §3, XML-DSig 1.1, Exclusive XML Canonicalization 1.0, XML-Enc 1.1).

/// `urn:oasis:names:tc:SAML:2.0:protocol` (prefix `samlp`).
pub const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// `urn:oasis:names:tc:SAML:2.0:assertion` (prefix `saml`).
pub const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// `urn:oasis:names:tc:SAML:2.0:metadata` (prefix `md`).
pub const METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// XML-DSig namespace (prefix `ds`).
pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML-Enc namespace (prefix `xenc`).
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML-Enc 1.1 namespace (prefix `xenc11`).
pub const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
/// XML Schema namespace (prefix `xs`).
pub const XS: &str = "http://www.w3.org/2001/XMLSchema";
/// XML Schema instance namespace (prefix `xsi`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// Namespace of Okta's claims-sharing declaration (`AuthenticationContextDeclaration`).
pub const OKTA_AUTH: &str = "urn:okta:saml:2.0:OktaAuth";

/// HTTP-Redirect binding URI.
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// HTTP-POST binding URI.
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// NameID format: unspecified.
pub const NAMEID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// NameID format: e-mail address.
pub const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// NameID format: persistent.
pub const NAMEID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// NameID format: transient.
pub const NAMEID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// Attribute NameFormat: basic.
pub const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
/// Attribute NameFormat: unspecified.
pub const ATTRNAME_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
/// Attribute NameFormat: URI.
pub const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";

/// Subject confirmation method: bearer.
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
/// Top-level status: success.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

/// AuthnContext class: PasswordProtectedTransport.
pub const AC_PASSWORD_PROTECTED_TRANSPORT: &str =
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
/// AuthnContext class: X509 (Okta's claims-sharing example uses it).
pub const AC_X509: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:X509";

/// Signature: RSA PKCS#1 v1.5 with SHA-256.
pub const ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// Signature: RSA PKCS#1 v1.5 with SHA-384.
pub const ALG_RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
/// Signature: RSA PKCS#1 v1.5 with SHA-512.
pub const ALG_RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
/// Signature: RSA with SHA-1 (refused; named only to give a clear error).
pub const ALG_RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// Digest: SHA-256.
pub const ALG_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// Digest: SHA-1 (used only as the OAEP digest of `rsa-oaep-mgf1p`).
pub const ALG_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
/// Exclusive XML canonicalization 1.0, without comments.
pub const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Enveloped-signature transform.
pub const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// Block cipher: AES-256-GCM (XML-Enc 1.1).
pub const ALG_AES256_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
/// Key transport: RSA-OAEP (XML-Enc 1.1) — used with SHA-256 digest and MGF1-SHA-256.
pub const ALG_RSA_OAEP_11: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// Key transport: RSA-OAEP with MGF1-SHA-1 (XML-Enc 1.0), used with a SHA-1 digest.
pub const ALG_RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// MGF1 with SHA-256 (XML-Enc 1.1).
pub const ALG_MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
/// `EncryptedData/@Type` for an encrypted element.
pub const XENC_TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
