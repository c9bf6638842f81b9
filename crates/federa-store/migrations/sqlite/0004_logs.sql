-- System Log and rate limits (SQLite). Events keep their full domain JSON in `body`; the
-- columns beside it are what queries filter and sort on. `seq` breaks ties between events
-- published in the same millisecond (insertion order) and is part of the paging cursor.
CREATE TABLE log_events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT NOT NULL UNIQUE,
    org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    published       BIGINT NOT NULL,
    event_type      TEXT NOT NULL,
    severity        TEXT NOT NULL,
    outcome_result  TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    search_text     TEXT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX log_events_org_published ON log_events(org_id, published, seq);
CREATE INDEX log_events_org_type ON log_events(org_id, event_type, published);
CREATE INDEX log_events_org_actor ON log_events(org_id, actor_id, published);

CREATE TABLE log_event_targets (
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    event_uuid  TEXT NOT NULL REFERENCES log_events(uuid) ON DELETE CASCADE,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (event_uuid, target_id)
);
CREATE INDEX log_event_targets_target ON log_event_targets(org_id, target_id);

-- One fixed window per key; a hit in a later window restarts the count.
CREATE TABLE rate_limits (
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    rl_key        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    window_end    BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (org_id, rl_key)
);
CREATE INDEX rate_limits_org_end ON rate_limits(org_id, window_end);
