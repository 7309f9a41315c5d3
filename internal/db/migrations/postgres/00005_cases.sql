-- +goose Up
-- Cases (办件, R2/R3). A case refers to the item version it was filed under
-- (R1.5) and to the process version it runs (key@version). Deadlines are
-- stored as instants in indexed columns so that "what is due or overdue" is
-- an index range query (R4.1); NULL means the clock does not run.
CREATE TABLE cases (
    id                TEXT PRIMARY KEY,
    case_no           TEXT UNIQUE,                  -- 办件编号: implementation code + yyyyMMdd + serial; NULL while a draft
    parent_id         TEXT REFERENCES cases (id),   -- a bundle's sub-case names its parent
    bundle_code       TEXT NOT NULL DEFAULT '',
    item_id           TEXT NOT NULL REFERENCES items (id),
    impl_code         TEXT NOT NULL,
    item_version      INTEGER NOT NULL,
    item_name         TEXT NOT NULL,
    department_id     TEXT NOT NULL REFERENCES departments (id), -- the department holding the case (转办 changes it)
    region_code       TEXT NOT NULL REFERENCES regions (code),
    process           TEXT NOT NULL,                -- workflow key@version
    state             TEXT NOT NULL,
    status            TEXT NOT NULL,                -- what the applicant sees
    applicant_id      TEXT NOT NULL REFERENCES users (id),
    applicant_name    TEXT NOT NULL,
    applicant_kind    TEXT NOT NULL,
    applicant_masked  TEXT NOT NULL DEFAULT '',     -- masked ID number or the credit code
    agent_id          TEXT REFERENCES users (id),   -- 代办员 who applied on the applicant's behalf
    channel           TEXT NOT NULL,                -- online, window, agent
    created_by        TEXT NOT NULL REFERENCES users (id),
    idempotency_key   TEXT,
    form_values       TEXT NOT NULL,                -- JSON
    answers           TEXT NOT NULL DEFAULT '{}',   -- situation answers (JSON)
    commitment        BOOLEAN NOT NULL DEFAULT FALSE, -- 告知承诺 signed
    tolerance         TEXT NOT NULL DEFAULT '',     -- 容缺: material keys still owed, '|'-separated
    assignee_id       TEXT REFERENCES users (id),
    rev               INTEGER NOT NULL,             -- optimistic concurrency
    promised_limit    INTEGER NOT NULL,             -- half working days
    extension         INTEGER NOT NULL DEFAULT 0,   -- half working days granted by 延长审批
    paused_days       INTEGER NOT NULL DEFAULT 0,   -- working days inside ended special procedures
    paused_since      TIMESTAMPTZ,                    -- a special procedure is running
    step_started_at   TIMESTAMPTZ,
    step_paused_days  INTEGER NOT NULL DEFAULT 0,
    submitted_at      TIMESTAMPTZ,
    accepted_at       TIMESTAMPTZ,
    decided_at        TIMESTAMPTZ,
    concluded_at      TIMESTAMPTZ,
    delivered_at      TIMESTAMPTZ,
    decision          TEXT NOT NULL DEFAULT '',     -- granted, denied
    decision_reason   TEXT NOT NULL DEFAULT '',
    delivery_method   TEXT NOT NULL DEFAULT '',     -- window, post, online
    tracking_no       TEXT NOT NULL DEFAULT '',
    urged_at          TIMESTAMPTZ,
    clock             TEXT NOT NULL DEFAULT '',     -- the clock that runs: pre_review, decision, paused, or ''
    due_at            TIMESTAMPTZ,                    -- decision deadline (承诺时限)
    pre_review_due_at TIMESTAMPTZ,                    -- 网上预审 limit
    notice_due_at     TIMESTAMPTZ,                    -- 行政许可法 Art. 32: five days to issue the correction notice
    step_due_at       TIMESTAMPTZ,                    -- the current step's own limit
    tolerance_due_at  TIMESTAMPTZ,                    -- 容缺: the owed materials are due
    verify_due_at     TIMESTAMPTZ,                    -- 告知承诺: post-verification (事后核查) due
    verified_at       TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX cases_idempotency ON cases (created_by, idempotency_key);
CREATE INDEX cases_applicant ON cases (applicant_id, updated_at);
CREATE INDEX cases_agent ON cases (agent_id, updated_at);
CREATE INDEX cases_inbox ON cases (state, department_id, updated_at);
CREATE INDEX cases_parent ON cases (parent_id);
CREATE INDEX cases_due ON cases (clock, due_at); -- due_at keeps the deadline after the clock stops
CREATE INDEX cases_pre_review_due ON cases (pre_review_due_at);
CREATE INDEX cases_notice_due ON cases (notice_due_at);
CREATE INDEX cases_step_due ON cases (step_due_at);
CREATE INDEX cases_tolerance_due ON cases (tolerance_due_at);
CREATE INDEX cases_verify_due ON cases (verify_due_at);

-- The daily serial of case numbers per implementation code.
CREATE TABLE case_serials (
    impl_code TEXT NOT NULL,
    day       TEXT NOT NULL,                        -- yyyyMMdd (China time)
    last      INTEGER NOT NULL,
    PRIMARY KEY (impl_code, day)
);

-- Domain events: every transition and operation, in the transaction that
-- made it. The timeline of a case is its events in seq order.
CREATE TABLE case_events (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    actor_id   TEXT REFERENCES users (id),
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    data       TEXT NOT NULL DEFAULT '{}',
    step_due_at TIMESTAMPTZ,
    at         TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, seq)
);

-- Uploaded materials. A file is uploaded first (owned by the uploader) and
-- attached to a case when the case is saved; the bytes live in the blob
-- store under their SHA-256.
CREATE TABLE case_materials (
    id           TEXT PRIMARY KEY,
    case_id      TEXT REFERENCES cases (id),
    owner_id     TEXT NOT NULL REFERENCES users (id),
    material_key TEXT NOT NULL DEFAULT '',
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    replaced     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_materials_case ON case_materials (case_id, material_key);
CREATE INDEX case_materials_owner ON case_materials (owner_id, created_at);

-- Written notices and decisions (受理通知书, 不予受理通知书, 补正告知书,
-- 特别程序告知书, 准予/不予决定书): what was notified, as issued.
CREATE TABLE case_notices (
    id        TEXT PRIMARY KEY,
    case_id   TEXT NOT NULL REFERENCES cases (id),
    kind      TEXT NOT NULL,
    body      TEXT NOT NULL,                        -- JSON
    issued_by TEXT NOT NULL REFERENCES users (id),
    issued_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_notices_case ON case_notices (case_id, issued_at);

-- Special procedures (特别程序, 行政许可法 Art. 45) pause the decision clock.
CREATE TABLE case_pauses (
    id         TEXT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    kind       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    expected   INTEGER NOT NULL,                    -- expected working days, told to the applicant
    started_at TIMESTAMPTZ NOT NULL,
    started_by TEXT NOT NULL REFERENCES users (id),
    ended_at   TIMESTAMPTZ,
    ended_by   TEXT REFERENCES users (id),
    workdays   INTEGER NOT NULL DEFAULT 0           -- working days the clock stood still
);
CREATE INDEX case_pauses_case ON case_pauses (case_id, started_at);

-- 延长审批: the deadline extended by an approver, with the reason.
CREATE TABLE case_extensions (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    half_days   INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    approved_by TEXT NOT NULL REFERENCES users (id),
    approver    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_extensions_case ON case_extensions (case_id, at);

-- 会签: departments asked for an opinion on the current step, all-of or any-of.
CREATE TABLE case_countersigns (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    mode        TEXT NOT NULL CHECK (mode IN ('all', 'any')),
    note        TEXT NOT NULL DEFAULT '',
    started_by  TEXT NOT NULL REFERENCES users (id),
    started_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ
);
CREATE INDEX case_countersigns_case ON case_countersigns (case_id);

CREATE TABLE case_countersign_tasks (
    countersign_id TEXT NOT NULL REFERENCES case_countersigns (id),
    department_id  TEXT NOT NULL REFERENCES departments (id),
    case_id        TEXT NOT NULL REFERENCES cases (id),
    opinion        TEXT NOT NULL DEFAULT '',        -- '', agree, disagree
    comment        TEXT NOT NULL DEFAULT '',
    actor_id       TEXT REFERENCES users (id),
    acted_at       TIMESTAMPTZ,
    PRIMARY KEY (countersign_id, department_id)
);
CREATE INDEX case_countersign_tasks_open ON case_countersign_tasks (department_id, opinion);

-- Every read of personal data by staff or another system (R9.3): who, what, when, why.
CREATE TABLE access_log (
    id          TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL REFERENCES users (id),
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_log_object ON access_log (object_type, object_id, at);

-- +goose Down
DROP TABLE access_log;
DROP TABLE case_countersign_tasks;
DROP TABLE case_countersigns;
DROP TABLE case_extensions;
DROP TABLE case_pauses;
DROP TABLE case_notices;
DROP TABLE case_materials;
DROP TABLE case_events;
DROP TABLE case_serials;
DROP TABLE cases;
