-- +goose Up
-- 会签 outcomes (R3.3): a countersign ends agreed or disagreed (result), and
-- may be sequential (依次会签: ordered, each department in its turn, seq).
-- A sequential countersign is stored as mode 'all' with ordered set, so
-- that the mode's CHECK (and SQLite's table) stays as it is.
ALTER TABLE case_countersigns ADD COLUMN result TEXT NOT NULL DEFAULT '';
ALTER TABLE case_countersigns ADD COLUMN ordered BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_countersign_tasks ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE case_countersigns SET result = 'agreed' WHERE done_at IS NOT NULL;

-- +goose Down
ALTER TABLE case_countersign_tasks DROP COLUMN seq;
ALTER TABLE case_countersigns DROP COLUMN ordered;
ALTER TABLE case_countersigns DROP COLUMN result;
