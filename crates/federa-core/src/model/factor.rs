//! Stored records of user factors (CONTRACT §2 user factors): the enrolled factor with its
//! sealed secret, the one-time codes sent for SMS, voice and email factors (only their hashes),
//! and the notification outbox that operators and tests read.

use federa_types::{FactorId, OrgId, Secret, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// Okta's `factorType` values Federa hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorType {
    /// `token:software:totp`: an authenticator app (RFC 6238).
    Totp,
    /// `sms`: a code sent by text message.
    Sms,
    /// `call`: a code read out by a voice call.
    Call,
    /// `email`: a code sent by email.
    Email,
    /// `question`: a security question.
    Question,
}

impl FactorType {
    /// Every factor type, in wire order.
    pub const ALL: [FactorType; 5] = [
        FactorType::Totp,
        FactorType::Sms,
        FactorType::Call,
        FactorType::Email,
        FactorType::Question,
    ];

    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorType::Totp => "token:software:totp",
            FactorType::Sms => "sms",
            FactorType::Call => "call",
            FactorType::Email => "email",
            FactorType::Question => "question",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// True for the types whose codes are sent through the notifier.
    pub fn sends_codes(self) -> bool {
        matches!(self, FactorType::Sms | FactorType::Call | FactorType::Email)
    }
}

/// Okta's `provider`: who issued the factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorProvider {
    /// Google Authenticator (TOTP only).
    Google,
    /// Okta (Okta Verify TOTP, phone, email, security question).
    Okta,
}

impl FactorProvider {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorProvider::Google => "GOOGLE",
            FactorProvider::Okta => "OKTA",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "GOOGLE" => Some(FactorProvider::Google),
            "OKTA" => Some(FactorProvider::Okta),
            _ => None,
        }
    }
}

/// Status of an enrolled factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorStatus {
    /// Enrolled; waits for the first correct code.
    PendingActivation,
    /// Usable for sign-in.
    Active,
}

impl FactorStatus {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorStatus::PendingActivation => "PENDING_ACTIVATION",
            FactorStatus::Active => "ACTIVE",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING_ACTIVATION" => Some(FactorStatus::PendingActivation),
            "ACTIVE" => Some(FactorStatus::Active),
            _ => None,
        }
    }
}

/// The public part of a factor (Okta's factor `profile`). Never holds a secret: the TOTP seed
/// and the security answer live in [`UserFactor::secret`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorProfile {
    /// `sms` / `call`: the phone number in E.164 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `email`: the address codes go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `question`: the question key (e.g. `disliked_food`, or `custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// `question`: the question as shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_text: Option<String>,
    /// `token:software:totp`: the account name shown in the authenticator app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
}

/// A factor a user enrolled.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFactor {
    /// Id (`mfa...`).
    pub id: FactorId,
    /// Owning org.
    pub org_id: OrgId,
    /// Owning user.
    pub user_id: UserId,
    /// What kind of factor.
    pub factor_type: FactorType,
    /// Who issued it.
    pub provider: FactorProvider,
    /// Pending or active.
    pub status: FactorStatus,
    /// Public profile.
    pub profile: FactorProfile,
    /// TOTP: the seed sealed with the master key (`secretbox`, purpose `totp-seed`); question:
    /// the Argon2id hash of the normalised answer; otherwise none.
    pub secret: Option<Secret<String>>,
    /// TOTP: the last accepted time step; a code of this step or an earlier one is a replay.
    pub last_totp_step: Option<i64>,
    /// Consecutive wrong answers since the last success or lock.
    pub failed_attempts: i64,
    /// Verification is refused until this instant after too many wrong answers.
    pub locked_until: Option<Timestamp>,
    /// Created.
    pub created: Timestamp,
    /// Last change.
    pub last_updated: Timestamp,
}

/// A one-time code sent for an SMS, voice or email factor. Only the hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeCode {
    /// Id (`otc...`).
    pub id: String,
    /// Owning org.
    pub org_id: OrgId,
    /// The factor it was sent for.
    pub factor_id: FactorId,
    /// SHA-256 (hex) of the code id and the code.
    pub code_hash: String,
    /// Sent.
    pub created: Timestamp,
    /// No longer accepted from this instant.
    pub expires: Timestamp,
    /// Verification attempts made with it.
    pub attempts: i64,
    /// Accepted once (or superseded by a newer code).
    pub used: bool,
}

/// Delivery channel of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Email (SMTP).
    Email,
    /// Text message (webhook).
    Sms,
    /// Voice call (webhook).
    Voice,
}

impl Channel {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            _ => None,
        }
    }
}

/// Where an outbox message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Written; delivery not finished yet.
    Pending,
    /// Handed to the SMTP server or the webhook.
    Delivered,
    /// Delivery failed; the message stays readable in the outbox.
    Failed,
    /// No transport is configured for the channel: the outbox is the only copy.
    Stored,
}

impl DeliveryStatus {
    /// Wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
            DeliveryStatus::Stored => "STORED",
        }
    }

    /// Parses the wire and storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(DeliveryStatus::Pending),
            "DELIVERED" => Some(DeliveryStatus::Delivered),
            "FAILED" => Some(DeliveryStatus::Failed),
            "STORED" => Some(DeliveryStatus::Stored),
            _ => None,
        }
    }
}

/// A message in the outbox as stored. The body is sealed at rest (`secretbox`, purpose
/// `outbox-body`) because it usually carries a live code; `federa_core::notify` opens it for
/// operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Id (`obx...`).
    pub id: String,
    /// Owning org.
    pub org_id: OrgId,
    /// Channel.
    pub channel: Channel,
    /// Email address or phone number.
    pub recipient: String,
    /// Subject (email) or a short label.
    pub subject: String,
    /// The message text, sealed.
    pub sealed_body: String,
    /// Written.
    pub created: Timestamp,
    /// Delivery status.
    pub status: DeliveryStatus,
    /// Why delivery failed.
    pub error: Option<String>,
    /// Last status change.
    pub last_updated: Timestamp,
}
