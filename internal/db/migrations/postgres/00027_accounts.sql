-- +goose Up
-- Accounts people open themselves (issue 16, deliverable 3).
--
-- Level of assurance (身份认证等级): 1 = L1, self-registered (name and ID
-- number checked for form only, the mobile number proven by an SMS code);
-- 2 = L2, verified face to face at a window (a clerk saw the ID card). Staff
-- accounts carry 1 and it means nothing for them. A person registered at a
-- window (walk-in) was seen there: 2.
ALTER TABLE users ADD COLUMN assurance INTEGER NOT NULL DEFAULT 1 CHECK (assurance IN (1, 2));
UPDATE users SET assurance = 2 WHERE username LIKE 'walkin-%';

-- The mobile number an account proved it holds (an SMS code reached it):
-- it signs in by SMS code and resets its password by one. One account per
-- number; the number sealed like other personal data, found by keyed hash.
CREATE TABLE account_phones (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phone_index  TEXT NOT NULL UNIQUE,
    phone_sealed TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    verified_at  TIMESTAMPTZ NOT NULL
);

-- One-time SMS codes (短信验证码): their keyed hash only, for one number and
-- one purpose, single use, expiring, with a bound on wrong guesses. The rows
-- also count requests per number and per address (rate limits).
CREATE TABLE sms_codes (
    id          TEXT PRIMARY KEY,
    phone_index TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX sms_codes_phone ON sms_codes (phone_index, created_at);
CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);

-- +goose Down
DROP TABLE sms_codes;
DROP TABLE account_phones;
ALTER TABLE users DROP COLUMN assurance;
