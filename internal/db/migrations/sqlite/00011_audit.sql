-- +goose Up
-- The tamper-evident audit log (R4.7, R9.2, R9.3; docs/AUDIT.md). A record is
-- appended to audit_pending in the transaction of what it records — one
-- append-only row, so a request pays little; the sequencer (one replica, by
-- lease) moves pending records into audit_records with their leaf indexes
-- and stores the Merkle tree's hashes (golang.org/x/mod/sumdb/tlog);
-- checkpoints are signed tree heads. Reads of personal data are recorded
-- here (they were in access_log). The payload lies outside the hashed leaf
-- (the leaf holds its SHA-256), so it can be erased (set NULL).
CREATE TABLE audit_pending (
    seq            INTEGER PRIMARY KEY,        -- the order of appending (rowid)
    id             TEXT NOT NULL,              -- UUIDv7
    at             TIMESTAMP  NOT NULL,
    actor_id       TEXT NOT NULL,              -- a user id, or "-"
    role           TEXT NOT NULL,
    action         TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload        TEXT
);

CREATE TABLE audit_records (
    leaf_index     BIGINT PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    at             TIMESTAMP  NOT NULL,
    actor_id       TEXT NOT NULL,
    role           TEXT NOT NULL,
    action         TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    payload        TEXT,                       -- NULL once erased (or never given)
    erased_at      TIMESTAMP 
);

-- The tree's stored hashes, by tlog.StoredHashIndex.
CREATE TABLE audit_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

-- Signed tree heads, archived.
CREATE TABLE audit_checkpoints (
    size      BIGINT PRIMARY KEY,
    root      TEXT NOT NULL,                   -- base64 of the tree hash
    note      TEXT NOT NULL,                   -- the signed note, as served
    issued_at TIMESTAMP  NOT NULL
);

-- A case event names its audit record (the timeline's "verify").
ALTER TABLE case_events ADD COLUMN audit_id TEXT;

-- +goose Down
ALTER TABLE case_events DROP COLUMN audit_id;
DROP TABLE audit_checkpoints;
DROP TABLE audit_hashes;
DROP TABLE audit_records;
DROP TABLE audit_pending;
