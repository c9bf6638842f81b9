-- Fewer B-tree pages written per sign-in (SQLite only; a commit writes every page it touches
-- to the WAL). The replay cache and the System Log's event targets become WITHOUT ROWID tables
-- (their rows are a few short keys: the primary key is the table, no separate rowid tree), and
-- log_events drops AUTOINCREMENT (its sqlite_sequence row was one more page per event; `seq`
-- stays the rowid, ordered after `published` in every query, so a reused value after the
-- newest events were deleted cannot reorder a page).
--
-- Order matters with foreign keys on: nothing may reference log_events while the old table is
-- dropped (its implicit DELETE would cascade), so the targets wait in a plain copy meanwhile.

CREATE TABLE replay_cache_new (
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    namespace   TEXT NOT NULL,
    item        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (org_id, namespace, item)
) WITHOUT ROWID;
INSERT INTO replay_cache_new (org_id, namespace, item, expires_at)
    SELECT org_id, namespace, item, expires_at FROM replay_cache;
DROP TABLE replay_cache;
ALTER TABLE replay_cache_new RENAME TO replay_cache;

CREATE TABLE log_event_targets_copy (
    org_id      TEXT NOT NULL,
    event_uuid  TEXT NOT NULL,
    target_id   TEXT NOT NULL
);
INSERT INTO log_event_targets_copy (org_id, event_uuid, target_id)
    SELECT org_id, event_uuid, target_id FROM log_event_targets;
DROP TABLE log_event_targets;

CREATE TABLE log_events_new (
    seq             INTEGER PRIMARY KEY,
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
INSERT INTO log_events_new (seq, uuid, org_id, published, event_type, severity,
        outcome_result, actor_id, search_text, body)
    SELECT seq, uuid, org_id, published, event_type, severity, outcome_result, actor_id,
        search_text, body FROM log_events;
DROP TABLE log_events;
ALTER TABLE log_events_new RENAME TO log_events;
CREATE INDEX log_events_org_published ON log_events(org_id, published, seq);
CREATE INDEX log_events_org_type ON log_events(org_id, event_type, published);
CREATE INDEX log_events_org_actor ON log_events(org_id, actor_id, published);

CREATE TABLE log_event_targets (
    org_id      TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    event_uuid  TEXT NOT NULL REFERENCES log_events(uuid) ON DELETE CASCADE,
    target_id   TEXT NOT NULL,
    PRIMARY KEY (event_uuid, target_id)
) WITHOUT ROWID;
INSERT INTO log_event_targets (org_id, event_uuid, target_id)
    SELECT org_id, event_uuid, target_id FROM log_event_targets_copy;
DROP TABLE log_event_targets_copy;
CREATE INDEX log_event_targets_target ON log_event_targets(org_id, target_id);
DELETE FROM sqlite_sequence WHERE name = 'log_events';
