-- The IdP role: apps, the org's signing keys, OAuth authorization codes and issued tokens, and
-- a replay cache. Codes and tokens are stored as SHA-256 digests; private keys sealed with the
-- master key.
CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,
    org_id              TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    label               TEXT NOT NULL,
    sign_on_mode        TEXT NOT NULL,
    status              TEXT NOT NULL,
    client_id           TEXT,
    client_secret_hash  TEXT,
    body                TEXT NOT NULL,
    created             BIGINT NOT NULL,
    last_updated        BIGINT NOT NULL
);
CREATE UNIQUE INDEX apps_client_id ON apps(org_id, client_id);
CREATE INDEX apps_org ON apps(org_id, created, id);

CREATE TABLE signing_keys (
    org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kid             TEXT NOT NULL,
    key_use         TEXT NOT NULL,
    alg             TEXT NOT NULL,
    sealed_private  TEXT NOT NULL,
    public_part     TEXT NOT NULL,
    created         BIGINT NOT NULL,
    active_from     BIGINT NOT NULL,
    retire_at       BIGINT,
    expires_at      BIGINT,
    PRIMARY KEY (org_id, kid)
);

CREATE TABLE oauth_codes (
    code_hash   TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_codes_expiry ON oauth_codes(org_id, expires_at);

CREATE TABLE oauth_tokens (
    token_hash  TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    family      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used        BIGINT NOT NULL DEFAULT 0,
    revoked     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX oauth_tokens_family ON oauth_tokens(org_id, family);

CREATE TABLE replay_cache (
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    namespace   TEXT NOT NULL,
    item        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, namespace, item)
);
