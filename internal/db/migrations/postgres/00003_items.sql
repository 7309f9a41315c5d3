-- +goose Up
-- Service items (事项). An item is stable (its implementation code, its
-- department); its content lives in versions. A published version never
-- changes (R1.5): the trigger below refuses any update or delete of one.
CREATE TABLE items (
    id                TEXT PRIMARY KEY,
    impl_code         TEXT NOT NULL UNIQUE,          -- 实施编码
    basic_code        TEXT NOT NULL,                 -- 基本编码
    department_id     TEXT NOT NULL REFERENCES departments (id),
    region_code       TEXT NOT NULL REFERENCES regions (code),
    published_version INTEGER NOT NULL DEFAULT 0,    -- 0: never published
    draft_version     INTEGER,                       -- NULL: no open draft
    -- Projection of the newest version (published, or the draft before the
    -- first publication) for browsing and search without decoding documents.
    name              TEXT NOT NULL,
    subject           TEXT NOT NULL,                 -- personal, legal, both
    item_type         TEXT NOT NULL,
    level             INTEGER NOT NULL,
    handling          INTEGER NOT NULL,
    depth_level       INTEGER NOT NULL,
    visits            INTEGER NOT NULL,
    frequency         INTEGER NOT NULL DEFAULT 0,
    themes            TEXT NOT NULL DEFAULT '',      -- '|a|b|' so that LIKE '%|a|%' selects
    life_events       TEXT NOT NULL DEFAULT '',
    name_key          TEXT NOT NULL DEFAULT '',      -- normalised name (search ranks name matches first)
    search            TEXT NOT NULL DEFAULT '',      -- normalised name, codes, keywords, department
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX items_department ON items (department_id);
CREATE INDEX items_browse ON items (published_version, frequency DESC);
CREATE INDEX items_basic ON items (basic_code);

CREATE TABLE item_versions (
    item_id      TEXT NOT NULL REFERENCES items (id),
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL,                      -- draft, published
    body         TEXT NOT NULL,                      -- the Item document (JSON)
    digest       TEXT NOT NULL,                      -- SHA-256 of body
    note         TEXT NOT NULL DEFAULT '',           -- what changed, from the editor
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    published_by TEXT,
    PRIMARY KEY (item_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION item_versions_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'a published item version never changes';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER item_versions_frozen BEFORE UPDATE OR DELETE ON item_versions
FOR EACH ROW EXECUTE FUNCTION item_versions_frozen();

-- Bundles (一件事, R1.4): items across departments offered as one service.
CREATE TABLE bundles (
    id          TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    life_event  TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    published   BOOLEAN NOT NULL DEFAULT FALSE,
    frequency   INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE bundle_items (
    bundle_id TEXT NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    impl_code TEXT NOT NULL REFERENCES items (impl_code),
    PRIMARY KEY (bundle_id, position)
);

-- +goose Down
DROP TABLE bundle_items;
DROP TABLE bundles;
DROP TABLE item_versions;
DROP FUNCTION item_versions_frozen();
DROP TABLE items;
