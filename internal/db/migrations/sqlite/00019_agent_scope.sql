-- +goose Up
-- A natural person's registered region (a division code; '' when not known,
-- as for a person registered at a window): a village agent (代办员) files
-- without a written mandate (授权委托书) only for persons of the agent's area.
ALTER TABLE persons ADD COLUMN region_code TEXT NOT NULL DEFAULT '';

-- An agent's attempts to name an applicant by name and number that match no
-- registered one, counted per agent within a window: past the limit the
-- agent names nobody until the window ends (no guessing whose number is whose).
CREATE TABLE applicant_match_failures (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE applicant_match_failures;
ALTER TABLE persons DROP COLUMN region_code;
