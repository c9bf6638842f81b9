//! Small writing helpers shared by the builders: XML escaping for text and attribute values,
//! SAML `xs:dateTime` formatting and parsing (SAML Core §1.3.3: UTC), and message identifiers
//! (`xs:ID`, SAML Core §1.3.4: at least 128 bits of randomness, must start with a letter or `_`).

use std::fmt::Write as _;

use federa_types::Rng;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::error::{Result, SamlError};

/// Escape text content (`&`, `<`, `>`). Characters that XML 1.0 forbids are refused by the
/// caller through [`check_chars`].
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escape an attribute value for use between double quotes.
pub(crate) fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Refuse values that cannot appear in an XML 1.0 document at all (control characters other
/// than tab, LF and CR, and U+FFFE/U+FFFF).
pub(crate) fn check_chars(field: &str, value: &str) -> Result<()> {
    let bad = value.chars().any(|c| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    });
    if bad {
        return Err(SamlError::Build(format!(
            "{field} contains a character that XML 1.0 does not allow"
        )));
    }
    Ok(())
}

/// Format an instant as SAML wants it: UTC, `Z`, whole seconds (`2026-11-23T10:00:00Z`).
pub fn format_instant(t: OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // The description only uses components every OffsetDateTime has; a failure is impossible in
    // practice, and falling back to RFC 3339 keeps this function infallible without a panic.
    utc.format(fmt)
        .or_else(|_| utc.format(&Rfc3339))
        .unwrap_or_default()
}

/// Parse an `xs:dateTime` as SAML uses it: RFC 3339 with `Z` or an offset; a value without a
/// zone is read as UTC (SAML Core §1.3.3 says UTC without a zone is allowed).
pub fn parse_instant(field: &str, s: &str) -> Result<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let with_z = format!("{s}Z");
    OffsetDateTime::parse(&with_z, &Rfc3339)
        .map_err(|_| SamlError::invalid(format!("{field} is not a valid xs:dateTime: {s:?}")))
}

/// A fresh message identifier: `_` followed by 40 hex digits (160 random bits from `rng`).
pub fn new_id(rng: &dyn Rng) -> String {
    let mut buf = [0u8; 20];
    rng.fill(&mut buf);
    let mut id = String::with_capacity(41);
    id.push('_');
    for b in buf {
        let _ = write!(id, "{b:02x}");
    }
    id
}

/// Whether `s` is a plausible `xs:ID` (an NCName): starts with a letter or `_`, then letters,
/// digits, `.`, `-`, `_`. Non-ASCII letters are accepted as letters.
pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}
