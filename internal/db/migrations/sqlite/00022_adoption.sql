-- +goose Up
-- Items per region (issue 15): a district or city item names the lower
-- levels that may adopt it (认领), projected from its published version; a
-- town's adoption is its own item (its own 实施编码) linked to the source
-- item and the version it was adopted from, with the town's variations.
ALTER TABLE items ADD COLUMN offered_levels TEXT NOT NULL DEFAULT ''; -- '|5|6|': 行使层级 that may adopt it
-- A withdrawn item takes no new applications; its open cases continue.
ALTER TABLE items ADD COLUMN withdrawn BOOLEAN NOT NULL DEFAULT 0;

CREATE TABLE adoptions (
    item_id        TEXT PRIMARY KEY REFERENCES items (id),   -- the adopting town's item
    source_id      TEXT NOT NULL REFERENCES items (id),      -- the district/city item adopted
    source_version INTEGER NOT NULL,                         -- the source's version the item follows
    department_id  TEXT NOT NULL REFERENCES departments (id),
    region_code    TEXT NOT NULL REFERENCES regions (code),
    hall_id        TEXT REFERENCES halls (id),
    phone          TEXT NOT NULL DEFAULT '',
    address        TEXT NOT NULL DEFAULT '',
    promised_limit TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    updated_by     TEXT NOT NULL
);
CREATE INDEX adoptions_source ON adoptions (source_id);
CREATE INDEX adoptions_region ON adoptions (region_code);

-- +goose Down
DROP TABLE adoptions;
ALTER TABLE items DROP COLUMN withdrawn;
ALTER TABLE items DROP COLUMN offered_levels;
