-- +goose Up
-- 事后核查 (告知承诺's post-verification) is a clock like the others: it
-- raises signals and escalation rules act on it (supervise.ClockVerify).
-- The defaults remind the department's back office at the warning level,
-- tell its approvers at yellow and the supervisors at red. SQLite changes a
-- CHECK by rebuilding the table.
CREATE TABLE case_signals_new (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    clock         TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'verify')),
    level         TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    due_at        TIMESTAMP  NOT NULL,
    state         TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    since         TIMESTAMP  NOT NULL,
    PRIMARY KEY (case_id, clock)
);
INSERT INTO case_signals_new SELECT case_id, clock, level, due_at, state, department_id, region_code, since FROM case_signals;
DROP TABLE case_signals;
ALTER TABLE case_signals_new RENAME TO case_signals;
CREATE INDEX case_signals_level ON case_signals (level, department_id);

CREATE TABLE escalation_rules_new (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance', 'verify')),
    state       TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    action      TEXT NOT NULL CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted', 'terminate')),
    role        TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO escalation_rules_new SELECT id, region_code, clock, state, level, action, role, enabled FROM escalation_rules;
DROP TABLE escalation_rules;
ALTER TABLE escalation_rules_new RENAME TO escalation_rules;
INSERT INTO escalation_rules (id, clock, level, action, role) VALUES
    ('default-verify-warning', 'verify', 'warning', 'remind', ''),
    ('default-verify-yellow', 'verify', 'yellow', 'escalate', 'approver'),
    ('default-verify-red', 'verify', 'red', 'escalate', 'supervisor');

-- +goose Down
DELETE FROM escalation_rules WHERE clock = 'verify';
DELETE FROM case_signals WHERE clock = 'verify';
CREATE TABLE escalation_rules_old (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance')),
    state       TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    action      TEXT NOT NULL CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted', 'terminate')),
    role        TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO escalation_rules_old SELECT id, region_code, clock, state, level, action, role, enabled FROM escalation_rules;
DROP TABLE escalation_rules;
ALTER TABLE escalation_rules_old RENAME TO escalation_rules;
CREATE TABLE case_signals_old (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    clock         TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice')),
    level         TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    due_at        TIMESTAMP  NOT NULL,
    state         TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    since         TIMESTAMP  NOT NULL,
    PRIMARY KEY (case_id, clock)
);
INSERT INTO case_signals_old SELECT case_id, clock, level, due_at, state, department_id, region_code, since FROM case_signals;
DROP TABLE case_signals;
ALTER TABLE case_signals_old RENAME TO case_signals;
CREATE INDEX case_signals_level ON case_signals (level, department_id);
