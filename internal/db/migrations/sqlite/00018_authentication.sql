-- +goose Up
-- Login throttling without lock-out (docs/ARCHITECTURE.md "Login throttling"):
-- failures per account+address pair, per account (from places it has never
-- logged in from) and per address, each with the time the next attempt may
-- come. Shared by every replica.
DROP TABLE login_failures;
CREATE TABLE login_throttle (
    key             TEXT PRIMARY KEY,      -- 'pair:NAME|ADDR', 'user:NAME' or 'ip:ADDR'
    failures        INTEGER NOT NULL,
    window_start    TIMESTAMP NOT NULL,
    last_failure_at TIMESTAMP NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);

-- Where an account has logged in successfully: an address, or a browser's
-- device cookie (its SHA-256). The per-account limit does not apply there.
CREATE TABLE login_known (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('ip', 'device')),
    value        TEXT NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, kind, value)
);
CREATE INDEX login_known_seen ON login_known (last_seen_at);

-- The second factor (TOTP, RFC 6238): the secret sealed with the data key;
-- pending until its first code is confirmed; the last time step accepted
-- (a code is never accepted twice).
ALTER TABLE users ADD COLUMN totp_sealed BLOB;
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN totp_enrolled_at TIMESTAMP;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- One-time recovery codes: their SHA-256 (80 random bits each), used once.
CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);

-- A web login whose password was right, waiting for its second factor.
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempts   INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE login_challenges;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enrolled_at;
ALTER TABLE users DROP COLUMN totp_pending;
ALTER TABLE users DROP COLUMN totp_sealed;
DROP TABLE login_known;
DROP TABLE login_throttle;
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);
