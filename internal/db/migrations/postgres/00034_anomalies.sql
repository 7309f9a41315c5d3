-- +goose Up
-- 告知承诺 decisions are made at acceptance by design: they were wrongly
-- flagged as 事后录入 (after_the_fact). The rule no longer raises them
-- (cases.flag); the ones raised before are withdrawn.
DELETE FROM case_anomalies WHERE kind = 'after_the_fact'
    AND case_id IN (SELECT id FROM cases WHERE commitment = TRUE);

-- A second correction notice (再次补正) is an anomaly of its own
-- (行政许可法 Art. 32 asks for one notice).
ALTER TABLE case_anomalies DROP CONSTRAINT case_anomalies_kind_check;
ALTER TABLE case_anomalies ADD CONSTRAINT case_anomalies_kind_check
    CHECK (kind IN ('after_the_fact', 'pre_review_overdue', 'step_overdue', 'boilerplate_reason', 'reopened', 'repeat_correction'));

-- +goose Down
DELETE FROM case_anomalies WHERE kind = 'repeat_correction';
ALTER TABLE case_anomalies DROP CONSTRAINT case_anomalies_kind_check;
ALTER TABLE case_anomalies ADD CONSTRAINT case_anomalies_kind_check
    CHECK (kind IN ('after_the_fact', 'pre_review_overdue', 'step_overdue', 'boilerplate_reason', 'reopened'));
