//! Groups and membership.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Group, GroupProfile, User};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::service::users;
use federa_types::{GroupId, OrgId};

fn validate(p: &GroupProfile) -> Result<(), CoreError> {
    let name = p.name.trim();
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "profile.name",
            "name must be 1 to 255 characters without control characters",
        ));
    }
    if let Some(d) = &p.description
        && d.len() > 1024
    {
        return Err(CoreError::invalid(
            "profile.description",
            "description must be at most 1024 bytes",
        ));
    }
    Ok(())
}

/// Creates a group.
pub async fn create(ctx: &Ctx, org: &OrgId, profile: GroupProfile) -> Result<Group, CoreError> {
    validate(&profile)?;
    let now = ctx.clock.now();
    let group = Group {
        id: GroupId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        profile: GroupProfile {
            name: profile.name.trim().to_string(),
            description: profile.description,
        },
        created: now,
        last_updated: now,
        last_membership_updated: now,
    };
    ctx.store.create_group(&group).await.map_err(|e| match e {
        StoreError::Conflict(_) => CoreError::invalid(
            "profile.name",
            "An object with this field already exists in the current organization",
        ),
        other => CoreError::Store(other),
    })?;
    Ok(group)
}

fn parse_id(id: &str) -> Result<GroupId, CoreError> {
    GroupId::parse(id).map_err(|_| {
        CoreError::NotFound(format!(
            "group '{}'",
            id.chars().take(64).collect::<String>()
        ))
    })
}

/// A group by id.
pub async fn get(ctx: &Ctx, org: &OrgId, id: &str) -> Result<Group, CoreError> {
    let gid = parse_id(id)?;
    ctx.store
        .group_by_id(org, &gid)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("group '{gid}'")))
}

/// A page of groups, optionally by name prefix.
pub async fn list(
    ctx: &Ctx,
    org: &OrgId,
    q: Option<&str>,
    page: &PageRequest,
) -> Result<Page<Group>, CoreError> {
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    if q.is_some_and(|s| s.len() > 256) {
        return Err(CoreError::invalid("q", "q must be at most 256 characters"));
    }
    let items = ctx.store.list_groups(org, q, page).await?;
    Ok(Page::from_overfetch(items, page.limit, |g| {
        g.id.to_string()
    }))
}

/// Deletes a group.
pub async fn delete(ctx: &Ctx, org: &OrgId, id: &str) -> Result<(), CoreError> {
    let gid = parse_id(id)?;
    if ctx.store.delete_group(org, &gid).await? {
        Ok(())
    } else {
        Err(CoreError::NotFound(format!("group '{gid}'")))
    }
}

/// Adds a user to a group; both must exist in `org`.
pub async fn add_member(ctx: &Ctx, org: &OrgId, group: &str, user: &str) -> Result<(), CoreError> {
    let g = get(ctx, org, group).await?;
    let u = users::get(ctx, org, user).await?;
    ctx.store
        .add_member(org, &g.id, &u.id, ctx.clock.now())
        .await?;
    Ok(())
}

/// Removes a user from a group; both must exist in `org`.
pub async fn remove_member(
    ctx: &Ctx,
    org: &OrgId,
    group: &str,
    user: &str,
) -> Result<(), CoreError> {
    let g = get(ctx, org, group).await?;
    let u = users::get(ctx, org, user).await?;
    ctx.store
        .remove_member(org, &g.id, &u.id, ctx.clock.now())
        .await?;
    Ok(())
}

/// A page of a group's members.
pub async fn members(
    ctx: &Ctx,
    org: &OrgId,
    group: &str,
    page: &PageRequest,
) -> Result<Page<User>, CoreError> {
    let g = get(ctx, org, group).await?;
    let items = ctx.store.list_members(org, &g.id, page).await?;
    Ok(Page::from_overfetch(items, page.limit, |u| {
        u.id.to_string()
    }))
}

/// The groups of a user.
pub async fn of_user(ctx: &Ctx, org: &OrgId, user: &str) -> Result<Vec<Group>, CoreError> {
    let u = users::get(ctx, org, user).await?;
    Ok(ctx.store.list_user_groups(org, &u.id).await?)
}
