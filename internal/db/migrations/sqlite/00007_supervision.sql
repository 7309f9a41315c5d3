-- +goose Up
-- Electronic supervision (电子监察, R4.1–R4.6).

-- Leases for jobs that run in every replica but must act in one (the signal
-- scanner; later the audit sequencer). A holder renews before expiry; anyone
-- may take an expired lease.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMP  NOT NULL,
    last_run_at TIMESTAMP 
);

-- Signal thresholds in working days (STANDARDS.md §3 defaults: warning when
-- ≤ 1 remains, yellow when 1 late, red when 2 or more late), per region (the
-- code and every division under it; '' everywhere) and item type ('' any).
-- The most specific row wins: the longest region, then the item type.
CREATE TABLE signal_thresholds (
    region_code TEXT NOT NULL DEFAULT '',
    item_type   TEXT NOT NULL DEFAULT '',
    warn_days   INTEGER NOT NULL CHECK (warn_days >= 0),
    yellow_days INTEGER NOT NULL CHECK (yellow_days >= 1),
    red_days    INTEGER NOT NULL,
    updated_at  TIMESTAMP  NOT NULL,
    CHECK (red_days > yellow_days),
    PRIMARY KEY (region_code, item_type)
);

-- The signal of each clock of each open case that is not normal (warning,
-- yellow, red): what the scanner last decided. A normal clock has no row.
CREATE TABLE case_signals (
    case_id       TEXT NOT NULL REFERENCES cases (id),
    clock         TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice')),
    level         TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    due_at        TIMESTAMP  NOT NULL,
    state         TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    since         TIMESTAMP  NOT NULL,               -- when it reached this level
    PRIMARY KEY (case_id, clock)
);
CREATE INDEX case_signals_level ON case_signals (level, department_id);

-- Every signal change, as the scanner recorded it (normal ↔ warning ↔
-- yellow ↔ red); part of the case's record beside its timeline.
CREATE TABLE signal_events (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    clock      TEXT NOT NULL,
    from_level TEXT NOT NULL,
    to_level   TEXT NOT NULL,
    due_at     TIMESTAMP ,
    at         TIMESTAMP  NOT NULL
);
CREATE INDEX signal_events_case ON signal_events (case_id, at);
CREATE INDEX signal_events_at ON signal_events (at);

-- Escalation rules as data: when a clock of a case (in a state, or any)
-- reaches a level, do something. Actions: remind the responsible staff,
-- escalate to a role (notify its holders in the case's department or region),
-- urge (督办) in the system's name, deem accepted (行政许可法 Art. 32, only
-- on the notice clock).
CREATE TABLE escalation_rules (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice')),
    state       TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    action      TEXT NOT NULL CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted')),
    role        TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO escalation_rules (id, clock, level, action, role) VALUES
    ('default-decision-warning', 'decision', 'warning', 'remind', ''),
    ('default-decision-yellow', 'decision', 'yellow', 'escalate', 'approver'),
    ('default-decision-red', 'decision', 'red', 'urge', ''),
    ('default-decision-red-supervisor', 'decision', 'red', 'escalate', 'supervisor'),
    ('default-step-yellow', 'step', 'yellow', 'remind', ''),
    ('default-pre-review-yellow', 'pre_review', 'yellow', 'remind', ''),
    ('default-notice-warning', 'notice', 'warning', 'remind', ''),
    ('default-notice-yellow', 'notice', 'yellow', 'deem_accepted', '');

-- The platform itself, as the actor of what escalation rules do (a deemed
-- acceptance issues its notice in this name). It cannot sign in.
INSERT INTO users (id, username, kind, display_name, password_hash, disabled, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'system', 'staff', '电子监察系统', '!', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- In-app notifications (红灯提醒 and the like) for staff and applicants.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    case_id    TEXT REFERENCES cases (id),
    kind       TEXT NOT NULL,                    -- remind, escalate, urge, deemed
    body       TEXT NOT NULL,                    -- JSON: message key and arguments
    dedup      TEXT NOT NULL,                    -- one notification per user per cause
    created_at TIMESTAMP  NOT NULL,
    read_at    TIMESTAMP ,
    UNIQUE (user_id, dedup)
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- What later channels (SMS, e-mail) will deliver: one row per notification
-- and channel, written in the notification's transaction.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL,
    recipient       TEXT NOT NULL REFERENCES users (id),
    payload         TEXT NOT NULL,
    created_at      TIMESTAMP  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    sent_at         TIMESTAMP 
);
CREATE INDEX outbox_pending ON outbox (created_at) WHERE sent_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE notifications;
DROP TABLE escalation_rules;
DELETE FROM users WHERE id = '00000000-0000-7000-8000-000000000001';
DROP TABLE signal_events;
DROP TABLE case_signals;
DROP TABLE signal_thresholds;
DROP TABLE job_leases;
