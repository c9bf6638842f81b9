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

use crate::ctx::Ctx;
use crate::error::CoreError;
use crate::model::{Channel, LifecycleStatus, OneTimeCode, Org, User};
use crate::notify::Notification;
use crate::ports::StoreError;
use crate::system::{constant_time_eq, sha256_hex};
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

/// Okta's security questions (key, text). `custom` takes the text from `questionText`.
pub const QUESTIONS: [(&str, &str); 12] = [
    (
        "disliked_food",
        "What is the food you least liked as a child?",
    ),
    (
        "name_of_first_plush_toy",
        "What is the name of your first stuffed animal?",
    ),
    (
        "first_award",
        "What did you earn your first medal or award for?",
    ),
    (
        "favorite_security_question",
        "What is your favorite security question?",
    ),
    (
        "favorite_toy",
        "What is the toy/stuffed animal you liked the most as a kid?",
    ),
    (
        "first_computer_game",
        "What was the first computer game you played?",
    ),
    ("favorite_movie_quote", "What is your favorite movie quote?"),
    (
        "first_sports_team_mascot",
        "What was the mascot of the first sports team you played on?",
    ),
    (
        "first_music_purchase",
        "What music album or song did you first purchase?",
    ),
    ("favorite_art_piece", "What is your favorite piece of art?"),
    (
        "grandmother_favorite_desert",
        "What was your grandmother's favorite dessert?",
    ),
    (
        "first_thing_cooked",
        "What was the first thing you learned to cook?",
    ),
];

/// Key of a question whose text the user writes.
pub const CUSTOM_QUESTION: &str = "custom";

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

/// Normalises a phone number to E.164 (`+` and 8 to 15 digits; spaces, dashes, dots and
/// parentheses are dropped).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let kept: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = kept.strip_prefix('+')?;
    let ok = (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then_some(kept)
}

fn valid_email(s: &str) -> bool {
    let s = s.trim();
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && s.len() <= 254
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Normalises a security answer: trimmed, inner whitespace collapsed, case-folded.
pub fn normalize_answer(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The public profile stored for a new factor, checked for its type.
fn checked_profile(input: &EnrollFactor, user: &User) -> Result<FactorProfile, CoreError> {
    let p = &input.profile;
    match input.factor_type {
        FactorType::Totp => Ok(FactorProfile {
            credential_id: Some(user.profile.login.clone()),
            ..FactorProfile::default()
        }),
        FactorType::Sms | FactorType::Call => {
            let raw = p.phone_number.as_deref().unwrap_or("");
            if raw.trim().is_empty() {
                return Err(CoreError::invalid(
                    "profile.phoneNumber",
                    "a phone number is required",
                ));
            }
            let phone = normalize_phone(raw).ok_or_else(|| {
                CoreError::invalid(
                    "profile.phoneNumber",
                    "must be an international number such as +14155550100",
                )
            })?;
            Ok(FactorProfile {
                phone_number: Some(phone),
                ..FactorProfile::default()
            })
        }
        FactorType::Email => {
            let email = p
                .email
                .as_deref()
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .unwrap_or(user.profile.email.as_str())
                .to_string();
            if !valid_email(&email) {
                return Err(CoreError::invalid(
                    "profile.email",
                    "is not an email address",
                ));
            }
            Ok(FactorProfile {
                email: Some(email),
                ..FactorProfile::default()
            })
        }
        FactorType::Question => {
            let key = p.question.as_deref().map(str::trim).unwrap_or("");
            let text = if key == CUSTOM_QUESTION {
                let t = p.question_text.as_deref().map(str::trim).unwrap_or("");
                if t.is_empty() || t.chars().count() > MAX_TEXT_LEN {
                    return Err(CoreError::invalid(
                        "profile.questionText",
                        format!("a custom question needs a text of 1 to {MAX_TEXT_LEN} characters"),
                    ));
                }
                t.to_string()
            } else {
                QUESTIONS
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, t)| (*t).to_string())
                    .ok_or_else(|| {
                        CoreError::invalid(
                            "profile.question",
                            format!(
                                "unknown question '{}': use one of {} or custom with questionText",
                                clip(key, 40),
                                QUESTIONS.iter().map(|q| q.0).collect::<Vec<_>>().join(", ")
                            ),
                        )
                    })?
            };
            Ok(FactorProfile {
                question: Some(key.to_string()),
                question_text: Some(text),
                ..FactorProfile::default()
            })
        }
    }
}

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

fn code_hash(code_id: &str, code: &str) -> String {
    sha256_hex(format!("{code_id}:{code}").as_bytes())
}

/// A new code for `factor` (to store) and its plaintext (to send).
fn new_code(ctx: &Ctx, factor: &UserFactor) -> (OneTimeCode, Secret<String>) {
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

async fn send_code(ctx: &Ctx, factor: &UserFactor, code: &Secret<String>) -> Result<(), CoreError> {
    if let Some(msg) = code_message(factor, code) {
        ctx.notifier.send(&factor.org_id, msg).await?;
    }
    Ok(())
}

/// RFC 3986 percent-encoding of everything but unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Google Authenticator's key URI: `otpauth://totp/{issuer}:{account}?secret=..&issuer=..`.
fn otpauth_uri(issuer: &str, account: &str, base32: &str) -> Result<String, CoreError> {
    let raw = format!(
        "otpauth://totp/{}:{}?secret={base32}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
        pct(issuer),
        pct(account),
        pct(issuer)
    );
    // Parsed once to be sure the result is a well-formed URL.
    url::Url::parse(&raw)
        .map(|u| u.to_string())
        .map_err(|e| CoreError::Internal(format!("otpauth URI: {e}")))
}

fn qr_svg(data: &str) -> Result<String, CoreError> {
    let code = qrcode::QrCode::new(data.as_bytes())
        .map_err(|e| CoreError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build())
}

/// An SVG document as a `data:` URI (for `_links.qrcode.href` and `<img src>`).
pub fn svg_data_uri(svg: &str) -> String {
    use base64::Engine as _;
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())
    )
}

fn totp_of(seed: &[u8]) -> Result<totp_rs::Totp, CoreError> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(TOTP_DIGITS)
        .with_skew(1)
        .with_step_duration(TOTP_STEP_SECONDS)
        .with_secret(seed.to_vec())
        .build()
        .map_err(|e| CoreError::Internal(format!("TOTP: {e}")))
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

    #[test]
    fn answers_and_phones_are_normalised() {
        assert_eq!(
            normalize_answer("  Brussels   SPROUTS \t"),
            "brussels sprouts"
        );
        assert_eq!(
            normalize_phone("+1 (415) 555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(normalize_phone("4155550100"), None);
        assert_eq!(normalize_phone("+1"), None);
        assert_eq!(normalize_phone("+1415abc0100"), None);
        assert!(valid_email("a@b.example"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.d"));
    }

    #[test]
    fn otpauth_uri_encodes_the_label() {
        let u = otpauth_uri("Org A", "grace:h@x.test", "JBSWY3DPEHPK3PXP").unwrap_or_default();
        assert!(
            u.starts_with(
                "otpauth://totp/Org%20A:grace%3Ah%40x.test?secret=JBSWY3DPEHPK3PXP&issuer=Org%20A"
            ),
            "{u}"
        );
        assert!(u.ends_with("&algorithm=SHA1&digits=6&period=30"), "{u}");
    }

    #[test]
    fn totp_matches_rfc_6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
        let t = totp_of(b"12345678901234567890").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        assert_eq!(t.generate(20_000_000_000).to_string(), "353130");
        // ±1 step accepted, and the matched step reported for replay protection.
        assert_eq!(t.check("287082", 59 + 30), Some(1));
        assert_eq!(t.check("287082", 59 + 60), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/x:y?secret=AAAA").unwrap_or_default();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
