//! The local sign-in flow (ARCHITECTURE flow 1): identifier, routing, password, policy-driven challenges, enrollment.
