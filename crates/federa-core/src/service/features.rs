//! Feature flags (`/api/v1/features`, CONTRACT §2) with the trust-claims guard on disable.
