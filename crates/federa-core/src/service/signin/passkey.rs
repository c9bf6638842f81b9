//! The Passkey step: the WebAuthn ceremony started for the browser and finished with its
//! credential (a new passkey or an assertion of an existing one).

use super::*;

/// Starts the WebAuthn ceremony of a Passkey step; returns the options for
/// `navigator.credentials.create` (register) or `.get`, and remembers the ceremony in the flow.
pub async fn passkey_options(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    rp: &webauthn::RelyingParty,
) -> Result<serde_json::Value, CoreError> {
    let Step::Passkey { register, .. } = flow.state.step.clone() else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user = flow_user(flow)?;
    let (ceremony, options) = if register {
        webauthn::start_registration(ctx, &org.id, &user, rp).await?
    } else {
        webauthn::start_authentication(ctx, &org.id, Some(&user), rp).await?
    };
    flow.state.ceremony = Some(ceremony.as_str().to_string());
    save(ctx, flow).await?;
    Ok(
        serde_json::json!({ "mode": if register { "register" } else { "authenticate" }, "options": options }),
    )
}

/// Finishes the WebAuthn ceremony of a Passkey step with the browser's credential JSON. A new
/// passkey (created with user verification) or a valid assertion of one of the user's passkeys
/// is credited; anything else shows a generic message.
pub async fn passkey_finish(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    rp: &webauthn::RelyingParty,
    credential: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Passkey { register, .. } = flow.state.step.clone() else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let u = users::get(ctx, &org.id, user.as_str()).await?;
    let ceremony = flow.state.ceremony.take();
    let json = serde_json::from_str::<serde_json::Value>(credential);
    let outcome: Result<FactorVerification, &str> = match (ceremony, json) {
        (None, _) => Err("no passkey ceremony in progress"),
        (Some(_), Err(_)) => Err("malformed credential"),
        (Some(ceremony), Ok(json)) => {
            let ceremony = webauthn::CeremonyId::new(ceremony);
            if register {
                match webauthn::finish_registration(ctx, &org.id, &user, rp, &ceremony, &json).await
                {
                    Ok(info) => {
                        log_factor_activated(ctx, org, client, &u, "webauthn").await?;
                        Ok(local_verification(
                            &AuthenticatorKey::Webauthn,
                            &MethodType::Webauthn,
                            MethodFlags {
                                user_verified: info.user_verified,
                                ..MethodFlags::default()
                            },
                            ctx.clock.now(),
                        )
                        .map_err(|e| CoreError::Internal(e.to_string()))?)
                    }
                    Err(CoreError::Validation(_) | CoreError::Conflict(_)) => {
                        Err("passkey registration not verified")
                    }
                    Err(e) => return Err(e),
                }
            } else {
                match webauthn::finish_authentication(ctx, &org.id, rp, &ceremony, &json).await {
                    Ok(Some((owner, v))) if owner == user => Ok(v),
                    Ok(Some(_)) => Err("a passkey of another user"),
                    Ok(None) | Err(CoreError::Validation(_)) => {
                        Err("passkey assertion not verified")
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    };
    let (result, reason) = match &outcome {
        Ok(_) => (OutcomeResult::Success, None),
        Err(why) => (OutcomeResult::Failure, Some(*why)),
    };
    log(
        ctx,
        org,
        client,
        "user.authentication.auth_via_mfa",
        "Authentication of user via MFA (passkey)",
        result,
        reason,
        Some(&u),
        None,
        Default::default(),
    )
    .await?;
    match outcome {
        Ok(v) => {
            flow.state.verifications.push(v);
            advance(ctx, org, flow, client).await
        }
        Err(_) => {
            flow.state.error =
                Some("That passkey did not work. Try again or choose another way.".into());
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}
