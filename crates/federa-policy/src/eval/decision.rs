//! What the decision engine answers (ARCHITECTURE "main flows"; CONTRACT §5 `decision`,
//! `unmet`, `challengeOptions`, `errorCode`): [`Decision`] (ALLOW, CHALLENGE with unmet
//! requirements and local options, DENY with a code and a reason), [`Unmet`] and its compact
//! token used by the golden decision matrix, [`ChallengeOption`], [`DenyCode`] with its OAuth
//! error (reference §3.3 `unmet_authentication_requirements`).

use federa_claims::{AuthenticatorKey, Characteristics, MethodType};
use serde::Serialize;

/// A requirement the session does not meet yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Unmet {
    /// Global session policy `requireFactor`: two factor types.
    #[serde(rename_all = "camelCase")]
    SessionMfa {
        /// Factor types the session has.
        have: usize,
    },
    /// Global session policy `primaryFactor: PASSWORD_IDP`: a password or an IdP sign-in.
    SessionPassword,
    /// Global session policy `PASSWORD_IDP_ANY_FACTOR`: at least one factor.
    SessionAnyFactor,
    /// Classic-engine org, federated session without `pwd`/`mfa`: a local possession factor.
    ClassicLocalMfa,
    /// `factorMode` of the app sign-in rule (of one constraint alternative).
    #[serde(rename_all = "camelCase")]
    FactorTypes {
        /// Needed.
        need: usize,
        /// Present.
        have: usize,
        /// Constraint index, when the rule has constraints.
        #[serde(skip_serializing_if = "Option::is_none")]
        constraint: Option<usize>,
    },
    /// A required knowledge part.
    #[serde(rename_all = "camelCase")]
    Knowledge {
        /// Constraint index.
        constraint: usize,
    },
    /// A required possession part.
    #[serde(rename_all = "camelCase")]
    Possession {
        /// Constraint index.
        constraint: usize,
        /// Characteristics it requires.
        characteristics: Characteristics,
    },
    /// The next step of a chain.
    #[serde(rename_all = "camelCase")]
    ChainStep {
        /// Chain index.
        chain: usize,
        /// Step (0-based) that is next.
        step: usize,
    },
}

impl Unmet {
    /// A compact token (used by the golden decision matrix), e.g. `2FA[0](1/2)`, `POSSESSION[0](PHR)`.
    pub fn token(&self) -> String {
        let at = |c: &Option<usize>| c.map(|i| format!("[{i}]")).unwrap_or_default();
        match self {
            Unmet::SessionMfa { have } => format!("GSP_MFA({have}/2)"),
            Unmet::SessionPassword => "GSP_PASSWORD".into(),
            Unmet::SessionAnyFactor => "GSP_ANY".into(),
            Unmet::ClassicLocalMfa => "CLASSIC_LOCAL_MFA".into(),
            Unmet::FactorTypes {
                need,
                have,
                constraint,
            } => format!("{need}FA{}({have}/{need})", at(constraint)),
            Unmet::Knowledge { constraint } => format!("KNOWLEDGE[{constraint}]"),
            Unmet::Possession {
                constraint,
                characteristics: c,
            } => {
                let mut tags = Vec::new();
                for (on, t) in [
                    (c.device_bound, "DB"),
                    (c.hardware_protected, "HW"),
                    (c.phishing_resistant, "PHR"),
                    (c.user_verifying, "UV"),
                ] {
                    if on {
                        tags.push(t);
                    }
                }
                if tags.is_empty() {
                    format!("POSSESSION[{constraint}]")
                } else {
                    format!("POSSESSION[{constraint}]({})", tags.join("+"))
                }
            }
            Unmet::ChainStep { chain, step } => format!("CHAIN[{chain}].{}", step + 1),
        }
    }

    /// A sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Unmet::SessionMfa { have } => format!("the global session policy requires MFA (two factor types; the session has {have})"),
            Unmet::SessionPassword => "the global session policy requires a password or an identity provider first".into(),
            Unmet::SessionAnyFactor => "the global session policy requires at least one factor".into(),
            Unmet::ClassicLocalMfa => "this Classic-engine org needs a local MFA factor because the identity provider sent neither pwd nor mfa".into(),
            Unmet::FactorTypes { need, have, constraint } => match constraint {
                Some(i) => format!("constraints[{i}] needs {need} factor types; {have} present"),
                None => format!("the app sign-in rule needs {need} factor types; {have} present"),
            },
            Unmet::Knowledge { constraint } => format!("constraints[{constraint}] requires a knowledge factor"),
            Unmet::Possession { constraint, .. } => format!("constraints[{constraint}] requires a possession factor with the required characteristics"),
            Unmet::ChainStep { chain, step } => format!("chains[{chain}] needs step {}", step + 1),
        }
    }
}

/// A local authenticator method that could meet an unmet requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeOption {
    /// Authenticator key.
    pub authenticator_key: AuthenticatorKey,
    /// Method.
    pub method_type: MethodType,
    /// The user is enrolled (challenge) — otherwise enrollment comes first.
    pub enrolled: bool,
    /// The user must enroll first.
    pub needs_enrollment: bool,
}

/// Why access is denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DenyCode {
    /// A matching rule says `access: DENY`.
    AccessDenied,
    /// No active policy / rule matched (fail closed).
    NoMatchingRule,
    /// Something is unmet and no local authenticator can meet it (reference §1.12: "if none
    /// exists or its enrollment policy is disabled, the SP shows an error"; §3.3).
    UnmetAuthenticationRequirements,
}

impl DenyCode {
    /// The OAuth / OIDC error to send to an app.
    pub fn oauth_error(self) -> &'static str {
        match self {
            DenyCode::AccessDenied | DenyCode::NoMatchingRule => "access_denied",
            DenyCode::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyCode::AccessDenied => "ACCESS_DENIED",
            DenyCode::NoMatchingRule => "NO_MATCHING_RULE",
            DenyCode::UnmetAuthenticationRequirements => "UNMET_AUTHENTICATION_REQUIREMENTS",
        }
    }
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Everything is met.
    Allow,
    /// Something is unmet and can be met locally.
    Challenge {
        /// What is unmet (across alternatives).
        unmet: Vec<Unmet>,
        /// Local methods that make progress: enrolled first, then enrollable.
        options: Vec<ChallengeOption>,
    },
    /// Access is refused.
    Deny {
        /// Why, as a code.
        code: DenyCode,
        /// Why, for people.
        reason: String,
    },
}

impl Decision {
    /// `ALLOW`, `CHALLENGE` or `DENY`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Allow => "ALLOW",
            Decision::Challenge { .. } => "CHALLENGE",
            Decision::Deny { .. } => "DENY",
        }
    }
}
