-- +goose Up
-- Mandates (授权委托, issue 16 deliverable 3): a village agent (代办员) acts
-- for a person only under one. The person confirms online (an SMS code the
-- agent enters, or on their own account page), or the agent uploads the
-- signed 授权委托书 that a clerk of the agent's region checks. A mandate
-- covers all items ('*') or the listed implementation codes (space
-- separated), until expires_at; every case filed under it records it.
CREATE TABLE mandates (
    id             TEXT PRIMARY KEY,
    agent_id       TEXT NOT NULL REFERENCES users (id),
    principal_id   TEXT NOT NULL REFERENCES users (id),
    region_code    TEXT NOT NULL,              -- the agent's area when asked: whose clerks check a document
    items          TEXT NOT NULL,              -- '*' = all items, else implementation codes
    expires_at     TIMESTAMP NOT NULL,
    method         TEXT NOT NULL CHECK (method IN ('sms', 'document')),
    state          TEXT NOT NULL CHECK (state IN ('pending', 'active', 'refused', 'revoked', 'expired')),
    confirmed_via  TEXT NOT NULL DEFAULT '',   -- sms: 'code' or 'account'; document: 'clerk'
    material_id    TEXT REFERENCES case_materials (id),
    reason         TEXT NOT NULL DEFAULT '',   -- why refused
    checked_by     TEXT REFERENCES users (id), -- the clerk who checked the document
    checked_at     TIMESTAMP,
    created_at     TIMESTAMP NOT NULL,
    activated_at   TIMESTAMP,
    ended_at       TIMESTAMP,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX mandates_agent ON mandates (agent_id, principal_id, state);
CREATE INDEX mandates_principal ON mandates (principal_id, created_at);
CREATE INDEX mandates_checks ON mandates (state, method, region_code);

-- The mandate a case was filed under (an agent's filing).
ALTER TABLE cases ADD COLUMN mandate_id TEXT; -- SQLite: no REFERENCES, so that Down can drop it
-- A 授权委托书 upload kept with its mandate (not swept as unattached).
ALTER TABLE case_materials ADD COLUMN mandate_id TEXT;

-- +goose Down
ALTER TABLE case_materials DROP COLUMN mandate_id;
ALTER TABLE cases DROP COLUMN mandate_id;
DROP TABLE mandates;
