-- +goose Up
-- 证照管理 lists a department's licences newest first (and a supervisor's
-- region's, through the departments): one index range per department.
CREATE INDEX licences_issued ON licences (department_id, issued_at);

-- +goose Down
DROP INDEX licences_issued;
