//! The profile a factor is enrolled with, checked for its kind (CONTRACT §2 user factors): the
//! TOTP credential id, an E.164 phone number for SMS and voice, an email address, a catalogue
//! or custom security question.

use super::{
    CUSTOM_QUESTION, EnrollFactor, FactorProfile, FactorType, MAX_TEXT_LEN, QUESTIONS, clip,
};
use crate::error::CoreError;
use crate::model::User;

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

/// The public profile stored for a new factor, checked for its type.
pub(super) fn checked_profile(
    input: &EnrollFactor,
    user: &User,
) -> Result<FactorProfile, CoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::factors::normalize_answer;

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
}
