-- +goose Up
-- 告知承诺 decisions are made at acceptance by design: they were wrongly
-- flagged as 事后录入 (after_the_fact). The rule no longer raises them
-- (cases.flag); the ones raised before are withdrawn.
DELETE FROM case_anomalies WHERE kind = 'after_the_fact'
    AND case_id IN (SELECT id FROM cases WHERE commitment = TRUE);

-- A second correction notice (再次补正) is an anomaly of its own
-- (行政许可法 Art. 32 asks for one notice). SQLite changes a CHECK by
-- rebuilding the table.
CREATE TABLE case_anomalies_new (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL CHECK (kind IN ('after_the_fact', 'pre_review_overdue', 'step_overdue', 'boilerplate_reason', 'reopened', 'repeat_correction')),
    cause         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}',
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    at            TIMESTAMP  NOT NULL,
    UNIQUE (case_id, kind, cause)
);
INSERT INTO case_anomalies_new SELECT id, case_id, kind, cause, detail, department_id, region_code, at FROM case_anomalies;
DROP TABLE case_anomalies;
ALTER TABLE case_anomalies_new RENAME TO case_anomalies;
CREATE INDEX case_anomalies_at ON case_anomalies (at);

-- +goose Down
DELETE FROM case_anomalies WHERE kind = 'repeat_correction';
CREATE TABLE case_anomalies_old (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL CHECK (kind IN ('after_the_fact', 'pre_review_overdue', 'step_overdue', 'boilerplate_reason', 'reopened')),
    cause         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}',
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    at            TIMESTAMP  NOT NULL,
    UNIQUE (case_id, kind, cause)
);
INSERT INTO case_anomalies_old SELECT id, case_id, kind, cause, detail, department_id, region_code, at FROM case_anomalies;
DROP TABLE case_anomalies;
ALTER TABLE case_anomalies_old RENAME TO case_anomalies;
CREATE INDEX case_anomalies_at ON case_anomalies (at);
