-- +goose Up
-- Electronic licences (电子证照, R5.1, R5.2; GB/T 36901…36906).

-- Licence types as data: what a licence of the type carries and how long it
-- is valid. fields is JSON: [{"key","label","label_en","from"}], where from
-- names the source of the value: "form:<field key>", "applicant.name",
-- "case.no", "item.name", "department.name".
CREATE TABLE licence_types (
    code           TEXT PRIMARY KEY,          -- GB/T 36904 licence type code (authority credit code + 3 digits)
    name           TEXT NOT NULL,
    name_en        TEXT NOT NULL DEFAULT '',
    authority      TEXT NOT NULL,             -- 定义机构
    fields         TEXT NOT NULL DEFAULT '[]',
    validity_years INTEGER NOT NULL DEFAULT 0 CHECK (validity_years >= 0), -- 0: 长期 (no end)
    number_prefix  TEXT NOT NULL DEFAULT '',
    layout         TEXT NOT NULL DEFAULT '{}', -- JSON: {"accent","subtitle"}
    updated_at     TIMESTAMPTZ NOT NULL
);

-- The signing certificates licences were signed with (the private keys stay
-- in files): a licence names its certificate by serial.
CREATE TABLE licence_certs (
    serial        TEXT PRIMARY KEY,           -- hex
    department_id TEXT NOT NULL REFERENCES departments (id),
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('sm2-sm3', 'ed25519')),
    pem           TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Per issuer, type and year: the serial of the next licence.
CREATE TABLE licence_serials (
    type_code   TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (type_code, issuer_code, year)
);

-- The licence library (电子证照库). payload is the exact signed bytes;
-- status is valid, suspended or revoked (expiry is read from valid_to).
CREATE TABLE licences (
    id             TEXT PRIMARY KEY,
    identifier     TEXT NOT NULL UNIQUE,
    type_code      TEXT NOT NULL REFERENCES licence_types (code),
    number         TEXT NOT NULL,
    holder_id      TEXT NOT NULL REFERENCES users (id),
    holder_name    TEXT NOT NULL,
    holder_masked  TEXT NOT NULL,
    department_id  TEXT NOT NULL REFERENCES departments (id),
    case_id        TEXT REFERENCES cases (id),
    valid_from     TEXT NOT NULL,             -- yyyy-mm-dd
    valid_to       TEXT,                      -- yyyy-mm-dd, NULL: 长期
    payload        TEXT NOT NULL,
    signature      BYTEA NOT NULL,
    cert_serial    TEXT NOT NULL REFERENCES licence_certs (serial),
    status         TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason  TEXT NOT NULL DEFAULT '',
    expired_noted  BOOLEAN NOT NULL DEFAULT FALSE,
    issued_at      TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX licences_holder ON licences (holder_id, type_code);
CREATE UNIQUE INDEX licences_case ON licences (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX licences_expiring ON licences (valid_to) WHERE expired_noted = FALSE AND valid_to IS NOT NULL;

-- Each change of a licence: issue, suspend, resume, revoke, expire.
CREATE TABLE licence_events (
    id          TEXT NOT NULL,
    licence_id  TEXT NOT NULL REFERENCES licences (id),
    action      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (licence_id, at, id)
);

-- One-time share links (Diia's model): the token is shown once and only its
-- hash is kept; the first opening binds the link to that browser.
CREATE TABLE licence_shares (
    id          TEXT PRIMARY KEY,
    licence_id  TEXT NOT NULL REFERENCES licences (id),
    token_hash  TEXT NOT NULL UNIQUE,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    viewer_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX licence_shares_licence ON licence_shares (licence_id, created_at);

-- Every verification: by the page, the API, a share link or a file.
CREATE TABLE licence_checks (
    id          TEXT NOT NULL,
    licence_id  TEXT NOT NULL REFERENCES licences (id),
    share_id    TEXT NOT NULL DEFAULT '',
    channel     TEXT NOT NULL CHECK (channel IN ('page', 'api', 'share', 'file')),
    verdict     TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    checker     TEXT NOT NULL DEFAULT '',     -- a signed-in checker's name, else the masked address
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (licence_id, at, id)
);

-- 免提交: a material of a case satisfied by a licence the applicant holds.
CREATE TABLE case_licences (
    case_id      TEXT NOT NULL REFERENCES cases (id),
    material_key TEXT NOT NULL,
    licence_id   TEXT NOT NULL REFERENCES licences (id),
    at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, material_key)
);

-- +goose Down
DROP TABLE case_licences;
DROP TABLE licence_checks;
DROP TABLE licence_shares;
DROP TABLE licence_events;
DROP TABLE licences;
DROP TABLE licence_serials;
DROP TABLE licence_certs;
DROP TABLE licence_types;
