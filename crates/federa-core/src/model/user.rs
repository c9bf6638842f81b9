//! Users: the Okta user object's profile, statuses and the list query (`q`, `search`).

use crate::error::{CoreError, FieldError};
use federa_types::{OrgId, Secret, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// Okta user statuses that Federa uses.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    /// Created, not activated.
    Staged,
    /// Activated without a password; cannot sign in yet.
    Provisioned,
    /// Can sign in.
    Active,
    /// Locked after too many failed sign-ins; an admin unlocks.
    LockedOut,
    /// Deactivated; can be deleted.
    Deprovisioned,
}

impl UserStatus {
    /// Storage and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Parses the storage and wire form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "STAGED" => UserStatus::Staged,
            "PROVISIONED" => UserStatus::Provisioned,
            "ACTIVE" => UserStatus::Active,
            "LOCKED_OUT" => UserStatus::LockedOut,
            "DEPROVISIONED" => UserStatus::Deprovisioned,
            _ => return None,
        })
    }
}

/// The user profile: Okta's base attributes that Federa stores. Unknown attributes are
/// rejected so a typo never silently drops data.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserProfile {
    /// Unique (case-insensitively) within the org.
    pub login: String,
    /// Primary email.
    pub email: String,
    /// Given name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    /// Secondary email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_email: Option<String>,
    /// Mobile phone (E.164 preferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Locale, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// IANA time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

const MAX_ATTR: usize = 1024;
const MAX_LOGIN: usize = 100;

fn plausible_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

impl UserProfile {
    /// Checks the profile; returns every problem found, each naming its field.
    pub fn validate(&self) -> Result<(), CoreError> {
        let mut errs = Vec::new();
        let login = self.login.trim();
        if login.is_empty() {
            errs.push(FieldError::new("profile.login", "login is required"));
        } else if login.chars().count() > MAX_LOGIN {
            errs.push(FieldError::new(
                "profile.login",
                format!("login must be at most {MAX_LOGIN} characters"),
            ));
        } else if login.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errs.push(FieldError::new(
                "profile.login",
                "login must not contain spaces or control characters",
            ));
        }
        if !plausible_email(&self.email) || self.email.len() > MAX_ATTR {
            errs.push(FieldError::new(
                "profile.email",
                "email must be a valid email address",
            ));
        }
        if let Some(e) = &self.second_email
            && !plausible_email(e)
        {
            errs.push(FieldError::new(
                "profile.secondEmail",
                "secondEmail must be a valid email address",
            ));
        }
        let optional = [
            ("profile.firstName", &self.first_name),
            ("profile.lastName", &self.last_name),
            ("profile.middleName", &self.middle_name),
            ("profile.displayName", &self.display_name),
            ("profile.nickName", &self.nick_name),
            ("profile.mobilePhone", &self.mobile_phone),
            ("profile.title", &self.title),
            ("profile.department", &self.department),
            ("profile.organization", &self.organization),
            ("profile.locale", &self.locale),
            ("profile.timezone", &self.timezone),
        ];
        for (field, value) in optional {
            if let Some(v) = value
                && (v.len() > MAX_ATTR || v.chars().any(char::is_control))
            {
                errs.push(FieldError::new(
                    field,
                    format!("must be at most {MAX_ATTR} bytes without control characters"),
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Validation(errs))
        }
    }
}

/// A stored user.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Owning org.
    pub org_id: OrgId,
    /// Lifecycle status.
    pub status: UserStatus,
    /// Profile.
    pub profile: UserProfile,
    /// Argon2id PHC string, when the user has a password.
    pub password_hash: Option<Secret<String>>,
    /// Creation time.
    pub created: Timestamp,
    /// First activation.
    pub activated: Option<Timestamp>,
    /// Last status change.
    pub status_changed: Option<Timestamp>,
    /// Last successful sign-in.
    pub last_login: Option<Timestamp>,
    /// Last change of anything.
    pub last_updated: Timestamp,
    /// Last password change.
    pub password_changed: Option<Timestamp>,
    /// Consecutive failed password attempts.
    pub failed_logins: i64,
    /// Token generation: every authorization code and OAuth token carries the value it had
    /// when issued; revoking all of the user's tokens raises it, and a code or token of an
    /// older generation is refused.
    pub token_gen: i64,
}

/// One condition of a `search` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSearch {
    /// `profile.login eq "x"` (case-insensitive, as Okta logins are).
    LoginEq(String),
    /// `profile.login sw "x"`.
    LoginStartsWith(String),
    /// `profile.email eq "x"`.
    EmailEq(String),
    /// `status eq "ACTIVE"`.
    StatusEq(UserStatus),
}

/// What a user list asks for: `q` (prefix of login, email, first or last name) and the
/// conditions of `search`, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Prefix search over login, email, first and last name.
    pub q: Option<String>,
    /// Conditions joined by `and`.
    pub search: Vec<UserSearch>,
}

impl UserQuery {
    /// Parses `q` and `search`. The search grammar is the subset of Okta's SCIM filter that
    /// Federa supports: `ATTR OP "VALUE"` joined by `and`, with ATTR one of `profile.login`,
    /// `profile.email`, `status` and OP `eq` or `sw` (`sw` for login only).
    pub fn parse(q: Option<String>, search: Option<&str>) -> Result<Self, CoreError> {
        let q = q.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(q) = &q
            && q.len() > 256
        {
            return Err(CoreError::invalid("q", "q must be at most 256 characters"));
        }
        let mut conds = Vec::new();
        if let Some(expr) = search.map(str::trim).filter(|s| !s.is_empty()) {
            if expr.len() > 1024 {
                return Err(CoreError::invalid(
                    "search",
                    "search must be at most 1024 characters",
                ));
            }
            let mut rest = expr;
            loop {
                let (cond, tail) = parse_condition(rest)?;
                conds.push(cond);
                let tail = tail.trim_start();
                if tail.is_empty() {
                    break;
                }
                let lower = tail.get(..4).map(str::to_ascii_lowercase);
                if lower.as_deref() == Some("and ") {
                    rest = &tail[4..];
                } else {
                    return Err(CoreError::invalid(
                        "search",
                        format!(
                            "expected 'and' at '{}'",
                            tail.chars().take(20).collect::<String>()
                        ),
                    ));
                }
            }
        }
        Ok(Self { q, search: conds })
    }
}

fn parse_condition(s: &str) -> Result<(UserSearch, &str), CoreError> {
    let bad = |m: &str| CoreError::invalid("search", m.to_string());
    let s = s.trim_start();
    let (attr, rest) = s
        .split_once(char::is_whitespace)
        .ok_or_else(|| bad("expected ATTRIBUTE OPERATOR \"VALUE\""))?;
    let rest = rest.trim_start();
    let (op, rest) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| bad("expected an operator (eq, sw)"))?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix('"')
        .ok_or_else(|| bad("values must be in double quotes"))?;
    let mut value = String::new();
    let mut chars = rest.char_indices();
    let end = loop {
        match chars.next() {
            Some((_, '\\')) => match chars.next() {
                Some((_, c)) => value.push(c),
                None => return Err(bad("unterminated string")),
            },
            Some((i, '"')) => break i + 1,
            Some((_, c)) => value.push(c),
            None => return Err(bad("unterminated string")),
        }
    };
    let op = op.to_ascii_lowercase();
    let cond = match (attr, op.as_str()) {
        ("profile.login", "eq") => UserSearch::LoginEq(value),
        ("profile.login", "sw") => UserSearch::LoginStartsWith(value),
        ("profile.email", "eq") => UserSearch::EmailEq(value),
        ("status", "eq") => UserSearch::StatusEq(
            UserStatus::parse(&value).ok_or_else(|| bad(&format!("unknown status '{value}'")))?,
        ),
        (a, o) => {
            return Err(bad(&format!(
                "unsupported search '{a} {o}': use profile.login eq|sw, profile.email eq, status eq"
            )));
        }
    };
    Ok((cond, &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_expressions_parse() {
        let q = UserQuery::parse(
            None,
            Some(r#"profile.login eq "a@x.com" and status eq "ACTIVE""#),
        );
        let q = q.map_err(|e| e.to_string());
        assert_eq!(
            q,
            Ok(UserQuery {
                q: None,
                search: vec![
                    UserSearch::LoginEq("a@x.com".into()),
                    UserSearch::StatusEq(UserStatus::Active)
                ]
            })
        );
        assert!(UserQuery::parse(None, Some(r#"status eq "WHATEVER""#)).is_err());
        assert!(UserQuery::parse(None, Some(r#"profile.secret eq "x""#)).is_err());
        assert!(UserQuery::parse(None, Some(r#"profile.login eq "x"#)).is_err());
        assert!(
            UserQuery::parse(None, Some(r#"profile.login eq "x" or status eq "ACTIVE""#)).is_err()
        );
        let q =
            UserQuery::parse(None, Some(r#"profile.login sw "a\"b""#)).map_err(|e| e.to_string());
        assert_eq!(
            q.map(|q| q.search),
            Ok(vec![UserSearch::LoginStartsWith("a\"b".into())])
        );
    }

    #[test]
    fn profiles_are_validated_field_by_field() {
        let p = UserProfile {
            login: "has space".into(),
            email: "nope".into(),
            ..Default::default()
        };
        match p.validate() {
            Err(CoreError::Validation(errs)) => {
                let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, vec!["profile.login", "profile.email"]);
            }
            other => panic!("expected validation errors, got {other:?}"),
        }
    }
}
