//! Rate limits per client address and per user (DB-backed fixed windows, shared by all nodes).
