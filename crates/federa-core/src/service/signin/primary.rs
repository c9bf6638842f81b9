//! Primary authentication (CONTRACT §6): the identifier step, which consults the routing rules,
//! and the password step, with lockout, one generic failure message and equal work for unknown
//! users.

use super::*;

/// Identifier step: remembers the username (whether or not such a user exists) and moves to
/// the password step. Routing rules are consulted here; federation to an IdP plugs in when IdP
/// objects exist.
pub async fn identify(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    username: &str,
) -> Result<Advance, CoreError> {
    expect_step(
        flow,
        matches!(flow.state.step, Step::Identify | Step::Password),
    )?;
    let username = username.trim();
    if username.is_empty()
        || username.chars().count() > MAX_INPUT
        || username.chars().any(char::is_control)
    {
        flow.state.error = Some("Enter your username.".into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    flow.state.login = Some(username.to_string());
    // Routing rules: one IdP and no local sign-in → straight to the IdP.
    let (idps, local) = routing(ctx, org, flow, username).await?;
    if !local && idps.len() == 1 {
        save(ctx, flow).await?;
        return Ok(Advance::Federate {
            idp: idps[0].id.clone(),
        });
    }
    flow.state.step = Step::Password;
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// Password step. Failures are counted on the user (lockout at [`LOCKOUT_THRESHOLD`]) and answer
/// one generic message; unknown users cost the same hashing work as known ones.
pub async fn password(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    password: Secret<String>,
    client: &Client,
) -> Result<Advance, CoreError> {
    expect_step(flow, flow.state.step == Step::Password)?;
    let login = flow.state.login.clone().unwrap_or_default();
    // The user is read while the attempt is counted (two connections at once).
    let (throttled, user) = tokio::join!(
        throttle(ctx, org, client, "signin", &login),
        users::get(ctx, &org.id, &login)
    );
    if let Some(msg) = throttled? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    if password.expose().is_empty() {
        flow.state.error = Some(GENERIC_FAILURE.into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    // No password is that long: a failed attempt like any other (logged and counted), without
    // hashing it, for known and unknown users alike.
    let overlong = password.expose().chars().count() > MAX_INPUT;
    let user = user.ok();
    // For a user who can sign in, what the policies need is read while the hash is computed;
    // unknown and inactive users cost the same hashing work, so timing does not tell them apart.
    let (ok, facts) = match &user {
        _ if overlong => (false, None),
        Some(u) if u.status == UserStatus::Active => match &u.password_hash {
            Some(h) => {
                let (ok, facts) = tokio::join!(
                    ctx.hasher.verify(password, h.clone()),
                    PolicyFacts::load(ctx, org, u, flow.state.app_id.as_ref())
                );
                (ok, Some(facts))
            }
            None => (false, None),
        },
        _ => {
            let _ = ctx.hasher.hash(password, ctx.random()).await;
            (false, None)
        }
    };
    match (ok, user) {
        (true, Some(mut u)) => {
            let facts = facts.transpose()?;
            let mut pending = Pending::default();
            if u.failed_logins != 0 {
                u.failed_logins = 0;
                pending.reset_failed = true;
            }
            let v = local_verification(
                &AuthenticatorKey::OktaPassword,
                &MethodType::Password,
                MethodFlags::default(),
                ctx.clock.now(),
            )
            .map_err(|e| CoreError::Internal(e.to_string()))?;
            pending.events.push(event(
                ctx,
                org,
                client,
                "user.authentication.auth_via_password",
                "Verify user password",
                OutcomeResult::Success,
                None,
                Some(&u),
                None,
                Default::default(),
            )?);
            flow.state.user_id = Some(u.id.clone());
            flow.state.verifications.push(v);
            let flow_cookie = rotate(ctx, flow);
            match advance_with(ctx, org, flow, client, u, facts, pending).await? {
                Advance::Continue => Ok(Advance::ContinueWith { flow_cookie }),
                other => Ok(other),
            }
        }
        (_, user) => {
            let reason = match &user {
                None => "UNKNOWN_USER",
                Some(u) if u.status == UserStatus::LockedOut => "LOCKED_OUT",
                Some(u) if u.status != UserStatus::Active => "USER_NOT_ACTIVE",
                Some(_) => "INVALID_CREDENTIALS",
            };
            log(
                ctx,
                org,
                client,
                "user.session.start",
                "User login to Federa",
                OutcomeResult::Failure,
                Some(reason),
                user.as_ref(),
                Some(&login),
                Default::default(),
            )
            .await?;
            if let Some(u) = user
                && u.status == UserStatus::Active
            {
                // Counted from the stored value in one statement: parallel guesses all count,
                // and nothing else of the row (changed meanwhile, perhaps) is written.
                let counted = ctx
                    .store
                    .record_failed_sign_in(&org.id, &u.id, LOCKOUT_THRESHOLD, ctx.clock.now())
                    .await?;
                if counted.is_some_and(|c| c.locked) {
                    log(
                        ctx,
                        org,
                        client,
                        "user.account.lock",
                        "Max sign in attempts exceeded",
                        OutcomeResult::Success,
                        Some("LOCKED_OUT"),
                        Some(&u),
                        None,
                        Default::default(),
                    )
                    .await?;
                }
            }
            flow.state.error = Some(GENERIC_FAILURE.into());
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}
