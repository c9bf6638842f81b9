//! Admin API tokens. The token itself is shown once at creation; only its SHA-256 digest is
//! stored (tokens carry 256 random bits, so a fast digest is enough; a slow hash would only
//! slow every API call).

use federa_types::{ApiTokenId, OrgId, Timestamp};

/// A stored API token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Id.
    pub id: ApiTokenId,
    /// The org the token administers; it is valid on that org's hosts only.
    pub org_id: OrgId,
    /// A name for people.
    pub name: String,
    /// Hex SHA-256 of the token string.
    pub token_hash: String,
    /// Creation time.
    pub created: Timestamp,
}
