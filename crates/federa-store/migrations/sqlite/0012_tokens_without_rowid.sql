-- Issued OAuth tokens (SQLite only): a WITHOUT ROWID table keyed by the token digest. Every
-- token endpoint response records its access token (and a refresh token when one is issued);
-- with a rowid table each record was three B-tree pages in the commit (the rows, the digest's
-- unique index, the family index), now two, and a lookup by digest is one search instead of
-- two. The rows are short (digests, ids, a small grant for refresh tokens). Nothing references
-- this table, so it is rebuilt in place with its rows.

CREATE TABLE oauth_tokens_new (
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
) WITHOUT ROWID;
INSERT INTO oauth_tokens_new (token_hash, org_id, app_id, user_id, kind, family, data, created,
        expires_at, used, revoked)
    SELECT token_hash, org_id, app_id, user_id, kind, family, data, created, expires_at, used,
        revoked FROM oauth_tokens;
DROP TABLE oauth_tokens;
ALTER TABLE oauth_tokens_new RENAME TO oauth_tokens;
CREATE INDEX oauth_tokens_family ON oauth_tokens(org_id, family);
