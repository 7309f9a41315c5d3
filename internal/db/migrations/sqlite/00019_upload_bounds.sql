-- +goose Up
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

-- +goose Down
DROP INDEX case_materials_sha256;
DROP INDEX case_materials_unattached;
DROP TABLE upload_quota;
