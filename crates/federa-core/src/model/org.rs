//! Orgs (tenants). An org owns one or more host names; the request's Host picks the org.

use federa_types::{OrgId, Timestamp};
use serde::{Deserialize, Serialize};

/// How an org evaluates policies: the full Identity Engine model or Classic, where only
/// "was MFA done" counts (reference §1.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Engine {
    /// Identity Engine.
    Identity,
    /// Classic Engine.
    Classic,
}

impl Engine {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Identity => "IDENTITY",
            Engine::Classic => "CLASSIC",
        }
    }

    /// Parses the storage form or the CLI form (`identity`, `classic`), case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "identity" => Some(Engine::Identity),
            "classic" => Some(Engine::Classic),
            _ => None,
        }
    }
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Host names that select this org (lower case, no port).
    pub hosts: Vec<String>,
    /// Policy engine.
    pub engine: Engine,
    /// Creation time.
    pub created: Timestamp,
}

/// Normalises a Host header value: lower case, without port, without a trailing dot.
/// Returns `None` for values that cannot be a host name.
pub fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 253 + 6 {
        return None;
    }
    let host = if let Some(rest) = raw.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        let end = rest.find(']')?;
        format!("[{}]", &rest[..end])
    } else {
        match raw.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
            Some(_) => return None,
            None => raw.to_string(),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']' | b':'));
    valid.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::normalize_host;

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(
            normalize_host("Hub.LocalHost:8080").as_deref(),
            Some("hub.localhost")
        );
        assert_eq!(normalize_host("localhost.").as_deref(), Some("localhost"));
        assert_eq!(normalize_host("[::1]:80").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(normalize_host(""), None);
        assert_eq!(normalize_host("evil.com/x"), None);
        assert_eq!(normalize_host("a:b"), None);
    }
}
