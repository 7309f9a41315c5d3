-- +goose Up
-- Invitation links (邀请链接, issue 15): instead of a one-time password an
-- administrator may give a new staff account a link /invite/{token} with
-- which its person sets their own password. Only the SHA-256 of the token is
-- kept; a link is used once, ends at expires_at, and is revoked when another
-- is issued, the password is reset or an administrator revokes it.
CREATE TABLE staff_invitations (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP
);
CREATE INDEX staff_invitations_user ON staff_invitations (user_id);

-- +goose Down
DROP TABLE staff_invitations;
