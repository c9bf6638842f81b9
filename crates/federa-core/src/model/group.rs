//! Groups of users (Okta `OKTA_GROUP`).

use federa_types::{GroupId, OrgId, Timestamp};
use serde::{Deserialize, Serialize};

/// The editable part of a group.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupProfile {
    /// Unique (case-insensitively) within the org.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Id.
    pub id: GroupId,
    /// Owning org.
    pub org_id: OrgId,
    /// Name and description.
    pub profile: GroupProfile,
    /// Creation time.
    pub created: Timestamp,
    /// Last profile change.
    pub last_updated: Timestamp,
    /// Last membership change.
    pub last_membership_updated: Timestamp,
}
