//! Whether an existing session may answer an authorization request.
//!
//! Owns the decision for `prompt` and `max_age` (OIDC Core §3.1.2.1, §3.1.2.6; reference §3.3:
//! `max_age=0` forces re-authentication): [`check`] says whether the session can be used as is,
//! whether the user must (re-)authenticate, or — for `prompt=none` — that the request must fail
//! with `login_required`. Request parameters only ever make this stricter; policy
//! (`federa-policy`) still decides what a new authentication must contain.

use federa_types::Timestamp;

use crate::authorize::{Prompt, PromptSet};

/// The outcome of [`check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionDecision {
    /// The session is usable as it is.
    Ok,
    /// Show the sign-in: there is no session, it is older than `max_age`, or `prompt=login`.
    ReauthenticateRequired,
    /// `prompt=none` but the user would have to interact: answer `login_required`.
    LoginRequired,
}

/// Decides for a request with `prompt` and `max_age` (seconds), given the session's
/// `auth_time` (`None`: no session) and `now`.
#[must_use]
pub fn check(
    auth_time: Option<Timestamp>,
    now: Timestamp,
    max_age: Option<u64>,
    prompt: &PromptSet,
) -> SessionDecision {
    let usable = match auth_time {
        None => false,
        Some(auth_time) => match max_age {
            None => true,
            // max_age=0: the session can never be fresh enough.
            Some(0) => false,
            Some(max_age) => {
                let elapsed_ms = now.millis().saturating_sub(auth_time.millis()).max(0);
                let max_ms = i64::try_from(max_age)
                    .unwrap_or(i64::MAX)
                    .saturating_mul(1000);
                elapsed_ms <= max_ms
            }
        },
    };
    if prompt.is_none() {
        return if usable {
            SessionDecision::Ok
        } else {
            SessionDecision::LoginRequired
        };
    }
    if !usable || prompt.contains(Prompt::Login) {
        return SessionDecision::ReauthenticateRequired;
    }
    SessionDecision::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_millis(s * 1000)
    }

    fn prompt(values: &[Prompt]) -> PromptSet {
        PromptSet::from_values(values).unwrap_or_default()
    }

    #[test]
    fn no_session() {
        assert_eq!(
            check(None, at(100), None, &prompt(&[])),
            SessionDecision::ReauthenticateRequired
        );
        assert_eq!(
            check(None, at(100), None, &prompt(&[Prompt::None])),
            SessionDecision::LoginRequired
        );
    }

    #[test]
    fn fresh_session() {
        assert_eq!(
            check(Some(at(90)), at(100), None, &prompt(&[])),
            SessionDecision::Ok
        );
        assert_eq!(
            check(Some(at(90)), at(100), Some(10), &prompt(&[Prompt::None])),
            SessionDecision::Ok
        );
        assert_eq!(
            check(Some(at(90)), at(100), None, &prompt(&[Prompt::Consent])),
            SessionDecision::Ok
        );
    }

    #[test]
    fn max_age_boundaries() {
        // Exactly max_age old is still fresh; one second more is not.
        assert_eq!(
            check(Some(at(90)), at(100), Some(10), &prompt(&[])),
            SessionDecision::Ok
        );
        assert_eq!(
            check(Some(at(89)), at(100), Some(10), &prompt(&[])),
            SessionDecision::ReauthenticateRequired
        );
        assert_eq!(
            check(Some(at(89)), at(100), Some(10), &prompt(&[Prompt::None])),
            SessionDecision::LoginRequired
        );
        // max_age=0 always forces re-authentication, even a session from this very second.
        assert_eq!(
            check(Some(at(100)), at(100), Some(0), &prompt(&[])),
            SessionDecision::ReauthenticateRequired
        );
        // A huge max_age does not overflow.
        assert_eq!(
            check(Some(at(0)), at(100), Some(u64::MAX), &prompt(&[])),
            SessionDecision::Ok
        );
    }

    #[test]
    fn prompt_login_forces_reauthentication() {
        assert_eq!(
            check(Some(at(99)), at(100), None, &prompt(&[Prompt::Login])),
            SessionDecision::ReauthenticateRequired
        );
    }
}
