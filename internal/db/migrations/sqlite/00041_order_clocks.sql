-- +goose Up
-- Work-order clocks (工单时限): the 差评 work order's verification and
-- rectification, the 诉求 work order's dispatch, signing-for and reply
-- (issue 18). One row per (kind, order, clock); the scanner evaluates the
-- running ones like a case's clocks and keeps their level here, and the
-- figures (按时整改率, 按时办结率) read on_time once stopped.
CREATE TABLE order_clocks (
    kind          TEXT NOT NULL CHECK (kind IN ('rating', 'appeal')),
    order_id      TEXT NOT NULL,
    clock         TEXT NOT NULL,
    order_no      TEXT NOT NULL,
    department_id TEXT NOT NULL DEFAULT '',  -- responsible now ('' before a 诉求 is dispatched)
    region_code   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT '',
    roles         TEXT NOT NULL DEFAULT '',  -- comma-separated: reminded when there is no assignee
    assignee_id   TEXT NOT NULL DEFAULT '',
    started_at    TIMESTAMP NOT NULL,
    due_at        TIMESTAMP NOT NULL,
    hourly        BOOLEAN NOT NULL DEFAULT FALSE,
    level         TEXT NOT NULL DEFAULT 'normal' CHECK (level IN ('normal', 'warning', 'yellow', 'red')),
    level_since   TIMESTAMP,
    stopped_at    TIMESTAMP,
    on_time       BOOLEAN,
    PRIMARY KEY (kind, order_id, clock)
);
CREATE INDEX order_clocks_running ON order_clocks (due_at) WHERE stopped_at IS NULL;
CREATE INDEX order_clocks_signalled ON order_clocks (level, department_id) WHERE level <> 'normal';
CREATE INDEX order_clocks_figures ON order_clocks (kind, clock, stopped_at);

CREATE TABLE order_signal_events (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    clock      TEXT NOT NULL,
    from_level TEXT NOT NULL,
    to_level   TEXT NOT NULL,
    due_at     TIMESTAMP NOT NULL,
    at         TIMESTAMP NOT NULL
);
CREATE INDEX order_signal_events_order ON order_signal_events (kind, order_id, at);

-- Escalation rules name the work-order clocks too (SQLite changes a CHECK by
-- rebuilding the table). Defaults as for 事后核查: remind the responsible
-- staff at the warning level, tell the approvers at yellow, the supervisors
-- at red.
CREATE TABLE escalation_rules_new (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL DEFAULT '',
    clock       TEXT NOT NULL CHECK (clock IN ('decision', 'step', 'pre_review', 'notice', 'tolerance', 'verify', 'rating_verify', 'rating_rectify', 'appeal_dispatch', 'appeal_sign', 'appeal_reply')),
    state       TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL CHECK (level IN ('warning', 'yellow', 'red')),
    action      TEXT NOT NULL CHECK (action IN ('remind', 'escalate', 'urge', 'deem_accepted', 'terminate')),
    role        TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO escalation_rules_new SELECT id, region_code, clock, state, level, action, role, enabled FROM escalation_rules;
DROP TABLE escalation_rules;
ALTER TABLE escalation_rules_new RENAME TO escalation_rules;
INSERT INTO escalation_rules (id, clock, level, action, role) VALUES
    ('default-rating_verify-warning', 'rating_verify', 'warning', 'remind', ''),
    ('default-rating_verify-yellow', 'rating_verify', 'yellow', 'escalate', 'approver'),
    ('default-rating_verify-red', 'rating_verify', 'red', 'escalate', 'supervisor'),
    ('default-rating_rectify-warning', 'rating_rectify', 'warning', 'remind', ''),
    ('default-rating_rectify-yellow', 'rating_rectify', 'yellow', 'escalate', 'approver'),
    ('default-rating_rectify-red', 'rating_rectify', 'red', 'escalate', 'supervisor'),
    ('default-appeal_dispatch-warning', 'appeal_dispatch', 'warning', 'remind', ''),
    ('default-appeal_dispatch-red', 'appeal_dispatch', 'red', 'escalate', 'supervisor'),
    ('default-appeal_sign-warning', 'appeal_sign', 'warning', 'remind', ''),
    ('default-appeal_sign-yellow', 'appeal_sign', 'yellow', 'escalate', 'approver'),
    ('default-appeal_reply-warning', 'appeal_reply', 'warning', 'remind', ''),
    ('default-appeal_reply-yellow', 'appeal_reply', 'yellow', 'escalate', 'approver'),
    ('default-appeal_reply-red', 'appeal_reply', 'red', 'escalate', 'supervisor');

-- +goose Down
DELETE FROM escalation_rules WHERE clock LIKE 'rating_%' OR clock LIKE 'appeal_%';
DROP TABLE order_signal_events;
DROP TABLE order_clocks;
