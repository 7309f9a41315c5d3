-- +goose Up
-- The tamper-evident audit log (R4.7, R9.2, R9.3; docs/AUDIT.md). A record is
-- appended in the transaction of what it records; the sequencer (one
-- replica, by lease) gives it its leaf index and stores the Merkle tree's
-- hashes (golang.org/x/mod/sumdb/tlog); checkpoints are signed tree heads.
CREATE TABLE audit_records (
    id             TEXT PRIMARY KEY,           -- UUIDv7: the order records are sequenced in
    leaf_index     BIGINT UNIQUE,              -- NULL until sequenced
    at             TIMESTAMP  NOT NULL,
    actor_id       TEXT NOT NULL,              -- a user id, or "-"
    role           TEXT NOT NULL,
    action         TEXT NOT NULL,
    object_type    TEXT NOT NULL,
    object_id      TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL               -- hex; the payload itself lives in audit_payloads
);
CREATE INDEX audit_records_pending ON audit_records (id) WHERE leaf_index IS NULL;
CREATE INDEX audit_records_object ON audit_records (object_type, object_id);

-- Payloads by hash, outside the hashed leaf: erasable (personal data) while
-- the log stays verifiable.
CREATE TABLE audit_payloads (
    sha256    TEXT PRIMARY KEY,
    payload   TEXT,                            -- NULL once erased
    erased_at TIMESTAMP 
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

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_hashes;
DROP TABLE audit_payloads;
DROP TABLE audit_records;
