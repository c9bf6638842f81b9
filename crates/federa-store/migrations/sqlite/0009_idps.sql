-- The SP role: IdP objects and the org's IdP trust store. Each IdP carries its own SP key pair
-- (private key sealed with the master key, self-signed certificate, kid = RFC 7638 thumbprint)
-- and the sealed upstream client secret. Which trust-store keys an IdP uses is kept as rows, so
-- a key in use cannot be deleted.
CREATE TABLE idp_credentials_keys (
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kid         TEXT NOT NULL,
    kty         TEXT NOT NULL,
    x5c         TEXT NOT NULL,
    x5t_s256    TEXT NOT NULL,
    created     BIGINT NOT NULL,
    expires_at  BIGINT,
    PRIMARY KEY (org_id, kid)
);
CREATE UNIQUE INDEX idp_credentials_keys_x5t ON idp_credentials_keys(org_id, x5t_s256);
CREATE INDEX idp_credentials_keys_order ON idp_credentials_keys(org_id, created, kid);

CREATE TABLE idps (
    id                    TEXT PRIMARY KEY,
    org_id                TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    kind                  TEXT NOT NULL,
    name                  TEXT NOT NULL,
    name_key              TEXT NOT NULL,
    status                TEXT NOT NULL,
    body                  TEXT NOT NULL,
    sealed_client_secret  TEXT,
    sealed_sp_key         TEXT NOT NULL,
    sp_cert               TEXT NOT NULL,
    sp_kid                TEXT NOT NULL,
    created               BIGINT NOT NULL,
    last_updated          BIGINT NOT NULL
);
CREATE UNIQUE INDEX idps_name ON idps(org_id, name_key);
CREATE INDEX idps_org ON idps(org_id, created, id);

CREATE TABLE idp_trust_refs (
    org_id  TEXT NOT NULL,
    idp_id  TEXT NOT NULL REFERENCES idps(id) ON DELETE CASCADE,
    kid     TEXT NOT NULL,
    PRIMARY KEY (org_id, idp_id, kid),
    FOREIGN KEY (org_id, kid) REFERENCES idp_credentials_keys(org_id, kid)
);
CREATE INDEX idp_trust_refs_kid ON idp_trust_refs(org_id, kid);
