-- +goose Up
-- The staff workbench (issue 17): 已办 lists the cases the reader acted on
-- (case_events by actor), and the search finds a case by the beginning of
-- its number or of the applicant's name: text_pattern_ops lets LIKE 'x%'
-- use the index whatever the database's collation.
CREATE INDEX case_events_actor ON case_events (actor_id, case_id);
CREATE INDEX cases_applicant_name ON cases (applicant_name text_pattern_ops);
CREATE INDEX cases_case_no_prefix ON cases (case_no text_pattern_ops);

-- +goose Down
DROP INDEX cases_case_no_prefix;
DROP INDEX cases_applicant_name;
DROP INDEX case_events_actor;
