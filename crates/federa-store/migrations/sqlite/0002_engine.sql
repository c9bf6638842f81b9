-- Claims and policy engine: per-org authenticators, feature flags, policies with their rules,
-- and app-to-policy bindings. Policy and rule bodies are the canonical JSON of federa-policy;
-- the columns beside them repeat what lists filter and sort on.
CREATE TABLE authenticators (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    auth_key      TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    settings      TEXT NOT NULL,
    created       BIGINT NOT NULL,
    last_updated  BIGINT NOT NULL,
    UNIQUE (org_id, auth_key)
);

CREATE TABLE org_features (
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    feature       TEXT NOT NULL,
    enabled       BIGINT NOT NULL,
    last_updated  BIGINT NOT NULL,
    PRIMARY KEY (org_id, feature)
);

CREATE TABLE policies (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    policy_type   TEXT NOT NULL,
    name          TEXT NOT NULL,
    priority      BIGINT NOT NULL,
    status        TEXT NOT NULL,
    is_system     BIGINT NOT NULL,
    body          TEXT NOT NULL,
    created       BIGINT NOT NULL,
    last_updated  BIGINT NOT NULL,
    UNIQUE (org_id, policy_type, name)
);
CREATE INDEX policies_org_type ON policies(org_id, policy_type, priority);

CREATE TABLE policy_rules (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    policy_id     TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    priority      BIGINT NOT NULL,
    status        TEXT NOT NULL,
    is_system     BIGINT NOT NULL,
    body          TEXT NOT NULL,
    created       BIGINT NOT NULL,
    last_updated  BIGINT NOT NULL,
    UNIQUE (policy_id, name)
);
CREATE INDEX policy_rules_policy ON policy_rules(policy_id, priority);

CREATE TABLE app_policies (
    org_id     TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    app_id     TEXT NOT NULL,
    policy_id  TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, app_id)
);
