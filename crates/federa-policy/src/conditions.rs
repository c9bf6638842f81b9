//! Rule and policy conditions shared by the policy types: `people` (users and groups, include and
//! exclude), `network` (`ANYWHERE` or `ZONE` with zone ids) and `identityProvider` (global
//! session policy rules: `ANY`, `OKTA`, `SPECIFIC_IDP`). Reference §2.4–§2.6. Owns their parsing,
//! canonical output and matching against a [`Subject`].
//!
//! Conditions Federa cannot evaluate (platform, device, risk other than `ANY`, user type,
//! expression language) are refused at save time instead of being ignored: ignoring a condition
//! would apply a rule to people it was not meant for.

use crate::error::{PolicyError, Result};
use crate::ids::{ParseId, ZoneId};
use crate::wire::{Obj, wire_enum};
use federa_claims::IdpId;
use federa_types::{GroupId, UserId};
use serde::Serialize;

wire_enum! {
    /// `network.connection`.
    pub enum Connection { Anywhere = "ANYWHERE", Zone = "ZONE" }
}

wire_enum! {
    /// `identityProvider.provider` (reference §2.6).
    pub enum IdpScope { Any = "ANY", Okta = "OKTA", SpecificIdp = "SPECIFIC_IDP" }
}

/// Who or what a condition is evaluated against.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The user signing in.
    pub user: &'a UserId,
    /// The user's groups (including the org's "Everyone" group, if the org has one).
    pub groups: &'a [GroupId],
    /// The network zones the request IP falls in.
    pub zones: &'a [ZoneId],
    /// The IdP the session came from, if federated.
    pub session_idp: Option<&'a IdpId>,
}

/// An `include` / `exclude` pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncludeExclude<T> {
    /// When non-empty, only these match.
    pub include: Vec<T>,
    /// These never match.
    pub exclude: Vec<T>,
}

impl<T> Default for IncludeExclude<T> {
    fn default() -> Self {
        IncludeExclude {
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

impl<T: PartialEq> IncludeExclude<T> {
    /// Whether a subject holding `have` (e.g. one user id, or a set of group ids) matches.
    pub fn matches_any(&self, have: &[T]) -> bool {
        (self.include.is_empty() || have.iter().any(|h| self.include.contains(h)))
            && !have.iter().any(|h| self.exclude.contains(h))
    }

    fn read(obj: &Obj<'_>) -> Result<Self>
    where
        T: ParseId,
    {
        obj.deny_unknown(&["include", "exclude"])?;
        Self::read_lists(obj)
    }

    fn read_lists(obj: &Obj<'_>) -> Result<Self>
    where
        T: ParseId,
    {
        let include = obj.parsed_list("include", T::at)?;
        let exclude = obj.parsed_list("exclude", T::at)?;
        if let Some(both) = include.iter().position(|i| exclude.contains(i)) {
            return Err(PolicyError::invalid(
                crate::wire::index(&obj.at("include"), both),
                "the same id is both included and excluded",
            ));
        }
        Ok(IncludeExclude { include, exclude })
    }

    fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// `conditions.people`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeopleCondition {
    /// User ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<IncludeExclude<UserId>>,
    /// Group ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<IncludeExclude<GroupId>>,
}

impl PeopleCondition {
    pub(crate) fn read(obj: &Obj<'_>) -> Result<Self> {
        obj.deny_unknown(&["users", "groups"])?;
        let users = obj
            .obj("users")?
            .map(|o| IncludeExclude::read(&o))
            .transpose()?;
        let groups = obj
            .obj("groups")?
            .map(|o| IncludeExclude::read(&o))
            .transpose()?;
        Ok(PeopleCondition {
            users: users.filter(|u| !u.is_empty()),
            groups: groups.filter(|g| !g.is_empty()),
        })
    }

    /// Whether the subject's user and groups match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.users
            .as_ref()
            .is_none_or(|u| u.matches_any(std::slice::from_ref(s.user)))
            && self.groups.as_ref().is_none_or(|g| g.matches_any(s.groups))
    }
}

/// `conditions.network`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetworkCondition {
    /// `ANYWHERE` or `ZONE`.
    pub connection: Connection,
    /// Zones that match (ZONE only).
    pub include: Vec<ZoneId>,
    /// Zones that never match (ZONE only).
    pub exclude: Vec<ZoneId>,
}

impl NetworkCondition {
    pub(crate) fn read(obj: &Obj<'_>) -> Result<Self> {
        obj.deny_unknown(&["connection", "include", "exclude"])?;
        let connection = obj
            .enumv::<Connection>("connection")?
            .unwrap_or(Connection::Anywhere);
        let ie = IncludeExclude::<ZoneId>::read_lists(obj)?;
        match connection {
            Connection::Anywhere if !ie.is_empty() => Err(PolicyError::invalid(
                obj.at("connection"),
                "ANYWHERE cannot be combined with include or exclude zones; use ZONE",
            )),
            Connection::Zone if ie.is_empty() => Err(PolicyError::invalid(
                obj.at("include"),
                "ZONE needs at least one zone in include or exclude",
            )),
            _ => Ok(NetworkCondition {
                connection,
                include: ie.include,
                exclude: ie.exclude,
            }),
        }
    }

    /// Whether the request's zones match.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.matches_zones(s.zones)
    }

    /// Whether a request in `zones` matches.
    pub fn matches_zones(&self, zones: &[ZoneId]) -> bool {
        match self.connection {
            Connection::Anywhere => true,
            Connection::Zone => {
                (self.include.is_empty() || zones.iter().any(|z| self.include.contains(z)))
                    && !zones.iter().any(|z| self.exclude.contains(z))
            }
        }
    }

    /// Every zone id referenced, with its path suffix.
    pub(crate) fn zone_refs(&self) -> impl Iterator<Item = (String, &ZoneId)> {
        let inc = self
            .include
            .iter()
            .enumerate()
            .map(|(i, z)| (format!("include[{i}]"), z));
        let exc = self
            .exclude
            .iter()
            .enumerate()
            .map(|(i, z)| (format!("exclude[{i}]"), z));
        inc.chain(exc)
    }
}

/// `conditions.identityProvider` of a global session policy rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProviderCondition {
    /// `ANY`, `OKTA` (local sign-in only) or `SPECIFIC_IDP`.
    pub provider: IdpScope,
    /// The IdPs for `SPECIFIC_IDP`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub idp_ids: Vec<IdpId>,
}

impl IdentityProviderCondition {
    pub(crate) fn read(obj: &Obj<'_>) -> Result<Self> {
        obj.deny_unknown(&["provider", "idpIds"])?;
        let provider = obj.enumv::<IdpScope>("provider")?.unwrap_or(IdpScope::Any);
        let idp_ids = obj.parsed_list("idpIds", IdpId::at)?;
        match provider {
            IdpScope::SpecificIdp if idp_ids.is_empty() => Err(PolicyError::invalid(
                obj.at("idpIds"),
                "SPECIFIC_IDP needs at least one IdP id",
            )),
            IdpScope::Any | IdpScope::Okta if !idp_ids.is_empty() => Err(PolicyError::invalid(
                obj.at("idpIds"),
                "idpIds is only allowed with provider SPECIFIC_IDP",
            )),
            _ => Ok(IdentityProviderCondition { provider, idp_ids }),
        }
    }

    /// Whether the session's origin matches.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        match self.provider {
            IdpScope::Any => true,
            IdpScope::Okta => s.session_idp.is_none(),
            IdpScope::SpecificIdp => s.session_idp.is_some_and(|i| self.idp_ids.contains(i)),
        }
    }
}

/// Accepts `{ field: "ANY" }`-style conditions Federa treats as always true (`riskScore.level`,
/// `authContext.authType`) and refuses every other value as unsupported.
pub(crate) fn accept_trivial(parent: &Obj<'_>, key: &str, field: &str) -> Result<()> {
    if let Some(o) = parent.obj(key)? {
        o.deny_unknown(&[field])?;
        match o.string(field)? {
            None => {}
            Some(v) if v.eq_ignore_ascii_case("ANY") => {}
            Some(_) => {
                return Err(PolicyError::invalid(
                    o.at(field),
                    "only ANY is supported by Federa for this condition",
                ));
            }
        }
    }
    Ok(())
}
