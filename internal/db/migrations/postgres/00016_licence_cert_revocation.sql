-- +goose Up
-- A department's signing certificate revoked (its key lost or exposed): the
-- platform stops issuing with it, and lists it for offline verifiers.
ALTER TABLE licence_certs ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE licence_certs ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE licence_certs DROP COLUMN revoked_reason;
ALTER TABLE licence_certs DROP COLUMN revoked_at;
