-- +goose Up
-- Enterprise accounts held by their legal representative (issue 16,
-- deliverable 3). An organisation is held by the L2 person account of its
-- 法定代表人 (legal_rep_id), who authorises 经办人 to act for it.
ALTER TABLE organisations ADD COLUMN legal_rep_id TEXT REFERENCES users (id);
ALTER TABLE organisations ADD COLUMN bound_at TIMESTAMP;
CREATE INDEX organisations_legal_rep ON organisations (legal_rep_id);

-- 经办人: a person the legal representative authorised to act for the
-- enterprise, for every item (items = '') or the listed items' 实施编码
-- (comma-separated), until expires_at (the start of the day after the last
-- day, China time) or until revoked. Rows are kept after expiry and
-- revocation: the record of who could act when.
CREATE TABLE enterprise_operators (
    id              TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    person_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    items           TEXT NOT NULL DEFAULT '',
    expires_at      TIMESTAMP NOT NULL,
    created_by      TEXT NOT NULL REFERENCES users (id),
    created_at      TIMESTAMP NOT NULL,
    revoked_at      TIMESTAMP,
    revoked_by      TEXT REFERENCES users (id)
);
CREATE INDEX enterprise_operators_person ON enterprise_operators (person_id, expires_at);
CREATE INDEX enterprise_operators_org ON enterprise_operators (organisation_id, created_at);

-- +goose Down
DROP TABLE enterprise_operators;
DROP INDEX organisations_legal_rep;
ALTER TABLE organisations DROP COLUMN bound_at;
ALTER TABLE organisations DROP COLUMN legal_rep_id;
