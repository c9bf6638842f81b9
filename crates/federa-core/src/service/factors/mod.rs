//! User factors (CONTRACT §2 user factors, §7; issue 4 "Local sign-in"): enrollment,
//! activation, challenge and verification of TOTP (RFC 6238), SMS, voice, email and
//! security-question factors, and which authenticator and method each factor is.
//!
//! Secrets at rest: TOTP seeds are sealed with the master key (purpose [`TOTP_PURPOSE`]);
//! security answers are normalised (trimmed, inner whitespace collapsed, case-folded) and hashed
//! with Argon2id; one-time codes are stored as SHA-256 of the code id and the code, and compared
//! in constant time. Codes are single use, expire after [`CODE_TTL_MS`], allow
//! [`MAX_CODE_ATTEMPTS`] attempts, and a new challenge supersedes the previous code. TOTP: SHA-1,
//! 6 digits, 30 s steps, ±1 step of skew, and each step accepted at most once. Every wrong
//! answer counts; [`MAX_FAILURES`] in a row lock the factor for [`LOCK_MS`].

//!
//! Layout: this module holds the factor types, enrollment, activation, challenge and
//! verification; `profile` checks the profile a new factor is enrolled with, `question` the
//! security questions, `codes` the one-time codes of SMS, voice and email factors, `totp` the
//! TOTP seed, key URI and QR code.

mod codes;
mod profile;
mod question;
mod totp;

use codes::{code_hash, new_code, send_code};
use profile::checked_profile;
pub use profile::normalize_phone;
pub use question::{CUSTOM_QUESTION, QUESTIONS, normalize_answer};
pub use totp::svg_data_uri;
use totp::{otpauth_uri, qr_svg, totp_of};

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Channel, LifecycleStatus, Org, User};
use crate::ports::StoreError;
use crate::system::constant_time_eq;
use federa_claims::{AuthenticatorKey, FactorVerification, MethodFlags, MethodType};
use federa_types::{FactorId, OrgId, Secret, Timestamp, UserId};

pub use crate::model::{FactorProfile, FactorProvider, FactorStatus, FactorType, UserFactor};

/// Purpose string of sealed TOTP seeds.
pub const TOTP_PURPOSE: &str = "totp-seed";
/// TOTP time step in seconds.
pub const TOTP_STEP_SECONDS: u64 = 30;
/// TOTP code length.
pub const TOTP_DIGITS: u8 = 6;
/// TOTP seed length in bytes (160 bits, RFC 4226 §4).
pub const TOTP_KEY_BYTES: usize = 20;
/// Lifetime of an SMS, voice or email code.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Attempts allowed on one code.
pub const MAX_CODE_ATTEMPTS: i64 = 5;
/// Consecutive wrong answers that lock a factor.
pub const MAX_FAILURES: i64 = 10;
/// How long a locked factor refuses every answer.
pub const LOCK_MS: i64 = 15 * 60 * 1000;
/// Shortest accepted security answer (after normalisation), as Okta.
pub const MIN_ANSWER_LEN: usize = 4;
const MAX_TEXT_LEN: usize = 200;

fn typed_authenticator(t: FactorType, p: FactorProvider) -> Option<(AuthenticatorKey, MethodType)> {
    use FactorProvider::{Google, Okta};
    Some(match (t, p) {
        // Google Authenticator's method is `otp` in Okta's vocabulary (federa-claims catalogue).
        (FactorType::Totp, Google) => (AuthenticatorKey::GoogleOtp, MethodType::Otp),
        (FactorType::Totp, Okta) => (AuthenticatorKey::OktaVerify, MethodType::Totp),
        (FactorType::Sms, Okta) => (AuthenticatorKey::PhoneNumber, MethodType::Sms),
        (FactorType::Call, Okta) => (AuthenticatorKey::PhoneNumber, MethodType::Voice),
        (FactorType::Email, Okta) => (AuthenticatorKey::OktaEmail, MethodType::Email),
        (FactorType::Question, Okta) => (
            AuthenticatorKey::SecurityQuestion,
            MethodType::SecurityQuestion,
        ),
        _ => return None,
    })
}

/// The authenticator and method a factor of `factor_type` from `provider` is (CONTRACT §7):
/// TOTP from GOOGLE `google_otp`/`otp`, from OKTA `okta_verify`/`totp`; `sms` and `call`
/// `phone_number`/`sms`|`voice`; `email` `okta_email`/`email`; `question`
/// `security_question`/`security_question`. None for unknown or impossible pairs.
pub fn authenticator_of(
    factor_type: &str,
    provider: &str,
) -> Option<(AuthenticatorKey, MethodType)> {
    typed_authenticator(
        FactorType::parse(factor_type)?,
        FactorProvider::parse(provider)?,
    )
}

impl UserFactor {
    /// The authenticator and method of this factor.
    pub fn authenticator(&self) -> Option<(AuthenticatorKey, MethodType)> {
        typed_authenticator(self.factor_type, self.provider)
    }
}

/// Input of [`enroll`].
#[derive(Debug, Clone)]
pub struct EnrollFactor {
    /// What kind of factor.
    pub factor_type: FactorType,
    /// Who issues it.
    pub provider: FactorProvider,
    /// Phone number, email, question as the type needs.
    pub profile: FactorProfile,
    /// `question`: the answer.
    pub answer: Option<Secret<String>>,
}

impl EnrollFactor {
    /// Parses the wire values, naming the offending field. Without a provider, `OKTA`.
    pub fn parse(
        factor_type: &str,
        provider: Option<&str>,
        profile: FactorProfile,
        answer: Option<Secret<String>>,
    ) -> Result<Self, CoreError> {
        let t = FactorType::parse(factor_type).ok_or_else(|| {
            CoreError::invalid(
                "factorType",
                format!(
                    "unknown factorType '{}': use token:software:totp, sms, call, email or question",
                    clip(factor_type, 40)
                ),
            )
        })?;
        let p = match provider {
            None | Some("") => FactorProvider::Okta,
            Some(p) => FactorProvider::parse(p).ok_or_else(|| {
                CoreError::invalid(
                    "provider",
                    format!("unknown provider '{}': use OKTA or GOOGLE", clip(p, 40)),
                )
            })?,
        };
        if typed_authenticator(t, p).is_none() {
            return Err(CoreError::invalid(
                "provider",
                format!("{} is not a provider of {} factors", p.as_str(), t.as_str()),
            ));
        }
        Ok(Self {
            factor_type: t,
            provider: p,
            profile,
            answer,
        })
    }
}

/// What the user needs to activate a new factor.
#[derive(Debug, Clone)]
pub enum Activation {
    /// TOTP: the seed to put into the app.
    Totp {
        /// Base32 seed (no padding).
        shared_secret: Secret<String>,
        /// `otpauth://totp/...` URI.
        otpauth_uri: Secret<String>,
        /// The URI as a QR code (SVG document).
        qr_svg: Secret<String>,
    },
    /// SMS, voice, email: a code was sent.
    CodeSent {
        /// Channel.
        channel: Channel,
        /// Recipient.
        to: String,
        /// When the code stops working.
        expires_at: Timestamp,
    },
    /// Nothing to do (security question: active at once).
    None,
}

/// Result of [`enroll`].
#[derive(Debug, Clone)]
pub struct EnrolledFactor {
    /// The factor as stored.
    pub factor: UserFactor,
    /// Activation data (shown once; never stored in clear).
    pub activation: Activation,
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn not_found(id: &str) -> CoreError {
    CoreError::NotFound(format!("factor '{}'", clip(id, 100)))
}

/// The user's factors, oldest first.
pub async fn list(ctx: &Ctx, org: &OrgId, user: &UserId) -> Result<Vec<UserFactor>, CoreError> {
    Ok(ctx.store.list_factors(org, user).await?)
}

/// The user's ACTIVE factors, oldest first.
pub async fn active(ctx: &Ctx, org: &OrgId, user: &UserId) -> Result<Vec<UserFactor>, CoreError> {
    let mut all = list(ctx, org, user).await?;
    all.retain(|f| f.status == FactorStatus::Active);
    Ok(all)
}

/// One factor of the user (404 for unknown ids and other users' or orgs' factors).
pub async fn get(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    factor: &str,
) -> Result<UserFactor, CoreError> {
    let id = FactorId::parse(factor).ok_or_else(|| not_found(factor))?;
    ctx.store
        .factor_by_id(org, user, &id)
        .await?
        .ok_or_else(|| not_found(factor))
}

async fn user_of(ctx: &Ctx, org: &OrgId, user: &UserId) -> Result<User, CoreError> {
    ctx.store
        .user_by_id(org, user)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("user '{user}'")))
}

async fn org_of(ctx: &Ctx, org: &OrgId) -> Result<Org, CoreError> {
    ctx.store
        .org_by_id(org)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("org '{org}'")))
}

/// Refuses enrollment when the org's authenticator for the factor is not ACTIVE.
async fn require_authenticator(
    ctx: &Ctx,
    org: &OrgId,
    input: &EnrollFactor,
) -> Result<(), CoreError> {
    let (key, _) = typed_authenticator(input.factor_type, input.provider)
        .ok_or_else(|| CoreError::invalid("provider", "not a provider of this factor type"))?;
    let all = ctx.store.list_authenticators(org).await?;
    let active = all
        .iter()
        .any(|a| a.key == key.as_str() && a.status == LifecycleStatus::Active);
    if active {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "factorType",
            format!(
                "{} factors cannot be enrolled: the {} authenticator is not active in this org",
                input.factor_type.as_str(),
                key.as_str()
            ),
        ))
    }
}

/// Enrolls a factor. A security question is ACTIVE at once; every other factor is
/// PENDING_ACTIVATION until [`activate`] sees a correct code (SMS, voice and email codes are
/// sent now). Enrolling again while pending replaces the pending factor; an ACTIVE factor of
/// the same type and provider must be deleted first.
pub async fn enroll(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    input: EnrollFactor,
) -> Result<EnrolledFactor, CoreError> {
    let u = user_of(ctx, org, user).await?;
    require_authenticator(ctx, org, &input).await?;
    let profile = checked_profile(&input, &u)?;
    let now = ctx.clock.now();
    let mut factor = UserFactor {
        id: FactorId::generate(ctx.rng.as_ref()),
        org_id: org.clone(),
        user_id: user.clone(),
        factor_type: input.factor_type,
        provider: input.provider,
        status: FactorStatus::PendingActivation,
        profile,
        secret: None,
        last_totp_step: None,
        failed_attempts: 0,
        locked_until: None,
        created: now,
        last_updated: now,
    };
    let mut code = None;
    let activation = match input.factor_type {
        FactorType::Totp => {
            let seed: [u8; TOTP_KEY_BYTES] = ctx.random();
            factor.secret = Some(Secret::new(ctx.secrets.seal(
                ctx.rng.as_ref(),
                TOTP_PURPOSE,
                &seed,
            )?));
            let totp = totp_of(&seed)?;
            let base32 = totp.secret().to_base32();
            let issuer = org_of(ctx, org).await?.name;
            let uri = otpauth_uri(&issuer, &u.profile.login, &base32)?;
            Activation::Totp {
                qr_svg: Secret::new(qr_svg(&uri)?),
                shared_secret: Secret::new(base32),
                otpauth_uri: Secret::new(uri),
            }
        }
        FactorType::Sms | FactorType::Call | FactorType::Email => {
            let (row, plain) = new_code(ctx, &factor);
            let activation = Activation::CodeSent {
                channel: match input.factor_type {
                    FactorType::Email => Channel::Email,
                    FactorType::Call => Channel::Voice,
                    _ => Channel::Sms,
                },
                to: factor
                    .profile
                    .email
                    .clone()
                    .or_else(|| factor.profile.phone_number.clone())
                    .unwrap_or_default(),
                expires_at: row.expires,
            };
            code = Some((row, plain));
            activation
        }
        FactorType::Question => {
            let answer = input
                .answer
                .as_ref()
                .map(|a| normalize_answer(a.expose()))
                .unwrap_or_default();
            let len = answer.chars().count();
            if !(MIN_ANSWER_LEN..=MAX_TEXT_LEN).contains(&len) {
                return Err(CoreError::invalid(
                    "profile.answer",
                    format!("the answer must have {MIN_ANSWER_LEN} to {MAX_TEXT_LEN} characters"),
                ));
            }
            factor.secret = Some(ctx.hasher.hash(Secret::new(answer), ctx.random()).await?);
            factor.status = FactorStatus::Active;
            Activation::None
        }
    };
    ctx.store
        .create_factor(&factor, code.as_ref().map(|c| &c.0))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => CoreError::invalid(
                "factorType",
                format!(
                    "an active {} factor from {} is already enrolled for this user; delete it first",
                    factor.factor_type.as_str(),
                    factor.provider.as_str()
                ),
            ),
            StoreError::MissingReference(what) => CoreError::NotFound(what),
            other => CoreError::Store(other),
        })?;
    if let Some((_, plain)) = &code {
        send_code(ctx, &factor, plain).await?;
    }
    Ok(EnrolledFactor { factor, activation })
}

/// Outcome of checking one answer.
enum Check {
    Correct,
    Wrong,
}

/// Checks `answer` against the factor, consuming the code or TOTP step when correct.
async fn check_answer(ctx: &Ctx, f: &UserFactor, answer: &str) -> Result<Check, CoreError> {
    let now = ctx.clock.now();
    let ok = match f.factor_type {
        FactorType::Totp => {
            let sealed = f
                .secret
                .as_ref()
                .ok_or_else(|| CoreError::Internal(format!("factor {} has no seed", f.id)))?;
            let seed = ctx.secrets.open(TOTP_PURPOSE, sealed.expose())?;
            let totp = totp_of(seed.expose())?;
            let token: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
            let secs = u64::try_from(now.seconds()).unwrap_or(0);
            match totp.check(&token, secs) {
                Some(step) => {
                    let step = i64::try_from(step).unwrap_or(i64::MAX);
                    // Replay protection: a step at or before the last accepted one is refused.
                    ctx.store
                        .accept_totp_step(&f.org_id, &f.id, step, now)
                        .await?
                }
                None => false,
            }
        }
        FactorType::Sms | FactorType::Call | FactorType::Email => {
            let code: String = answer.chars().filter(|c| !c.is_whitespace()).collect();
            match ctx.store.live_code(&f.org_id, &f.id).await? {
                None => false,
                Some(live) => {
                    // The attempt is counted first, so parallel guesses cannot exceed the limit.
                    let counted = ctx
                        .store
                        .count_code_attempt(&f.org_id, &live.id, MAX_CODE_ATTEMPTS, now)
                        .await?;
                    let matches = constant_time_eq(
                        code_hash(&live.id, &code).as_bytes(),
                        live.code_hash.as_bytes(),
                    );
                    counted && matches && ctx.store.use_code(&f.org_id, &live.id).await?
                }
            }
        }
        FactorType::Question => match &f.secret {
            Some(hash) => {
                ctx.hasher
                    .verify(Secret::new(normalize_answer(answer)), hash.clone())
                    .await
            }
            None => false,
        },
    };
    Ok(if ok { Check::Correct } else { Check::Wrong })
}

/// Checks an answer with the lock and the failure counter around it.
async fn guarded_check(ctx: &Ctx, f: &UserFactor, answer: &str) -> Result<bool, CoreError> {
    let now = ctx.clock.now();
    let locked = f.locked_until.is_some_and(|t| now < t);
    let result = if locked {
        Check::Wrong
    } else {
        check_answer(ctx, f, answer).await?
    };
    match result {
        Check::Correct => {
            if f.failed_attempts > 0 || f.locked_until.is_some() {
                ctx.store.reset_factor_failures(&f.org_id, &f.id).await?;
            }
            Ok(true)
        }
        Check::Wrong => {
            if !locked {
                ctx.store
                    .record_factor_failure(
                        &f.org_id,
                        &f.id,
                        MAX_FAILURES,
                        now.plus_millis(LOCK_MS),
                        now,
                    )
                    .await?;
            }
            tracing::info!(factor_id = %f.id, factor_type = f.factor_type.as_str(), locked, "factor verification failed");
            Ok(false)
        }
    }
}

/// Activates a PENDING_ACTIVATION factor with its first code. A wrong, expired or reused code
/// is [`CoreError::InvalidPasscode`] (and counts as a failure); an ACTIVE factor is a conflict.
pub async fn activate(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    factor: &str,
    pass_code: &str,
) -> Result<UserFactor, CoreError> {
    let mut f = get(ctx, org, user, factor).await?;
    if f.status == FactorStatus::Active {
        return Err(CoreError::Conflict("the factor is already active".into()));
    }
    if !guarded_check(ctx, &f, pass_code).await? {
        return Err(CoreError::InvalidPasscode);
    }
    let now = ctx.clock.now();
    if !ctx
        .store
        .set_factor_status(org, &f.id, FactorStatus::Active, now)
        .await?
    {
        return Err(not_found(factor));
    }
    f.status = FactorStatus::Active;
    f.failed_attempts = 0;
    f.locked_until = None;
    f.last_updated = now;
    Ok(f)
}

/// Sends a fresh code for an SMS, voice or email factor (pending or active), superseding any
/// earlier one. Nothing to do for TOTP and security questions.
pub async fn challenge(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    factor: &str,
) -> Result<(), CoreError> {
    let f = get(ctx, org, user, factor).await?;
    if !f.factor_type.sends_codes() {
        return Ok(());
    }
    let (row, plain) = new_code(ctx, &f);
    ctx.store.replace_code(&row).await?;
    send_code(ctx, &f, &plain).await
}

/// Verifies an answer (code, TOTP or security answer) for an ACTIVE factor. Some verification
/// (a local one, CONTRACT §7 characteristics) when correct; None when wrong, expired, reused or
/// the factor is locked — one outcome, so callers show one generic message. Every wrong answer
/// is counted.
pub async fn verify(
    ctx: &Ctx,
    org: &OrgId,
    user: &UserId,
    factor: &str,
    answer: &str,
) -> Result<Option<FactorVerification>, CoreError> {
    let f = get(ctx, org, user, factor).await?;
    if f.status != FactorStatus::Active {
        return Err(CoreError::Conflict(
            "the factor is PENDING_ACTIVATION: activate it first".into(),
        ));
    }
    let (key, method) = f
        .authenticator()
        .ok_or_else(|| CoreError::Internal(format!("factor {} has no authenticator", f.id)))?;
    if !guarded_check(ctx, &f, answer).await? {
        return Ok(None);
    }
    let v =
        federa_claims::local_verification(&key, &method, MethodFlags::default(), ctx.clock.now())
            .map_err(|e| CoreError::Internal(format!("local verification: {e}")))?;
    Ok(Some(v))
}

/// Removes a factor and its codes.
pub async fn delete(ctx: &Ctx, org: &OrgId, user: &UserId, factor: &str) -> Result<(), CoreError> {
    let id = FactorId::parse(factor).ok_or_else(|| not_found(factor))?;
    if ctx.store.delete_factor(org, user, &id).await? {
        Ok(())
    } else {
        Err(not_found(factor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_map_to_the_claims_vocabulary() {
        let m = |t, p| {
            authenticator_of(t, p).map(|(k, m)| (k.as_str().to_string(), m.as_str().to_string()))
        };
        let s = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(m("token:software:totp", "GOOGLE"), s("google_otp", "otp"));
        assert_eq!(m("token:software:totp", "OKTA"), s("okta_verify", "totp"));
        assert_eq!(m("sms", "OKTA"), s("phone_number", "sms"));
        assert_eq!(m("call", "OKTA"), s("phone_number", "voice"));
        assert_eq!(m("email", "OKTA"), s("okta_email", "email"));
        assert_eq!(
            m("question", "OKTA"),
            s("security_question", "security_question")
        );
        assert_eq!(m("sms", "GOOGLE"), None);
        assert_eq!(m("push", "OKTA"), None);
        // Every pair is in the claims catalogue, so local verifications can be built.
        for t in FactorType::ALL {
            for p in [FactorProvider::Okta, FactorProvider::Google] {
                if let Some((k, m)) = typed_authenticator(t, p) {
                    assert!(
                        federa_claims::local_verification(
                            &k,
                            &m,
                            MethodFlags::default(),
                            Timestamp(0)
                        )
                        .is_ok(),
                        "{k:?} {m:?}"
                    );
                }
            }
        }
    }
}
