-- +goose Up
-- 网上预约 (issue 19, part 2): slot templates per hall and service, blackout
-- days, the slots booked (one counter row each, created when first booked)
-- and the bookings. The policy (window, lead time, walk-in share, limits,
-- no-shows) is the settings row booking.policy (internal/booking).
CREATE TABLE booking_templates (
    id           TEXT PRIMARY KEY,
    hall_id      TEXT NOT NULL REFERENCES halls (id),
    service_id   TEXT NOT NULL REFERENCES hall_services (id),
    weekdays     TEXT NOT NULL,            -- ISO weekdays, "1 2 3 4 5"
    start_min    INTEGER NOT NULL,         -- minutes after midnight (China)
    end_min      INTEGER NOT NULL,
    slot_minutes INTEGER NOT NULL,
    capacity     INTEGER NOT NULL,         -- places per slot, walk-ins' share included
    active       BOOLEAN NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX booking_templates_hall ON booking_templates (hall_id, service_id);

-- Days a hall takes no bookings beyond the calendar's rest days.
CREATE TABLE booking_blackouts (
    hall_id    TEXT NOT NULL REFERENCES halls (id),
    day        TEXT NOT NULL,              -- YYYY-MM-DD (China)
    reason     TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (hall_id, day)
);

-- A slot's counter: booked never exceeds online (the places bookable
-- online, capacity less the walk-ins' share), because a booking takes a
-- place by one conditional UPDATE (booked < online).
CREATE TABLE booking_slots (
    id         TEXT PRIMARY KEY,
    hall_id    TEXT NOT NULL REFERENCES halls (id),
    service_id TEXT NOT NULL REFERENCES hall_services (id),
    starts_at  TIMESTAMP NOT NULL,
    ends_at    TIMESTAMP NOT NULL,
    capacity   INTEGER NOT NULL,
    online     INTEGER NOT NULL,
    booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= online),
    UNIQUE (hall_id, service_id, starts_at)
);

CREATE TABLE bookings (
    id            TEXT PRIMARY KEY,
    slot_id       TEXT NOT NULL REFERENCES booking_slots (id),
    hall_id       TEXT NOT NULL REFERENCES halls (id),
    service_id    TEXT NOT NULL REFERENCES hall_services (id),
    impl_code     TEXT NOT NULL DEFAULT '',
    person_id     TEXT NOT NULL REFERENCES users (id),
    day           TEXT NOT NULL,            -- the slot's day (China)
    starts_at     TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP NOT NULL,
    state         TEXT NOT NULL,            -- booked, cancelled, checked_in, no_show
    channel       TEXT NOT NULL,            -- portal, api, kiosk
    created_at    TIMESTAMP NOT NULL,
    cancelled_at  TIMESTAMP,
    checked_in_at TIMESTAMP,
    checked_in_by TEXT REFERENCES users (id),
    ticket_id     TEXT,
    ticket_no     TEXT NOT NULL DEFAULT '',
    reminded_at   TIMESTAMP
);
CREATE INDEX bookings_person ON bookings (person_id, day);
CREATE INDEX bookings_open ON bookings (state, starts_at);
CREATE INDEX bookings_hall ON bookings (hall_id, day);

-- A person's booking record: the row a booking locks first (so that two
-- bookings of one person are taken one after the other: the limits hold)
-- and the suspension after repeated no-shows.
CREATE TABLE booking_people (
    user_id         TEXT PRIMARY KEY REFERENCES users (id),
    suspended_until TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE booking_people;
DROP TABLE bookings;
DROP TABLE booking_slots;
DROP TABLE booking_blackouts;
DROP TABLE booking_templates;
