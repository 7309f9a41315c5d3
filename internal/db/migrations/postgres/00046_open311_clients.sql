-- +goose Up
-- Open311 GeoReport v2 clients (issue 18): outside applications an
-- administrator registers to POST service requests at /open311/v2/. The
-- api_key is shown once; only its SHA-256 is kept (as session tokens and
-- invitation links), with its first characters to tell keys apart. The
-- region is where the client's requests are filed (inside the
-- installation's); a client is revoked, never deleted (its requests name it).
CREATE TABLE open311_clients (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_by  TEXT REFERENCES users (id),
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX open311_clients_region ON open311_clients (region_code);

-- +goose Down
DROP TABLE open311_clients;
