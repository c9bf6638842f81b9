//! User factors (CONTRACT §2 user factors): enrollment, activation, challenge and verification of TOTP, SMS, voice, email and security-question factors.
