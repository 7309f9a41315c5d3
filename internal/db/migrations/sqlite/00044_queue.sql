-- +goose Up
-- The service hall's queue (issue 19): a hall's services (ticket prefix,
-- typical duration, the items each serves), which windows serve which
-- services, staff signed on to windows, the priority classes, the tickets
-- (取号) with their gapless per-hall, per-prefix, per-day numbers, and every
-- state change of a ticket, timed (ticket_events).
CREATE TABLE hall_services (
    id         TEXT PRIMARY KEY,
    hall_id    TEXT NOT NULL REFERENCES halls (id),
    prefix     TEXT NOT NULL,              -- the ticket prefix: 'A', 'B' …
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL DEFAULT '',
    minutes    INTEGER NOT NULL,           -- the typical duration of one service
    active     BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hall_id, prefix)
);
CREATE TABLE hall_service_items (
    service_id TEXT NOT NULL REFERENCES hall_services (id) ON DELETE CASCADE,
    impl_code  TEXT NOT NULL REFERENCES items (impl_code),
    PRIMARY KEY (service_id, impl_code)
);
CREATE TABLE window_services (
    window_id  TEXT NOT NULL REFERENCES windows (id) ON DELETE CASCADE,
    service_id TEXT NOT NULL REFERENCES hall_services (id) ON DELETE CASCADE,
    PRIMARY KEY (window_id, service_id)
);
CREATE INDEX window_services_service ON window_services (service_id);

-- Priority classes (data): a lower rank is called first, then arrival.
CREATE TABLE queue_priorities (
    code    TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    name_en TEXT NOT NULL,
    rank    INTEGER NOT NULL
);
INSERT INTO queue_priorities (code, name, name_en, rank) VALUES
    ('booking',   '预约',           'Appointment',        10),
    ('elderly70', '70岁以上老年人', 'Aged 70 or over',    20),
    ('elderly60', '60岁以上老年人', 'Aged 60 or over',    30),
    ('disabled',  '残疾人',         'Disabled',           40),
    ('pregnant',  '孕妇',           'Pregnant',           50),
    ('military',  '军人优先',       'Military',           60),
    ('normal',    '普通',           'Normal',            100);

-- A staff member signed on to a window: one open session per window and one
-- per staff member.
CREATE TABLE window_sessions (
    id         TEXT PRIMARY KEY,
    window_id  TEXT NOT NULL REFERENCES windows (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP
);
CREATE UNIQUE INDEX window_sessions_window_open ON window_sessions (window_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX window_sessions_user_open ON window_sessions (user_id) WHERE ended_at IS NULL;

-- The last number given per hall, prefix and China day, incremented in the
-- ticket's transaction: numbers are gapless and unique on every replica.
CREATE TABLE queue_counters (
    hall_id TEXT NOT NULL REFERENCES halls (id),
    prefix  TEXT NOT NULL,
    day     TEXT NOT NULL,                 -- YYYY-MM-DD, China Standard Time
    last    INTEGER NOT NULL,
    PRIMARY KEY (hall_id, prefix, day)
);

CREATE TABLE queue_tickets (
    id          TEXT PRIMARY KEY,
    hall_id     TEXT NOT NULL REFERENCES halls (id),
    service_id  TEXT NOT NULL REFERENCES hall_services (id),
    day         TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    number      TEXT NOT NULL,             -- "A012"
    priority    TEXT NOT NULL REFERENCES queue_priorities (code),
    rank        INTEGER NOT NULL,          -- the priority's rank when taken
    source      TEXT NOT NULL,             -- kiosk, desk, booking, agent, online
    booking_id  TEXT,
    person_id   TEXT REFERENCES users (id),
    taken_by    TEXT REFERENCES users (id),
    near_alert  BOOLEAN NOT NULL DEFAULT 0,
    near_sent   BOOLEAN NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,             -- waiting, called, serving, held, done, void
    taken_at    TIMESTAMP NOT NULL,
    queued_at   TIMESTAMP NOT NULL,        -- its place in its class (kept on transfer)
    target_window_id TEXT REFERENCES windows (id), -- transferred to one window
    window_id   TEXT REFERENCES windows (id),      -- calling or serving it
    staff_id    TEXT REFERENCES users (id),
    calls       INTEGER NOT NULL DEFAULT 0,
    skips       INTEGER NOT NULL DEFAULT 0,
    called_at   TIMESTAMP,                 -- first call
    last_call_at TIMESTAMP,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP,
    outcome     TEXT NOT NULL DEFAULT '',  -- case, enquiry (done); '' otherwise
    case_id     TEXT,
    impl_code   TEXT NOT NULL DEFAULT '',
    changed_at  TIMESTAMP NOT NULL,
    UNIQUE (hall_id, prefix, day, seq)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (hall_id, day, state, rank, queued_at);
CREATE INDEX queue_tickets_booking ON queue_tickets (booking_id);

CREATE TABLE ticket_events (
    id         TEXT PRIMARY KEY,
    ticket_id  TEXT NOT NULL REFERENCES queue_tickets (id),
    hall_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,              -- take, call, recall, skip, transfer, hold, resume, start, finish, void
    window_id  TEXT,
    staff_id   TEXT,
    detail     TEXT NOT NULL DEFAULT '',
    at         TIMESTAMP NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);
CREATE INDEX ticket_events_hall ON ticket_events (hall_id, at);

-- +goose Down
DROP TABLE ticket_events;
DROP TABLE queue_tickets;
DROP TABLE queue_counters;
DROP TABLE window_sessions;
DROP TABLE queue_priorities;
DROP TABLE window_services;
DROP TABLE hall_service_items;
DROP TABLE hall_services;
