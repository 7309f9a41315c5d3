-- +goose Up
-- 诉求 (issue 18): consultations, requests for help, complaints, reports,
-- suggestions and praise as work orders (工单), dispatched by the 派单目录 to
-- a department and run on the work-order clocks (supervise.OrderClock).

-- The dispatch directory (派单目录): category → the department that handles
-- it and the types it takes. Data, edited by administrators (audited); the
-- demo seeds a county's directory.
CREATE TABLE appeal_categories (
    code          TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    name_en       TEXT NOT NULL DEFAULT '',
    department_id TEXT NOT NULL REFERENCES departments (id),
    types         TEXT NOT NULL,            -- the types allowed, space-separated
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Time limits per type and urgency (data): dispatch within dispatch_hours
-- (an hourly clock) or else dispatch_days working days of acceptance; sign
-- within sign_days and reply within reply_days working days of DISPATCH.
CREATE TABLE appeal_limits (
    type           TEXT NOT NULL,
    urgency        TEXT NOT NULL,
    dispatch_hours INTEGER NOT NULL DEFAULT 0,
    dispatch_days  INTEGER NOT NULL DEFAULT 1,
    sign_days      INTEGER NOT NULL DEFAULT 1,
    reply_days     INTEGER NOT NULL,
    PRIMARY KEY (type, urgency)
);
INSERT INTO appeal_limits (type, urgency, dispatch_hours, dispatch_days, sign_days, reply_days) VALUES
    ('consult', 'normal', 0, 1, 1, 2), ('consult', 'urgent', 1, 0, 1, 2),
    ('request', 'normal', 0, 1, 1, 10), ('request', 'urgent', 1, 0, 1, 10),
    ('complaint', 'normal', 0, 1, 1, 15), ('complaint', 'urgent', 1, 0, 1, 15),
    ('report', 'normal', 0, 1, 1, 15), ('report', 'urgent', 1, 0, 1, 15),
    ('suggestion', 'normal', 0, 1, 1, 15), ('suggestion', 'urgent', 1, 0, 1, 15),
    ('praise', 'normal', 0, 1, 1, 5), ('praise', 'urgent', 1, 0, 1, 5);

-- Work-order numbers: SQ + day (China) + shard + serial. Eight shards per
-- day, chosen at random, so concurrent submissions rarely queue on one row.
CREATE TABLE appeal_serials (
    day   TEXT NOT NULL,
    shard INTEGER NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (day, shard)
);

CREATE TABLE appeals (
    id               TEXT PRIMARY KEY,
    appeal_no        TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    type             TEXT NOT NULL,
    category         TEXT NOT NULL REFERENCES appeal_categories (code),
    urgency          TEXT NOT NULL,
    region_code      TEXT NOT NULL REFERENCES regions (code),
    location         TEXT NOT NULL DEFAULT '',
    lat              DOUBLE PRECISION,
    lng              DOUBLE PRECISION,
    description      TEXT NOT NULL,
    state            TEXT NOT NULL,
    anonymous        BOOLEAN NOT NULL DEFAULT FALSE,
    contact          BOOLEAN NOT NULL DEFAULT FALSE, -- consent to be contacted
    publish          BOOLEAN NOT NULL DEFAULT FALSE, -- consent to publish the reply
    requester_id     TEXT REFERENCES users (id),
    entered_by       TEXT REFERENCES users (id),     -- the operator of a phone, letter or walk-in order
    name_sealed      TEXT NOT NULL DEFAULT '',       -- vault.SealText, bound to the id
    phone_sealed     TEXT NOT NULL DEFAULT '',
    phone_masked     TEXT NOT NULL DEFAULT '',
    email_sealed     TEXT NOT NULL DEFAULT '',
    related_case_no  TEXT NOT NULL DEFAULT '',
    impl_code        TEXT NOT NULL DEFAULT '',
    external_client  TEXT NOT NULL DEFAULT '',
    department_id    TEXT REFERENCES departments (id),
    assignee_id      TEXT REFERENCES users (id),
    parent_id        TEXT REFERENCES appeals (id),   -- 并单: merged into
    reply            TEXT NOT NULL DEFAULT '',
    return_reason    TEXT NOT NULL DEFAULT '',
    ext_state        TEXT NOT NULL DEFAULT '',       -- '', requested, approved, refused
    ext_days         INTEGER NOT NULL DEFAULT 0,
    ext_reason       TEXT NOT NULL DEFAULT '',
    redone           BOOLEAN NOT NULL DEFAULT FALSE, -- 重办 used
    satisfaction     TEXT NOT NULL DEFAULT '',       -- '', satisfied, unsatisfied
    resolved         BOOLEAN,                        -- the requester's answer at 回访
    rev              INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    dispatched_at    TIMESTAMPTZ,
    signed_at        TIMESTAMPTZ,
    replied_at       TIMESTAMPTZ,
    closed_at        TIMESTAMPTZ,
    -- the running clocks' deadlines, as the lists show them (supervise.order_clocks keeps the clocks)
    dispatch_due     TIMESTAMPTZ,
    sign_due         TIMESTAMPTZ,
    reply_due        TIMESTAMPTZ
);
CREATE INDEX appeals_state ON appeals (state, region_code);
CREATE INDEX appeals_department ON appeals (department_id, state);
CREATE INDEX appeals_requester ON appeals (requester_id, created_at);
CREATE INDEX appeals_created ON appeals (created_at);

-- Every change of an order, in order: the order page's history.
CREATE TABLE appeal_events (
    appeal_id  TEXT NOT NULL REFERENCES appeals (id),
    seq        INTEGER NOT NULL,
    actor_id   TEXT REFERENCES users (id),
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (appeal_id, seq)
);

-- Attachments are uploads (case_materials) claimed by an order.
ALTER TABLE case_materials ADD COLUMN appeal_id TEXT;

-- +goose Down
ALTER TABLE case_materials DROP COLUMN appeal_id;
DROP TABLE appeal_events;
DROP TABLE appeals;
DROP TABLE appeal_serials;
DROP TABLE appeal_limits;
DROP TABLE appeal_categories;
