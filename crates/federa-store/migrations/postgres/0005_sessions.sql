-- Sessions and in-progress sign-in flows. Only SHA-256 digests of the cookie values are stored,
-- so a copy of the database does not give anyone a session.
CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    public_id      TEXT NOT NULL UNIQUE,
    org_id         TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    csrf           TEXT NOT NULL,
    created        BIGINT NOT NULL,
    last_active    BIGINT NOT NULL,
    idle_ms        BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    verifications  TEXT NOT NULL,
    idp_id         TEXT
);
CREATE INDEX sessions_user ON sessions(org_id, user_id);

CREATE TABLE signin_flows (
    id_hash     TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    state       TEXT NOT NULL
);
