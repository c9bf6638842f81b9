//! The System Log (CONTRACT §2 system log): recording Okta-shaped LogEvents and querying them.
