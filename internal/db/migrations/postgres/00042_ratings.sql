-- +goose Up
-- 好差评 (issue 18; 国办发〔2019〕51号, GB/T 39734-2020). A rating's subject is
-- a case (一事一评) or a hall visit (一次一评, a queue ticket): subject_kind and
-- subject_id. One first rating and one 追评 per subject and rater (the unique
-- index is the anti-fraud rule "one rating per case per rater"). A rating
-- made by a region's rule when the window passed is `defaulted` and never
-- counted as a real one. The rater is kept for the 回访 and the rules, never
-- shown in figures; the figures read the department, region and item.
CREATE TABLE ratings (
    id            TEXT PRIMARY KEY,
    subject_kind  TEXT NOT NULL,                 -- case, visit
    subject_id    TEXT NOT NULL,
    subject_no    TEXT NOT NULL DEFAULT '',      -- the case number (or ticket number) shown
    kind          TEXT NOT NULL,                 -- first, follow_up (追评)
    rater_id      TEXT REFERENCES users (id),    -- NULL: an anonymous hall visitor (a visit's ticket)
    level         INTEGER NOT NULL,              -- 5 非常满意 … 1 非常不满意
    direction     TEXT NOT NULL,                 -- 'high_is_good': 5 is the best level
    indicator_set TEXT NOT NULL,                 -- the version of the indicator set
    indicators    TEXT NOT NULL DEFAULT '',      -- chosen indicator codes, '|'-separated
    comment       TEXT NOT NULL DEFAULT '',
    text_hash     TEXT NOT NULL DEFAULT '',      -- SHA-256 of the normalised comment: bursts of one text
    flagged       BOOLEAN NOT NULL DEFAULT FALSE, -- part of a burst of identical texts (for supervisors)
    channel       TEXT NOT NULL,                 -- GB/T 39046: pc, mobile, qr, hall_tablet, hall_other, phone, sms
    defaulted     BOOLEAN NOT NULL DEFAULT FALSE,
    item_code     TEXT NOT NULL DEFAULT '',
    item_name     TEXT NOT NULL DEFAULT '',
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    staff_ids     TEXT NOT NULL DEFAULT '',      -- staff who acted on the case, '|'-separated
    concluded_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX ratings_once ON ratings (subject_kind, subject_id, rater_id, kind);
-- 一次一评: one rating of a visit, whoever (or nobody known) rates it.
CREATE UNIQUE INDEX ratings_visit_once ON ratings (subject_id, kind) WHERE subject_kind = 'visit';
CREATE INDEX ratings_dept ON ratings (department_id, created_at);
CREATE INDEX ratings_region ON ratings (region_code, created_at);
CREATE INDEX ratings_text ON ratings (text_hash, created_at);

-- Region rules (data): the window, whether a default rating is made at its
-- end, and the 差评 limits. The most specific region enclosing a case's wins;
-- without one the defaults apply (7 days, nothing, 1 and 15 working days).
CREATE TABLE rating_rules (
    region_code   TEXT PRIMARY KEY,
    window_days   INTEGER NOT NULL,
    default_level INTEGER NOT NULL DEFAULT 0,    -- 0: record nothing at expiry
    verify_days   INTEGER NOT NULL,
    rectify_days  INTEGER NOT NULL
);

-- 差评工单: one per bad rating (不满意, 非常不满意).
CREATE TABLE rating_orders (
    id             TEXT PRIMARY KEY,
    order_no       TEXT NOT NULL UNIQUE,
    rating_id      TEXT NOT NULL UNIQUE REFERENCES ratings (id),
    department_id  TEXT NOT NULL REFERENCES departments (id),
    region_code    TEXT NOT NULL,
    item_name      TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,                -- pending, verifying, appealed, rectifying, rectified, revisited, closed
    outcome        TEXT NOT NULL DEFAULT '',     -- rectified, misrated, malicious (申诉成立)
    assignee_id    TEXT REFERENCES users (id),
    appeal_reason  TEXT NOT NULL DEFAULT '',     -- misrated (误评), malicious (恶意)
    verify_note    TEXT NOT NULL DEFAULT '',
    appeal_note    TEXT NOT NULL DEFAULT '',
    decision_note  TEXT NOT NULL DEFAULT '',
    rectify_note   TEXT NOT NULL DEFAULT '',
    revisit_answer TEXT NOT NULL DEFAULT '',     -- satisfied, unsatisfied
    revisit_by     TEXT NOT NULL DEFAULT '',     -- rater (online), phone (recorded by staff)
    revisit_note   TEXT NOT NULL DEFAULT '',
    verify_due_at  TIMESTAMPTZ NOT NULL,
    rectify_due_at TIMESTAMPTZ NOT NULL,
    verified_at    TIMESTAMPTZ,
    rectified_at   TIMESTAMPTZ,
    rectified_on_time BOOLEAN,
    revisited_at   TIMESTAMPTZ,
    closed_at      TIMESTAMPTZ,
    rev            INTEGER NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX rating_orders_ledger ON rating_orders (department_id, state, created_at);
CREATE INDEX rating_orders_region ON rating_orders (region_code, created_at);

-- The order's history, in the transaction of each step.
CREATE TABLE rating_order_events (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES rating_orders (id),
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    actor_id   TEXT,
    actor_role TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    at         TIMESTAMPTZ NOT NULL,
    UNIQUE (order_id, seq)
);

-- +goose Down
DROP TABLE rating_order_events;
DROP TABLE rating_orders;
DROP TABLE rating_rules;
DROP TABLE ratings;
