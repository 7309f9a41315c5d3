-- +goose Up
-- 告知承诺 decisions are made at acceptance by design: they were wrongly
-- flagged as 事后录入 (after_the_fact). The rule no longer raises them
-- (cases.flag); the ones raised before are withdrawn.
DELETE FROM case_anomalies WHERE kind = 'after_the_fact'
    AND case_id IN (SELECT id FROM cases WHERE commitment = TRUE);

-- +goose Down
SELECT 1;
