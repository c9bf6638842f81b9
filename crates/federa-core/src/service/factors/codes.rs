//! One-time codes of SMS, voice and email factors (CONTRACT §2 user factors, §7): a uniformly
//! drawn 6-digit code, stored only as the SHA-256 of its id and value, valid for
//! [`CODE_TTL_MS`](super::CODE_TTL_MS), and the message that delivers it on the factor's
//! channel.

use super::{CODE_TTL_MS, FactorType, UserFactor};
use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Channel, OneTimeCode};
use crate::notify::Notification;
use crate::system::sha256_hex;
use federa_types::Secret;

/// A fresh 6-digit code, uniformly drawn.
fn random_code(ctx: &Ctx) -> String {
    loop {
        let n = u32::from_be_bytes(ctx.random::<4>());
        // 4_294_000_000 is the largest multiple of 10^6 below 2^32: no modulo bias.
        if n < 4_294_000_000 {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

pub(super) fn code_hash(code_id: &str, code: &str) -> String {
    sha256_hex(format!("{code_id}:{code}").as_bytes())
}

/// A new code for `factor` (to store) and its plaintext (to send).
pub(super) fn new_code(ctx: &Ctx, factor: &UserFactor) -> (OneTimeCode, Secret<String>) {
    let now = ctx.clock.now();
    let id = format!(
        "otc{}",
        federa_types::id::random_base62(ctx.rng.as_ref(), 17)
    );
    let code = random_code(ctx);
    let row = OneTimeCode {
        code_hash: code_hash(&id, &code),
        id,
        org_id: factor.org_id.clone(),
        factor_id: factor.id.clone(),
        created: now,
        expires: now.plus_millis(CODE_TTL_MS),
        attempts: 0,
        used: false,
    };
    (row, Secret::new(code))
}

/// The message carrying `code` for `factor`.
fn code_message(factor: &UserFactor, code: &Secret<String>) -> Option<Notification> {
    let minutes = CODE_TTL_MS / 60_000;
    let c = code.expose();
    let (channel, to, subject, body) = match factor.factor_type {
        FactorType::Email => (
            Channel::Email,
            factor.profile.email.clone()?,
            "Your verification code".to_string(),
            format!(
                "Your verification code is {c}. It expires in {minutes} minutes.\n\n\
                 If you did not ask for it, you can ignore this message."
            ),
        ),
        FactorType::Sms => (
            Channel::Sms,
            factor.profile.phone_number.clone()?,
            "Verification code".to_string(),
            format!("Your verification code is {c}. It expires in {minutes} minutes."),
        ),
        FactorType::Call => {
            let spoken = c.chars().map(String::from).collect::<Vec<_>>().join(" ");
            (
                Channel::Voice,
                factor.profile.phone_number.clone()?,
                "Verification call".to_string(),
                format!("Your verification code is {spoken}. Again: {spoken}."),
            )
        }
        FactorType::Totp | FactorType::Question => return None,
    };
    Some(Notification {
        channel,
        to,
        subject,
        body: Secret::new(body),
    })
}

pub(super) async fn send_code(
    ctx: &Ctx,
    factor: &UserFactor,
    code: &Secret<String>,
) -> Result<(), CoreError> {
    if let Some(msg) = code_message(factor, code) {
        ctx.notifier.send(&factor.org_id, msg).await?;
    }
    Ok(())
}
