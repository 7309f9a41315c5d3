-- +goose Up
-- The write path of a case action (issue 4's throughput target): every
-- action rewrites each index entry whose key changed. Indexes on columns
-- that are NULL for most cases become partial (a range or equality test on
-- the column implies IS NOT NULL, so queries are unchanged), and the
-- applicant index no longer carries updated_at, which every action changes.
-- (SQLite's migration also clusters the append-only tables by case; heap
-- tables in PostgreSQL have no equivalent worth the difference.)
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

-- +goose Down
SELECT 'irreversible: 00006 only changes indexes; the schema is equivalent';
