-- Passkeys (WebAuthn, CONTRACT §7) and the pending registration / authentication ceremonies.
-- A credential is the webauthn-rs `Passkey` serialised as JSON (public key, counter, backup
-- flags); the columns beside it are what lists and look-ups use. A credential id is unique per
-- org. Ceremonies are keyed by the SHA-256 of their random id, single use and short lived, so
-- any node can finish a ceremony another node started.
CREATE TABLE webauthn_credentials (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL,
    user_handle     TEXT NOT NULL,
    passkey         TEXT NOT NULL,
    sign_count      BIGINT NOT NULL DEFAULT 0,
    backup_eligible BIGINT NOT NULL DEFAULT 0,
    backup_state    BIGINT NOT NULL DEFAULT 0,
    user_verified   BIGINT NOT NULL DEFAULT 0,
    created         BIGINT NOT NULL,
    last_used       BIGINT,
    UNIQUE (org_id, credential_id)
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials(org_id, user_id, created);

CREATE TABLE webauthn_ceremonies (
    id_hash     TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    rp_id       TEXT NOT NULL,
    origin      TEXT NOT NULL,
    state       TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry ON webauthn_ceremonies(org_id, expires_at);
