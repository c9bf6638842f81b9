//! Sessions and sign-in flows as stored. The cookie values themselves are never stored.

use federa_claims::FactorVerification;
use federa_types::{IdpId, OrgId, Timestamp, UserId};

/// A signed-in session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie value; changes at every rotation.
    pub id_hash: String,
    /// Stable id shown in the API (`102…`).
    pub public_id: String,
    /// Org.
    pub org_id: OrgId,
    /// User.
    pub user_id: UserId,
    /// `ACTIVE`.
    pub status: String,
    /// CSRF token for forms of signed-in pages.
    pub csrf: String,
    /// Created.
    pub created: Timestamp,
    /// Last request.
    pub last_active: Timestamp,
    /// Idle lifetime in ms (from the global session policy rule).
    pub idle_ms: i64,
    /// Absolute expiry (ms since epoch); `i64::MAX` when the rule sets none.
    pub expires_at: Timestamp,
    /// Everything verified in this session, local and credited from IdPs.
    pub verifications: Vec<FactorVerification>,
    /// The IdP the session came from, if federated.
    pub idp_id: Option<IdpId>,
}

impl Session {
    /// Whether the session is still valid at `now` (idle and absolute lifetimes).
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at && now.millis() - self.last_active.millis() < self.idle_ms
    }

    /// When the session expires if left idle from now (the earlier of idle and absolute).
    pub fn expires(&self) -> Timestamp {
        Timestamp(
            self.expires_at
                .millis()
                .min(self.last_active.millis().saturating_add(self.idle_ms)),
        )
    }
}

/// A sign-in flow as stored: its state is the JSON of the sign-in state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFlow {
    /// SHA-256 (hex) of the cookie value.
    pub id_hash: String,
    /// Org.
    pub org_id: OrgId,
    /// Created.
    pub created: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// State (JSON).
    pub state: serde_json::Value,
}
