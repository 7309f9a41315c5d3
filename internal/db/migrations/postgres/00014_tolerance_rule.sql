-- +goose Up
-- 容缺受理: an escalation rule may act on the tolerance clock (the materials
-- owed at acceptance are due by tolerance_due_at): remind the applicant
-- before they are due, and terminate the case (终止办理) once they are late,
-- in the platform's name. The default rules remind at the warning level and
-- terminate a working day after the last day, as a deemed acceptance does on
-- the notice clock.
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_clock_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance'));
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_action_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_action_check
    CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted', 'terminate'));
INSERT INTO escalation_rules (id, clock, level, action, role) VALUES
    ('default-tolerance-warning', 'tolerance', 'warning', 'remind', ''),
    ('default-tolerance-yellow', 'tolerance', 'yellow', 'terminate', '');

-- +goose Down
DELETE FROM escalation_rules WHERE clock = 'tolerance' OR action = 'terminate';
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_clock_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_clock_check
    CHECK (clock IN ('decision', 'step', 'pre_review', 'notice'));
ALTER TABLE escalation_rules DROP CONSTRAINT escalation_rules_action_check;
ALTER TABLE escalation_rules ADD CONSTRAINT escalation_rules_action_check
    CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted'));
