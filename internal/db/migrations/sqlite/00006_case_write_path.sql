-- +goose Up
-- The write path of a case action (issue 4's throughput target). Every
-- action rewrites the case row and each index entry whose key changed, and
-- appends an event and an access record; in SQLite each touched b-tree page
-- is one more WAL frame per commit. So:
--
-- 1. Indexes on columns that are NULL for most cases become partial: a NULL
--    deadline (no clock of that kind) or a NULL agent costs no entry. A range
--    or equality test on the column implies IS NOT NULL, so the queries that
--    use them are unchanged.
-- 2. The applicant index no longer carries updated_at, which every action
--    changes; an applicant's cases are few and sorted after the seek.
-- 3. Append-only tables read only by case are clustered by case (WITHOUT
--    ROWID, keyed as they are read): one b-tree per insert instead of three.
DROP INDEX cases_idempotency;
CREATE UNIQUE INDEX cases_idempotency ON cases (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
DROP INDEX cases_applicant;
CREATE INDEX cases_applicant ON cases (applicant_id);
DROP INDEX cases_agent;
CREATE INDEX cases_agent ON cases (agent_id) WHERE agent_id IS NOT NULL;
DROP INDEX cases_parent;
CREATE INDEX cases_parent ON cases (parent_id) WHERE parent_id IS NOT NULL;
DROP INDEX cases_pre_review_due;
CREATE INDEX cases_pre_review_due ON cases (pre_review_due_at) WHERE pre_review_due_at IS NOT NULL;
DROP INDEX cases_notice_due;
CREATE INDEX cases_notice_due ON cases (notice_due_at) WHERE notice_due_at IS NOT NULL;
DROP INDEX cases_step_due;
CREATE INDEX cases_step_due ON cases (step_due_at) WHERE step_due_at IS NOT NULL;
DROP INDEX cases_tolerance_due;
CREATE INDEX cases_tolerance_due ON cases (tolerance_due_at) WHERE tolerance_due_at IS NOT NULL;
DROP INDEX cases_verify_due;
CREATE INDEX cases_verify_due ON cases (verify_due_at) WHERE verify_due_at IS NOT NULL;

-- Events are read by case in seq order; their id stays unique by
-- construction (UUIDv7) and is checked by the audit log, not by an index.
CREATE TABLE case_events_new (
    id         TEXT NOT NULL,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    actor_id   TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '{}',
    step_due_at TIMESTAMP,
    at         TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;
INSERT INTO case_events_new SELECT id, case_id, seq, action, from_state, to_state, actor_id, actor_name, actor_role,
    reason, data, step_due_at, at FROM case_events;
DROP TABLE case_events;
ALTER TABLE case_events_new RENAME TO case_events;

CREATE TABLE case_notices_new (
    id        TEXT NOT NULL,
    case_id   TEXT NOT NULL REFERENCES cases (id),
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL,
    issued_by TEXT NOT NULL REFERENCES users (id),
    issued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, issued_at, id)
) WITHOUT ROWID;
INSERT INTO case_notices_new SELECT id, case_id, kind, body, issued_by, issued_at FROM case_notices;
DROP TABLE case_notices;
ALTER TABLE case_notices_new RENAME TO case_notices;

CREATE TABLE access_log_new (
    id          TEXT NOT NULL,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    PRIMARY KEY (object_type, object_id, at, id)
) WITHOUT ROWID;
INSERT INTO access_log_new SELECT id, actor_id, object_type, object_id, purpose, at FROM access_log;
DROP TABLE access_log;
ALTER TABLE access_log_new RENAME TO access_log;

-- +goose Down
SELECT 'irreversible: 00006 only changes storage; the schema is equivalent';
