-- Revoking every OAuth token of a user (a deactivation, or "clear user sessions" with
-- oauthTokens=true) without finding the tokens: the user's token generation goes up by one,
-- and every authorization code and token carries the generation its user had when it was
-- issued. A code or token of an older generation is refused wherever it is checked (token
-- endpoint, refresh, introspection, userinfo). An index of tokens by user would cost a B-tree
-- write in every token request; this costs one column.

ALTER TABLE users ADD COLUMN token_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oauth_codes ADD COLUMN user_gen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE oauth_tokens ADD COLUMN user_gen BIGINT NOT NULL DEFAULT 0;
