-- Foundation schema (SQLite). Times are BIGINT milliseconds since the Unix epoch (UTC).
CREATE TABLE orgs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    engine      TEXT NOT NULL,
    created     BIGINT NOT NULL
);

CREATE TABLE org_hosts (
    host        TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE
);
CREATE INDEX org_hosts_org ON org_hosts(org_id);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created     BIGINT NOT NULL
);
CREATE INDEX api_tokens_org ON api_tokens(org_id);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    status            TEXT NOT NULL,
    login             TEXT NOT NULL,
    login_lower       TEXT NOT NULL,
    email_lower       TEXT NOT NULL,
    first_name_lower  TEXT NOT NULL,
    last_name_lower   TEXT NOT NULL,
    profile           TEXT NOT NULL,
    password_hash     TEXT,
    created           BIGINT NOT NULL,
    activated         BIGINT,
    status_changed    BIGINT,
    last_login        BIGINT,
    last_updated      BIGINT NOT NULL,
    password_changed  BIGINT,
    failed_logins     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (org_id, login_lower)
);
CREATE INDEX users_org_id ON users(org_id, id);

CREATE TABLE user_groups (
    id                       TEXT PRIMARY KEY,
    org_id                   TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name                     TEXT NOT NULL,
    name_lower               TEXT NOT NULL,
    description              TEXT,
    created                  BIGINT NOT NULL,
    last_updated             BIGINT NOT NULL,
    last_membership_updated  BIGINT NOT NULL,
    UNIQUE (org_id, name_lower)
);

CREATE TABLE group_members (
    org_id    TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members(user_id);
