-- +goose Up
-- Regions (行政区划) and departments (部门): the scopes staff roles are granted in.
-- The catalog issue extends these; the foundation needs them for role scopes.
CREATE TABLE regions (
    code        TEXT PRIMARY KEY,          -- GB/T 2260 (6) or statistical (12) code
    name        TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    parent_code TEXT REFERENCES regions (code)
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE departments (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    credit_code TEXT NOT NULL UNIQUE,      -- GB 32100
    region_code TEXT NOT NULL REFERENCES regions (code),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX departments_region ON departments (region_code);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,
    username         TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('person', 'organisation', 'staff')),
    display_name     TEXT NOT NULL,
    password_hash    TEXT NOT NULL,        -- argon2id, PHC string format
    password_default BOOLEAN NOT NULL DEFAULT FALSE, -- set only by demo seeding; serve refuses to start while any is set
    locale           TEXT NOT NULL DEFAULT '',
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- 自然人. The ID number is sealed (AES-256-GCM) at rest; a keyed hash finds it.
CREATE TABLE persons (
    user_id          TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    id_number_index  TEXT NOT NULL UNIQUE,
    id_number_masked TEXT NOT NULL,
    id_number_sealed BYTEA NOT NULL,
    phone_masked     TEXT NOT NULL DEFAULT ''
);

-- 法人 and other organisations, by unified social credit code (public data).
CREATE TABLE organisations (
    user_id        TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    credit_code    TEXT NOT NULL UNIQUE,
    legal_rep_name TEXT NOT NULL DEFAULT ''
);

-- A role held in a scope: staff roles name a department and/or a region.
CREATE TABLE role_grants (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('applicant', 'agent', 'clerk', 'handler', 'reviewer', 'approver', 'supervisor', 'admin')),
    department_id TEXT REFERENCES departments (id),
    region_code   TEXT REFERENCES regions (code),
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX role_grants_user ON role_grants (user_id);

-- Sessions for the browser (cookie) and the API (bearer token). Only the
-- SHA-256 of the token is stored, so a copy of the table opens no session.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Login throttling, shared by every replica: failures per account and per address.
CREATE TABLE login_failures (
    key          TEXT PRIMARY KEY,         -- 'user:NAME' or 'ip:ADDR'
    failures     INTEGER NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE role_grants;
DROP TABLE organisations;
DROP TABLE persons;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE regions;
