//! Server-side sessions (CONTRACT §2 sessions): creation, rotation, lifetimes, lookup by cookie.
