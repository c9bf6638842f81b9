//! The policies a new org starts with (the server stores them): the default global session
//! policy (reference §2.6), the default app sign-in policy with its catch-all rule (§2.5), the
//! IdP discovery policy whose default rule routes to the local sign-in (§2.4, §2.7), and the
//! default authenticator enrollment policy (§2.9).
//!
//! Enrollment defaults: `okta_password` REQUIRED; `okta_email`, `phone_number`, `google_otp`,
//! `okta_verify`, `webauthn` OPTIONAL; `security_question` NOT_ALLOWED. Okta's Identity Engine
//! orgs ship the security question disabled for enrollment ("Disabled" in the console): it is a
//! weak knowledge factor, and with claims sharing it cannot be combined with upstream factors
//! (reference §1.12 "Security question used for MFA"). This is our reading of Okta's behaviour,
//! not a value copied from the reference.

use crate::access::{
    AccessActions, AccessPolicy, AccessRule, AppSignOn, Assurance, FactorMode, VerificationMethod,
};
use crate::conditions::{Connection, NetworkCondition};
use crate::discovery::{
    IdpAction, IdpDiscoveryPolicy, IdpSelection, Provider, ProviderType, RoutingActions,
    RoutingConditions, RoutingRule,
};
use crate::duration::IsoDuration;
use crate::enroll::{
    EnrollAction, EnrollActions, EnrollAuthenticator, EnrollRule, EnrollRuleSelf, EnrollSelf,
    EnrollSetting, EnrollSettings, EnrollSettingsType, MfaEnrollPolicy,
};
use crate::policy::{Access, PolicyHeader, PolicyType, RuleHeader, RuleType};
use crate::sign_on::{
    PrimaryFactor, SessionSettings, SignOnAction, SignOnActions, SignOnConditions, SignOnPolicy,
    SignOnRule,
};
use federa_claims::AuthenticatorKey;

/// Priority of a default (catch-all) rule.
pub const CATCH_ALL_PRIORITY: u32 = 99;

/// The default `OKTA_SIGN_ON` policy: one catch-all `SIGN_ON` rule allowing access without MFA,
/// `primaryFactor: PASSWORD_IDP_ANY_FACTOR`, idle timeout 120 minutes.
pub fn default_sign_on_policy() -> SignOnPolicy {
    let rule = SignOnRule {
        header: RuleHeader::new(RuleType::SignOn, "Default Rule", CATCH_ALL_PRIORITY, true),
        conditions: Some(SignOnConditions {
            people: None,
            network: Some(NetworkCondition {
                connection: Connection::Anywhere,
                include: Vec::new(),
                exclude: Vec::new(),
            }),
            identity_provider: None,
        }),
        actions: SignOnActions {
            signon: SignOnAction {
                access: Access::Allow,
                require_factor: false,
                factor_prompt_mode: None,
                factor_lifetime: None,
                remember_device_by_default: false,
                primary_factor: Some(PrimaryFactor::PasswordIdpAnyFactor),
                session: SessionSettings::default(),
            },
        },
    };
    let mut header = PolicyHeader::new(PolicyType::OktaSignOn, "Default Policy", 1, true);
    header.description = Some("The default global session policy applies to everyone".into());
    SignOnPolicy {
        header,
        conditions: None,
        rules: vec![rule],
    }
}

/// The default `ACCESS_POLICY` "Default Policy" with its "Catch-all rule": priority 99, system,
/// ALLOW, `ASSURANCE` `1FA`, `reauthenticateIn: PT12H`, `constraints: []`, no conditions.
pub fn default_access_policy() -> AccessPolicy {
    let rule = AccessRule {
        header: RuleHeader::new(
            RuleType::AccessPolicy,
            "Catch-all rule",
            CATCH_ALL_PRIORITY,
            true,
        ),
        conditions: None,
        actions: AccessActions {
            app_sign_on: AppSignOn {
                access: Access::Allow,
                verification_method: Some(VerificationMethod::Assurance(Assurance::new(
                    FactorMode::OneFa,
                    Some(IsoDuration::from_hours(12)),
                ))),
            },
        },
    };
    let mut header = PolicyHeader::new(PolicyType::AccessPolicy, "Default Policy", 1, true);
    header.description = Some("The default app sign-in policy".into());
    AccessPolicy {
        header,
        conditions: None,
        rules: vec![rule],
    }
}

/// The `IDP_DISCOVERY` policy with its default rule routing to `{"type":"OKTA"}`.
pub fn default_idp_discovery_policy() -> IdpDiscoveryPolicy {
    let rule = RoutingRule {
        header: RuleHeader::new(
            RuleType::IdpDiscovery,
            "Default Rule",
            CATCH_ALL_PRIORITY,
            true,
        ),
        conditions: Some(RoutingConditions::default()),
        actions: RoutingActions {
            idp: IdpAction {
                providers: vec![Provider {
                    provider_type: ProviderType::Okta,
                    id: None,
                    name: None,
                }],
                idp_selection_type: IdpSelection::Specific,
                match_criteria: Vec::new(),
                should_fall_back_to_okta: false,
            },
        },
    };
    IdpDiscoveryPolicy {
        header: PolicyHeader::new(PolicyType::IdpDiscovery, "Idp Discovery Policy", 1, true),
        conditions: None,
        rules: vec![rule],
    }
}

/// The default `MFA_ENROLL` policy (see the module documentation for the choices).
pub fn default_mfa_enroll_policy() -> MfaEnrollPolicy {
    let entry = |key: AuthenticatorKey, self_: EnrollSelf| EnrollAuthenticator {
        key,
        id: None,
        enroll: EnrollSetting { self_ },
    };
    let authenticators = vec![
        entry(AuthenticatorKey::OktaPassword, EnrollSelf::Required),
        entry(AuthenticatorKey::OktaEmail, EnrollSelf::Optional),
        entry(AuthenticatorKey::PhoneNumber, EnrollSelf::Optional),
        entry(AuthenticatorKey::GoogleOtp, EnrollSelf::Optional),
        entry(AuthenticatorKey::OktaVerify, EnrollSelf::Optional),
        entry(AuthenticatorKey::Webauthn, EnrollSelf::Optional),
        entry(AuthenticatorKey::SecurityQuestion, EnrollSelf::NotAllowed),
    ];
    let rule = EnrollRule {
        header: RuleHeader::new(
            RuleType::MfaEnroll,
            "Default Rule",
            CATCH_ALL_PRIORITY,
            true,
        ),
        conditions: None,
        actions: EnrollActions {
            enroll: EnrollAction {
                self_: EnrollRuleSelf::Challenge,
            },
        },
    };
    let mut header = PolicyHeader::new(PolicyType::MfaEnroll, "Default Policy", 1, true);
    header.description = Some("The default authenticator enrollment policy".into());
    MfaEnrollPolicy {
        header,
        conditions: None,
        settings: EnrollSettings {
            settings_type: EnrollSettingsType::Authenticators,
            authenticators,
        },
        rules: vec![rule],
    }
}
