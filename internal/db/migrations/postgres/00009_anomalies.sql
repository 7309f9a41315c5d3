-- +goose Up
-- Anomalies (R4.4): what supervisors should look at, each with the reason
-- it was raised. Raised by the case engine in the transaction of the action
-- that shows it (a decision entered after the fact, a boilerplate refusal,
-- a case reopened), or by the supervision scanner (pre-review overdue, a
-- step overdue while the case is not). One per case, kind and cause.
CREATE TABLE case_anomalies (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL CHECK (kind IN ('after_the_fact', 'pre_review_overdue', 'step_overdue', 'boilerplate_reason', 'reopened')),
    cause         TEXT NOT NULL,                   -- what makes it unique (an event, a deadline)
    detail        TEXT NOT NULL DEFAULT '{}',      -- JSON: the message arguments of the reason
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, kind, cause)
);
CREATE INDEX case_anomalies_at ON case_anomalies (at);

-- +goose Down
DROP TABLE case_anomalies;
