-- +goose Up
-- Channel delivery (issue 16): the dispatcher expands each outbox row (one
-- per notification) into one delivery per channel the recipient chose, and
-- sends each at least once. outbox.sent_at now means "expanded".
CREATE TABLE deliveries (
    id          TEXT PRIMARY KEY,
    outbox_id   TEXT NOT NULL REFERENCES outbox (id),
    channel     TEXT NOT NULL,                   -- email | sms
    idem_key    TEXT NOT NULL UNIQUE,            -- notification id ":" channel, sent to the gateway
    state       TEXT NOT NULL DEFAULT 'pending', -- pending | sent | dead | cancelled
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     TIMESTAMPTZ NOT NULL,               -- not before
    claimed_by  TEXT NOT NULL DEFAULT '',        -- the replica sending it …
    claim_until TIMESTAMPTZ,                        -- … until then (a claim is a lease on one row)
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ                         -- sent, dead or cancelled
);
CREATE INDEX deliveries_due ON deliveries (next_at) WHERE state = 'pending';
CREATE INDEX deliveries_state ON deliveries (state, channel);

-- Where a user is reached besides the in-app inbox, sealed at rest like
-- other personal data, and which channels they chose.
CREATE TABLE contacts (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    phone_sealed TEXT NOT NULL DEFAULT '',
    phone_masked TEXT NOT NULL DEFAULT '',
    email_sealed TEXT NOT NULL DEFAULT '',
    email_masked TEXT NOT NULL DEFAULT '',
    sms          BOOLEAN NOT NULL DEFAULT FALSE,
    email        BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE contacts;
DROP TABLE deliveries;
