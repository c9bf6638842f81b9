//! Users: create (optionally with a password and activation), read, list, replace the profile,
//! lifecycle (activate, deactivate, unlock) and delete, following Okta's Users API semantics.

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{User, UserProfile, UserQuery, UserStatus};
use crate::page::{Page, PageRequest};
use crate::password::PasswordHasher;
use crate::ports::{StatusChange, StoreError};
use federa_types::{GroupId, OrgId, Secret, UserId};

/// Input of [`create`].
#[derive(Debug)]
pub struct NewUser {
    /// Profile.
    pub profile: UserProfile,
    /// Initial password, if any.
    pub password: Option<Secret<String>>,
    /// Groups to join.
    pub group_ids: Vec<GroupId>,
}

fn login_conflict(e: StoreError) -> CoreError {
    match e {
        StoreError::Conflict(_) => CoreError::invalid(
            "profile.login",
            "An object with this field already exists in the current organization",
        ),
        StoreError::MissingReference(what) => {
            CoreError::invalid("groupIds", format!("{what} does not exist"))
        }
        other => CoreError::Store(other),
    }
}

async fn hash_password(ctx: &Ctx, password: Secret<String>) -> Result<Secret<String>, CoreError> {
    PasswordHasher::check_policy(password.expose())?;
    ctx.hasher.hash(password, ctx.random()).await
}

/// Creates a user. With `activate` the user becomes ACTIVE (or PROVISIONED without a
/// password); otherwise STAGED.
pub async fn create(
    ctx: &Ctx,
    org: &OrgId,
    input: NewUser,
    activate: bool,
) -> Result<User, CoreError> {
    let groups = input.group_ids.clone();
    let user = prepare(ctx, org, input, activate).await?;
    ctx.store
        .create_user(&user, &groups)
        .await
        .map_err(login_conflict)?;
    Ok(user)
}

/// The record [`create`] stores (input checked, password hashed), not stored yet: for a
/// caller that stores it with other writes.
pub async fn prepare(
    ctx: &Ctx,
    org: &OrgId,
    input: NewUser,
    activate: bool,
) -> Result<User, CoreError> {
    input.profile.validate()?;
    if input.group_ids.len() > 100 {
        return Err(CoreError::invalid("groupIds", "at most 100 groups"));
    }
    let password_hash = match input.password {
        Some(p) => Some(hash_password(ctx, p).await?),
        None => None,
    };
    let now = ctx.clock.now();
    let status = match (activate, password_hash.is_some()) {
        (false, _) => UserStatus::Staged,
        (true, true) => UserStatus::Active,
        (true, false) => UserStatus::Provisioned,
    };
    Ok(User {
        id: UserId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        status,
        profile: input.profile,
        password_changed: password_hash.as_ref().map(|_| now),
        password_hash,
        created: now,
        activated: activate.then_some(now),
        status_changed: activate.then_some(now),
        last_login: None,
        last_updated: now,
        failed_logins: 0,
        token_gen: 0,
    })
}

/// A user by id, or by login when the argument is not an id (as Okta allows).
pub async fn get(ctx: &Ctx, org: &OrgId, id_or_login: &str) -> Result<User, CoreError> {
    let found = match UserId::parse(id_or_login) {
        Ok(id) => ctx.store.user_by_id(org, &id).await?,
        Err(_) => ctx.store.user_by_login(org, id_or_login).await?,
    };
    found.ok_or_else(|| {
        CoreError::NotFound(format!(
            "user '{}'",
            id_or_login.chars().take(100).collect::<String>()
        ))
    })
}

/// A page of users.
pub async fn list(
    ctx: &Ctx,
    org: &OrgId,
    query: &UserQuery,
    page: &PageRequest,
) -> Result<Page<User>, CoreError> {
    let items = ctx.store.list_users(org, query, page).await?;
    Ok(Page::from_overfetch(items, page.limit, |u| {
        u.id.to_string()
    }))
}

/// Replaces the profile (and the password when one is given). Only those are written: a
/// status change, lockout or sign-in that lands meanwhile is kept, not overwritten with the
/// copy loaded here.
pub async fn update(
    ctx: &Ctx,
    org: &OrgId,
    id_or_login: &str,
    profile: UserProfile,
    password: Option<Secret<String>>,
) -> Result<User, CoreError> {
    profile.validate()?;
    let user = get(ctx, org, id_or_login).await?;
    let hash = match password {
        Some(p) => Some(hash_password(ctx, p).await?),
        None => None,
    };
    let now = ctx.clock.now();
    ctx.store
        .update_user_profile(
            org,
            &user.id,
            &profile,
            hash.as_ref().map(|h| (h, now)),
            now,
        )
        .await
        .map_err(login_conflict)?
        .ok_or_else(|| CoreError::NotFound("user".into()))
}

/// Ends every session of a user (the user stays as they are) and, with `revoke_tokens`,
/// revokes every OAuth token issued to them.
pub async fn end_sessions(
    ctx: &Ctx,
    org: &OrgId,
    id_or_login: &str,
    revoke_tokens: bool,
) -> Result<(), CoreError> {
    let user = get(ctx, org, id_or_login).await?;
    ctx.store
        .delete_user_sessions(org, &user.id, revoke_tokens)
        .await?;
    Ok(())
}

/// Lifecycle transitions of the Users API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// STAGED/PROVISIONED/DEPROVISIONED → ACTIVE (PROVISIONED without a password).
    Activate,
    /// Any but DEPROVISIONED → DEPROVISIONED.
    Deactivate,
    /// LOCKED_OUT → ACTIVE, failed attempts reset.
    Unlock,
}

impl Lifecycle {
    /// Parses the path segment.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "activate" => Some(Self::Activate),
            "deactivate" => Some(Self::Deactivate),
            "unlock" => Some(Self::Unlock),
            _ => None,
        }
    }
}

/// How often a lifecycle transition is tried again when the status changed between its read
/// and its write.
const LIFECYCLE_TRIES: usize = 3;

/// Applies a lifecycle transition. The write is a compare-and-set on the status the
/// transition was decided from: when another change (a deactivation, a lockout) lands in
/// between, the transition is decided again from the new status instead of overwriting it.
pub async fn lifecycle(
    ctx: &Ctx,
    org: &OrgId,
    id_or_login: &str,
    op: Lifecycle,
) -> Result<User, CoreError> {
    for _ in 0..LIFECYCLE_TRIES {
        let mut user = get(ctx, org, id_or_login).await?;
        let Some(next) = transition(op, &user)? else {
            // PROVISIONED without a password stays PROVISIONED: nothing to do.
            return Ok(user);
        };
        let now = ctx.clock.now();
        let change = StatusChange {
            org,
            id: &user.id,
            from: user.status,
            to: next,
            now,
            activation: op == Lifecycle::Activate,
            reset_failed: op == Lifecycle::Unlock,
        };
        if !ctx.store.change_user_status(&change).await? {
            continue;
        }
        user.status = next;
        user.status_changed = Some(now);
        user.last_updated = now;
        if op == Lifecycle::Activate && user.activated.is_none() {
            user.activated = Some(now);
        }
        if op == Lifecycle::Unlock {
            user.failed_logins = 0;
        }
        return Ok(user);
    }
    Err(CoreError::Conflict(
        "The user's status kept changing; try again".into(),
    ))
}

/// The status `op` moves `user` to; None when there is nothing to do.
fn transition(op: Lifecycle, user: &User) -> Result<Option<UserStatus>, CoreError> {
    let next = match (op, user.status) {
        (
            Lifecycle::Activate,
            UserStatus::Staged | UserStatus::Provisioned | UserStatus::Deprovisioned,
        ) => {
            if user.password_hash.is_some() {
                UserStatus::Active
            } else {
                UserStatus::Provisioned
            }
        }
        (Lifecycle::Activate, s) => {
            return Err(CoreError::Conflict(format!(
                "Activation failed because the user is {}",
                s.as_str()
            )));
        }
        (Lifecycle::Deactivate, UserStatus::Deprovisioned) => {
            return Err(CoreError::Conflict(
                "The user is already deactivated".into(),
            ));
        }
        (Lifecycle::Deactivate, _) => UserStatus::Deprovisioned,
        (Lifecycle::Unlock, UserStatus::LockedOut) => UserStatus::Active,
        (Lifecycle::Unlock, s) => {
            return Err(CoreError::Conflict(format!(
                "Unlock failed because the user is {}, not LOCKED_OUT",
                s.as_str()
            )));
        }
    };
    if next == user.status && op == Lifecycle::Activate {
        return Ok(None);
    }
    Ok(Some(next))
}

/// What [`delete`] did: Okta deactivates an active user on the first DELETE and removes a
/// deactivated one on the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The user was deactivated.
    Deactivated,
    /// The user is gone.
    Removed,
}

/// Deletes a user (deactivating first, as Okta does).
pub async fn delete(ctx: &Ctx, org: &OrgId, id_or_login: &str) -> Result<Deleted, CoreError> {
    let user = get(ctx, org, id_or_login).await?;
    if user.status != UserStatus::Deprovisioned {
        lifecycle(ctx, org, user.id.as_str(), Lifecycle::Deactivate).await?;
        return Ok(Deleted::Deactivated);
    }
    if !ctx.store.delete_user(org, &user.id).await? {
        return Err(CoreError::NotFound("user".into()));
    }
    Ok(Deleted::Removed)
}
