//! Wire shapes of the admin API (Okta's objects) and their conversion from domain records:
//! RFC 3339 timestamps with milliseconds, `_links`, and the `Link` pagination header.

use federa_core::model::{Group, GroupProfile, User, UserProfile, UserStatus};
use federa_core::page::Page;
use federa_types::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// RFC 3339 UTC with milliseconds, as Okta writes times.
pub fn rfc3339(t: Timestamp) -> String {
    let ns = i128::from(t.millis()) * 1_000_000;
    match time::OffsetDateTime::from_unix_timestamp_nanos(ns) {
        Ok(dt) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        ),
        Err(_) => String::new(),
    }
}

/// A link object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    /// Target URL.
    pub href: String,
}

/// `_links` map.
pub type Links = BTreeMap<String, Link>;

/// A link to `path` (with or without a leading slash) under the org's base URL.
pub fn link(base: &url::Url, path: &str) -> Link {
    Link {
        href: base
            .join(path.trim_start_matches('/'))
            .map(|u| u.to_string())
            .unwrap_or_default(),
    }
}

/// `credentials.provider`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provider {
    /// Always `OKTA` for local users.
    #[serde(rename = "type")]
    pub kind: String,
    /// Always `OKTA` for local users.
    pub name: String,
}

/// The credentials part of a user as returned (never the password).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CredentialsOut {
    /// Present (empty) when the user has a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<serde_json::Map<String, serde_json::Value>>,
    /// Who manages the credentials.
    pub provider: Provider,
}

/// A user as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    /// Id.
    pub id: String,
    /// Status.
    pub status: UserStatus,
    /// Created.
    pub created: String,
    /// First activation.
    pub activated: Option<String>,
    /// Last status change.
    pub status_changed: Option<String>,
    /// Last sign-in.
    pub last_login: Option<String>,
    /// Last update.
    pub last_updated: String,
    /// Last password change.
    pub password_changed: Option<String>,
    /// Profile.
    pub profile: UserProfile,
    /// Credentials summary.
    pub credentials: CredentialsOut,
    /// Links.
    #[serde(rename = "_links")]
    pub links: Links,
}

impl UserOut {
    /// From a stored user.
    pub fn from_user(u: &User, base: &url::Url) -> Self {
        let mut links = Links::new();
        links.insert("self".into(), link(base, &format!("api/v1/users/{}", u.id)));
        let lc = |op: &str| link(base, &format!("api/v1/users/{}/lifecycle/{op}", u.id));
        match u.status {
            UserStatus::Staged | UserStatus::Provisioned | UserStatus::Deprovisioned => {
                links.insert("activate".into(), lc("activate"));
            }
            UserStatus::LockedOut => {
                links.insert("unlock".into(), lc("unlock"));
            }
            UserStatus::Active => {}
        }
        if u.status != UserStatus::Deprovisioned {
            links.insert("deactivate".into(), lc("deactivate"));
        }
        Self {
            id: u.id.to_string(),
            status: u.status,
            created: rfc3339(u.created),
            activated: u.activated.map(rfc3339),
            status_changed: u.status_changed.map(rfc3339),
            last_login: u.last_login.map(rfc3339),
            last_updated: rfc3339(u.last_updated),
            password_changed: u.password_changed.map(rfc3339),
            profile: u.profile.clone(),
            credentials: CredentialsOut {
                password: u.password_hash.as_ref().map(|_| serde_json::Map::new()),
                provider: Provider {
                    kind: "OKTA".into(),
                    name: "OKTA".into(),
                },
            },
            links,
        }
    }
}

/// A group as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupOut {
    /// Id.
    pub id: String,
    /// Created.
    pub created: String,
    /// Last profile change.
    pub last_updated: String,
    /// Last membership change.
    pub last_membership_updated: String,
    /// Always `["okta:user_group"]`.
    pub object_class: Vec<String>,
    /// Always `OKTA_GROUP`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Name and description.
    pub profile: GroupProfile,
    /// Links.
    #[serde(rename = "_links")]
    pub links: Links,
}

impl GroupOut {
    /// From a stored group.
    pub fn from_group(g: &Group, base: &url::Url) -> Self {
        let mut links = Links::new();
        links.insert(
            "self".into(),
            link(base, &format!("api/v1/groups/{}", g.id)),
        );
        links.insert(
            "users".into(),
            link(base, &format!("api/v1/groups/{}/users", g.id)),
        );
        Self {
            id: g.id.to_string(),
            created: rfc3339(g.created),
            last_updated: rfc3339(g.last_updated),
            last_membership_updated: rfc3339(g.last_membership_updated),
            object_class: vec!["okta:user_group".into()],
            kind: "OKTA_GROUP".into(),
            profile: g.profile.clone(),
            links,
        }
    }
}

/// The `Link` header of a list response: `self` and, when there is more, `next`.
/// `extra` are the query parameters of the request to carry over (e.g. `q`, `search`).
pub fn link_header<T>(
    base: &url::Url,
    path: &str,
    limit: u32,
    extra: &[(&str, Option<&str>)],
    page: &Page<T>,
) -> String {
    let make = |after: Option<&str>| -> String {
        let mut u = base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| base.clone());
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            for (k, v) in extra {
                if let Some(v) = v {
                    q.append_pair(k, v);
                }
            }
            if let Some(a) = after {
                q.append_pair("after", a);
            }
        }
        u.to_string()
    };
    let mut out = format!("<{}>; rel=\"self\"", make(None));
    if let Some(next) = &page.next {
        out.push_str(&format!(", <{}>; rel=\"next\"", make(Some(next))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_with_millis() {
        assert_eq!(rfc3339(Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(Timestamp(1_764_050_400_123)),
            "2025-11-25T06:00:00.123Z"
        );
    }

    #[test]
    fn link_header_encodes_parameters() {
        let base = url::Url::parse("http://a.test:8080/").unwrap_or_else(|e| panic!("{e}"));
        let page = Page {
            items: vec![1],
            next: Some("00uNEXT".to_string()),
        };
        let h = link_header(
            &base,
            "/api/v1/users",
            1,
            &[("search", Some("profile.login eq \"a&b\""))],
            &page,
        );
        assert!(h.contains("rel=\"self\""));
        assert!(h.contains("after=00uNEXT>; rel=\"next\""), "{h}");
        assert!(h.contains("search=profile.login+eq+%22a%26b%22"), "{h}");
    }
}
