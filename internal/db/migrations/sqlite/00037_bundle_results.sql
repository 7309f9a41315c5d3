-- +goose Up
-- 结果实时共享 (issue 17): a bundle may declare that one of its items
-- creates an enterprise whose credit code and licence the later sub-cases
-- take (bundles.produces, JSON; '' for none). Each later sub-case records
-- what it awaits from the producing sub-case (case_passes): a form field
-- (the new credit code) or a material (the licence), done when passed on;
-- the producing sub-case records which of its fields name the enterprise
-- and its legal representative (kinds name and rep, from_case_id its own).
ALTER TABLE bundles ADD COLUMN produces TEXT NOT NULL DEFAULT '';
CREATE TABLE case_passes (
    case_id TEXT NOT NULL REFERENCES cases (id),
    from_case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('field', 'material', 'name', 'rep')),
    entry_key TEXT NOT NULL,
    passed_at TIMESTAMP,
    PRIMARY KEY (case_id, kind, entry_key)
);
CREATE INDEX case_passes_from ON case_passes (from_case_id);

-- +goose Down
DROP TABLE case_passes;
ALTER TABLE bundles DROP COLUMN produces;
