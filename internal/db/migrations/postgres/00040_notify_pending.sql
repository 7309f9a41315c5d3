-- +goose Up
-- Notifications are sent in the transaction of what caused them, but written
-- there only as one append-only row (issue 16: writing each notification and
-- its outbox row into their indexed tables cost a case step 28–39 %). The
-- dispatcher of every replica, and any reader of an inbox, settles pending
-- rows in batches into notifications and outbox (notify.Settle), where a
-- repeated cause (user_id, dedup) is dropped as before.
CREATE TABLE notify_pending (
    seq        BIGSERIAL PRIMARY KEY, -- the order of sending
    id         TEXT NOT NULL,         -- the notification's id (UUIDv7)
    user_id    TEXT NOT NULL,
    case_id    TEXT,
    kind       TEXT NOT NULL,
    body       TEXT NOT NULL,
    dedup      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Whom a step tells is found by role and department (identity.Holders), once
-- per step: an index, not every grant of the installation.
CREATE INDEX role_grants_role ON role_grants (role, department_id);

-- +goose Down
DROP INDEX role_grants_role;
DROP TABLE notify_pending;
