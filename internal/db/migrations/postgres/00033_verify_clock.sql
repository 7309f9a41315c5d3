-- +goose Up
-- 事后核查 (告知承诺's post-verification) is a clock like the others: it
-- raises signals and escalation rules act on it (supervise.ClockVerify).
-- The defaults remind the department's back office at the warning level,
-- tell its approvers at yellow and the supervisors at red.
ALTER TABLE case_signals DROP CONSTRAINT case_signals_clock_check;
ALTER TABLE case_signals ADD CONSTRAINT case_signals_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'verify'));
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_clock_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance', 'verify'));
INSERT INTO escalation_rules (id, clock, level, action, role) VALUES
    ('default-verify-warning', 'verify', 'warning', 'remind', ''),
    ('default-verify-yellow', 'verify', 'yellow', 'escalate', 'approver'),
    ('default-verify-red', 'verify', 'red', 'escalate', 'supervisor');

-- +goose Down
DELETE FROM escalation_rules WHERE clock = 'verify';
DELETE FROM case_signals WHERE clock = 'verify';
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_clock_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance'));
ALTER TABLE case_signals DROP CONSTRAINT case_signals_clock_check;
ALTER TABLE case_signals ADD CONSTRAINT case_signals_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice'));
