-- The SP role's broker: pending federated sign-ins (OIDC state / SAML RelayState, taken once)
-- and the links between users and their accounts at upstream IdPs.
CREATE TABLE broker_states (
    id_hash     TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    idp_id      TEXT NOT NULL,
    data        TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX broker_states_expiry ON broker_states(org_id, expires_at);

CREATE TABLE idp_user_links (
    org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    idp_id       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created      BIGINT NOT NULL,
    PRIMARY KEY (org_id, idp_id, external_id)
);
CREATE INDEX idp_user_links_user ON idp_user_links(org_id, user_id);
