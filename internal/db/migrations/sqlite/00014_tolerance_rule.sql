-- +goose Up
-- 容缺受理: an escalation rule may act on the tolerance clock (the materials
-- owed at acceptance are due by tolerance_due_at): remind the applicant
-- before they are due, and terminate the case (终止办理) once they are late,
-- in the platform's name. The default rules remind at the warning level and
-- terminate a working day after the last day, as a deemed acceptance does on
-- the notice clock. SQLite changes a CHECK by rebuilding
-- the table.
CREATE TABLE escalation_rules_new (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance')),
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
    ('default-tolerance-warning', 'tolerance', 'warning', 'remind', ''),
    ('default-tolerance-yellow', 'tolerance', 'yellow', 'terminate', '');

-- +goose Down
DELETE FROM escalation_rules WHERE clock = 'tolerance' OR action = 'terminate';
CREATE TABLE escalation_rules_old (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice')),
    state       TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    action      TEXT NOT NULL CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted')),
    role        TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO escalation_rules_old SELECT id, region_code, clock, state, level, action, role, enabled FROM escalation_rules;
DROP TABLE escalation_rules;
ALTER TABLE escalation_rules_old RENAME TO escalation_rules;
