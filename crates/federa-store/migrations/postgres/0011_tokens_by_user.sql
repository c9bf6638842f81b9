-- Issued OAuth tokens by user: revoking every token of a user (an administrator's "clear user
-- sessions" with oauthTokens=true, a deactivation) finds them without reading the whole
-- table, and so does the cascade when a user is deleted.

CREATE INDEX oauth_tokens_user ON oauth_tokens(org_id, user_id);
