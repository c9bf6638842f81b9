-- Creating a sign-in flow deletes expired flows; without this index that scanned the whole table
-- on every visit to /login, which anyone can make large.
CREATE INDEX signin_flows_expiry ON signin_flows(expires_at);
