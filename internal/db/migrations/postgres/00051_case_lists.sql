-- +goose Up
-- Case lists that cost the page, not the table (issue 20). Lists page by
-- keyset on indexes that fit their filter and order, and finished cases
-- leave the indexes staff lists read: a case is archived (archived = TRUE,
-- set by cases.Archive, cleared by any later change) once it is delivered,
-- refused, withdrawn or terminated, has no 事后核查 pending and has not
-- changed for cases.ArchiveAfter (30 days). Archived cases are still found
-- by number (the unique case_no index) and by the archive filter.
ALTER TABLE cases ADD COLUMN archived BOOLEAN NOT NULL DEFAULT FALSE;
-- Staff's lists: every case in scope newest change first (the default, 已办,
-- 新到待办), and by filing time (sort=filed).
CREATE INDEX cases_hot_updated ON cases (updated_at, id) WHERE archived = FALSE AND submitted_at IS NOT NULL;
CREATE INDEX cases_hot_filed ON cases (submitted_at, id) WHERE archived = FALSE AND submitted_at IS NOT NULL;
-- 即将超期, 已超期 and the due_before filter: the deadline that runs now
-- (cases.runningDue, written exactly as the lists write it).
CREATE INDEX cases_hot_running_due ON cases ((CASE WHEN clock IN ('pre_review', 'decision') THEN COALESCE(step_due_at, pre_review_due_at, due_at) ELSE verify_due_at END), id)
    WHERE archived = FALSE AND submitted_at IS NOT NULL;
-- The archive filter, newest change first.
CREATE INDEX cases_archived ON cases (updated_at, id) WHERE archived = TRUE;

-- +goose Down
DROP INDEX cases_archived;
DROP INDEX cases_hot_running_due;
DROP INDEX cases_hot_filed;
DROP INDEX cases_hot_updated;
ALTER TABLE cases DROP COLUMN archived;
