-- User factors (CONTRACT §2 user factors), the one-time codes sent for SMS, voice and email
-- factors (hashes only), and the notification outbox. Secrets are never stored in clear: TOTP
-- seeds are sealed with the master key, security answers and codes are hashed, outbox bodies
-- are sealed.
CREATE TABLE user_factors (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    factor_type      TEXT NOT NULL,
    provider         TEXT NOT NULL,
    status           TEXT NOT NULL,
    profile          TEXT NOT NULL,
    secret           TEXT,
    last_totp_step   BIGINT,
    failed_attempts  BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT,
    created          BIGINT NOT NULL,
    last_updated     BIGINT NOT NULL,
    UNIQUE (org_id, user_id, factor_type, provider)
);
CREATE INDEX user_factors_user ON user_factors(org_id, user_id, created);

CREATE TABLE factor_codes (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    factor_id   TEXT NOT NULL REFERENCES user_factors(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires     BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    used        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX factor_codes_factor ON factor_codes(org_id, factor_id, used, created);

-- seq orders the outbox newest first (created alone ties within a millisecond).
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created       BIGINT NOT NULL,
    status        TEXT NOT NULL,
    error         TEXT,
    last_updated  BIGINT NOT NULL
);
CREATE INDEX outbox_org ON outbox(org_id, seq);
CREATE INDEX outbox_org_created ON outbox(org_id, created);
