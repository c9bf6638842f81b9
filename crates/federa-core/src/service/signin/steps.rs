//! The steps after the password: choosing an authenticator among the engine's options,
//! verifying an enrolled factor, enrolling one on the spot, and going back to the choice.

use super::*;

/// Whether the pages can challenge or enroll `key`/`method`.
pub(super) fn can_do_here(key: &str, method: &str) -> bool {
    factor_kind(key, method).is_some()
        || (key == webauthn::AUTHENTICATOR_KEY && method == "webauthn")
}

/// The factor type and provider that enroll `key`/`method`.
pub(super) fn factor_kind(key: &str, method: &str) -> Option<(FactorType, FactorProvider)> {
    Some(match (key, method) {
        ("google_otp", _) => (FactorType::Totp, FactorProvider::Google),
        ("okta_verify", "totp" | "otp") => (FactorType::Totp, FactorProvider::Okta),
        ("phone_number", "sms") => (FactorType::Sms, FactorProvider::Okta),
        ("phone_number", "voice") => (FactorType::Call, FactorProvider::Okta),
        ("okta_email", _) => (FactorType::Email, FactorProvider::Okta),
        ("security_question", _) => (FactorType::Question, FactorProvider::Okta),
        _ => return None,
    })
}

pub(super) fn flow_user(flow: &Flow) -> Result<UserId, CoreError> {
    flow.state
        .user_id
        .clone()
        .ok_or_else(|| CoreError::Conflict("sign in with your password first".into()))
}

pub(super) fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((l, d)) => format!("{}…@{d}", l.chars().next().unwrap_or('?')),
        None => "your email address".into(),
    }
}

pub(super) fn mask_phone(p: &str) -> String {
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits
        .chars()
        .rev()
        .take(2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("the phone number ending in {tail}")
}

/// Picks an option of the Choose step: challenges an enrolled factor (sending a code when the
/// factor uses codes) or starts enrolling one.
pub async fn choose(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    option: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Choose { options } = &flow.state.step else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let choice = option
        .parse::<usize>()
        .ok()
        .and_then(|i| options.get(i))
        .cloned()
        .ok_or_else(|| CoreError::invalid("option", "Choose one of the listed options."))?;
    let user = flow_user(flow)?;
    if choice.authenticator_key == webauthn::AUTHENTICATOR_KEY {
        let has = !webauthn::list(ctx, &org.id, &user).await?.is_empty();
        flow.state.step = Step::Passkey {
            register: !has,
            display: choice.display,
        };
        flow.state.ceremony = None;
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let kind = factor_kind(&choice.authenticator_key, &choice.method_type);
    let enrolled = factors::active(ctx, &org.id, &user).await?;
    let existing = kind.and_then(|(t, p)| {
        enrolled
            .iter()
            .find(|f| f.factor_type == t && (t != FactorType::Totp || f.provider == p))
            .cloned()
    });
    // Sending codes costs money and reaches people: limited per user and per client address.
    if let Some(msg) = throttle(ctx, org, client, "send", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    match (existing, kind) {
        (Some(f), _) => {
            factors::challenge(ctx, &org.id, &user, f.id.as_str()).await?;
            let (prompt, answer) = match f.factor_type {
                FactorType::Question => (
                    f.profile.question_text.clone().unwrap_or_default(),
                    AnswerKind::Answer,
                ),
                FactorType::Email => (
                    format!(
                        "We sent a code to {}.",
                        mask_email(f.profile.email.as_deref().unwrap_or(""))
                    ),
                    AnswerKind::Code,
                ),
                FactorType::Sms | FactorType::Call => (
                    format!(
                        "We sent a code to {}.",
                        mask_phone(f.profile.phone_number.as_deref().unwrap_or(""))
                    ),
                    AnswerKind::Code,
                ),
                FactorType::Totp => (
                    "Enter the code from your authenticator app.".to_string(),
                    AnswerKind::Code,
                ),
            };
            flow.state.step = Step::Verify {
                factor_id: f.id.to_string(),
                authenticator_key: choice.authenticator_key,
                method_type: choice.method_type,
                display: choice.display,
                prompt,
                answer,
            };
        }
        (None, Some(_)) if choice.needs_enrollment => {
            flow.state.step = Step::Enroll {
                authenticator_key: choice.authenticator_key,
                method_type: choice.method_type,
                display: choice.display,
                pending_factor: None,
                secret: None,
                otpauth_uri: None,
                qr_svg: None,
            };
            // Factors that need no input from the person are created right away.
            if matches!(
                kind,
                Some((FactorType::Totp, _)) | Some((FactorType::Email, _))
            ) {
                return enroll(ctx, org, flow, &std::collections::HashMap::new(), client).await;
            }
        }
        _ => {
            flow.state.error = Some("That option cannot be used here. Choose another.".into());
        }
    }
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// Checks the answer of the Verify step; a correct one is credited and the policy evaluated
/// again, a wrong one shows one generic message (the attempt is counted by the factor).
pub async fn verify(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    answer: &str,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Verify { factor_id, .. } = &flow.state.step else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let factor_id = factor_id.clone();
    let user = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let answer = answer.trim();
    if answer.is_empty() || answer.chars().count() > MAX_INPUT {
        flow.state.error = Some("Enter the code or answer.".into());
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    match factors::verify(ctx, &org.id, &user, factor_id.as_str(), answer).await? {
        Some(v) => {
            let u = users::get(ctx, &org.id, user.as_str()).await?;
            let mut debug = serde_json::Map::new();
            debug.insert("factor".into(), factor_id.clone().into());
            log(
                ctx,
                org,
                client,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                OutcomeResult::Success,
                None,
                Some(&u),
                None,
                debug,
            )
            .await?;
            flow.state.verifications.push(v);
            advance(ctx, org, flow, client).await
        }
        None => {
            let u = users::get(ctx, &org.id, user.as_str()).await?;
            let mut debug = serde_json::Map::new();
            debug.insert("factor".into(), factor_id.clone().into());
            log(
                ctx,
                org,
                client,
                "user.authentication.auth_via_mfa",
                "Authentication of user via MFA",
                OutcomeResult::Failure,
                Some("INVALID_CREDENTIALS"),
                Some(&u),
                None,
                debug,
            )
            .await?;
            flow.state.error = Some("That code or answer did not work. Try again.".into());
            save(ctx, flow).await?;
            Ok(Advance::Continue)
        }
    }
}

/// The Enroll step: creates the factor (asking for a phone number or a question first when
/// needed), then activates it with a code; a completed enrollment counts as a verification.
pub async fn enroll(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    form: &std::collections::HashMap<String, String>,
    client: &Client,
) -> Result<Advance, CoreError> {
    let Step::Enroll {
        authenticator_key,
        method_type,
        display,
        pending_factor,
        ..
    } = flow.state.step.clone()
    else {
        return Err(CoreError::Conflict(format!(
            "this sign-in is at another step ({})",
            step_name(&flow.state.step)
        )));
    };
    let user_id = flow_user(flow)?;
    if let Some(msg) = throttle(ctx, org, client, "verify", user_id.as_str()).await? {
        flow.state.error = Some(msg);
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    let field = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let Some((ftype, provider)) = factor_kind(&authenticator_key, &method_type) else {
        return Err(CoreError::invalid(
            "authenticator",
            "this authenticator cannot be enrolled here",
        ));
    };
    if let Some(pending) = pending_factor {
        let code = field("answer");
        return match factors::activate(ctx, &org.id, &user_id, pending.as_str(), &code).await {
            Ok(f) => {
                let u = users::get(ctx, &org.id, user_id.as_str()).await?;
                log_factor_activated(ctx, org, client, &u, f.factor_type.as_str()).await?;
                if let Some((key, method)) =
                    factors::authenticator_of(f.factor_type.as_str(), f.provider.as_str())
                {
                    let v =
                        local_verification(&key, &method, MethodFlags::default(), ctx.clock.now())
                            .map_err(|e| CoreError::Internal(e.to_string()))?;
                    flow.state.verifications.push(v);
                }
                advance(ctx, org, flow, client).await
            }
            Err(CoreError::InvalidPasscode) => {
                flow.state.error = Some("That code did not work. Try again.".into());
                save(ctx, flow).await?;
                Ok(Advance::Continue)
            }
            Err(e) => Err(e),
        };
    }
    let user = users::get(ctx, &org.id, user_id.as_str()).await?;
    let mut profile = FactorProfile::default();
    match ftype {
        FactorType::Email => profile.email = Some(user.profile.email.clone()),
        FactorType::Sms | FactorType::Call => {
            let phone = field("phone");
            if phone.is_empty() {
                flow.state.error = Some("Enter your phone number.".into());
                save(ctx, flow).await?;
                return Ok(Advance::Continue);
            }
            profile.phone_number = Some(phone);
        }
        FactorType::Question => {
            profile.question = Some("custom".into());
            profile.question_text = Some(field("question"));
        }
        FactorType::Totp => {}
    }
    let input = EnrollFactor {
        factor_type: ftype,
        provider,
        profile,
        answer: (ftype == FactorType::Question).then(|| Secret::new(field("answer"))),
    };
    let enrolled = match factors::enroll(ctx, &org.id, &user_id, input).await {
        Ok(e) => e,
        Err(CoreError::Validation(errs)) => {
            flow.state.error = Some(
                errs.first()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "That did not work.".into()),
            );
            save(ctx, flow).await?;
            return Ok(Advance::Continue);
        }
        Err(e) => return Err(e),
    };
    if enrolled.factor.status == FactorStatus::Active {
        // Security questions are active at once: answering them at enrollment verified them.
        let v = local_verification(
            &AuthenticatorKey::SecurityQuestion,
            &MethodType::SecurityQuestion,
            MethodFlags::default(),
            ctx.clock.now(),
        )
        .map_err(|e| CoreError::Internal(e.to_string()))?;
        flow.state.verifications.push(v);
        return advance(ctx, org, flow, client).await;
    }
    let totp = match &enrolled.activation {
        Activation::Totp {
            shared_secret,
            otpauth_uri,
            qr_svg,
        } => Some((
            shared_secret.expose().clone(),
            otpauth_uri.expose().clone(),
            qr_svg.expose().clone(),
        )),
        _ => None,
    };
    flow.state.step = Step::Enroll {
        authenticator_key,
        method_type,
        display,
        pending_factor: Some(enrolled.factor.id.to_string()),
        secret: totp.as_ref().map(|t| t.0.clone()),
        otpauth_uri: totp.as_ref().map(|t| t.1.clone()),
        qr_svg: totp.as_ref().map(|t| t.2.clone()),
    };
    save(ctx, flow).await?;
    Ok(Advance::Continue)
}

/// "Verify another way": back to the choice of authenticators.
pub async fn back(
    ctx: &Ctx,
    org: &Org,
    flow: &mut Flow,
    client: &Client,
) -> Result<Advance, CoreError> {
    if flow.state.user_id.is_none() {
        flow.state.step = Step::Identify;
        save(ctx, flow).await?;
        return Ok(Advance::Continue);
    }
    advance(ctx, org, flow, client).await
}
