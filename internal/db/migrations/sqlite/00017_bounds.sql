-- +goose Up
-- Bounds on what one request or one account can make the server do.
-- Uploads are bounded (issue 14): what each account uploaded each day (China
-- time), reserved by one conditional upsert per upload, so concurrent uploads
-- of one account cannot pass the quota together on either database.
CREATE TABLE upload_quota (
    user_id TEXT NOT NULL REFERENCES users (id),
    day     TEXT NOT NULL,                        -- YYYY-MM-DD in China
    n_files INTEGER NOT NULL,
    n_bytes BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
-- The sweep finds uploads never attached to a case by age, and whether a
-- stored file is still referenced by its content address.
CREATE INDEX case_materials_unattached ON case_materials (created_at) WHERE case_id IS NULL;
CREATE INDEX case_materials_sha256 ON case_materials (sha256);

-- The public progress query asks, besides the case number and the
-- applicant's name, a second thing a stranger cannot guess (issue 14, PIPL
-- Art. 28): the 查询码, random, made at filing and printed on every notice.
-- Cases filed before get one now (40 random bits, as hex).
ALTER TABLE cases ADD COLUMN query_code TEXT NOT NULL DEFAULT '';
UPDATE cases SET query_code = upper(hex(randomblob(5)));

-- +goose Down
ALTER TABLE cases DROP COLUMN query_code;
DROP INDEX case_materials_sha256;
DROP INDEX case_materials_unattached;
DROP TABLE upload_quota;
