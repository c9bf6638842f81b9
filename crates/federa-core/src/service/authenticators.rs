//! Per-org authenticators: list, get, activate, deactivate (CONTRACT §2, reference §2.10).
