-- +goose Up
-- The organisation an installation administers (issue 15): departments with
-- their parent, type, contacts and an active flag; halls with opening hours
-- and a location; windows (窗口) in a hall and what each serves; and which
-- divisions the installation serves.
ALTER TABLE departments ADD COLUMN parent_id TEXT REFERENCES departments (id);
ALTER TABLE departments ADD COLUMN kind TEXT NOT NULL DEFAULT 'government';
ALTER TABLE departments ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;

ALTER TABLE halls ADD COLUMN hours TEXT NOT NULL DEFAULT '[]'; -- JSON: [{"days":[1..7],"from":"09:00","to":"12:00"}]
ALTER TABLE halls ADD COLUMN lat REAL;
ALTER TABLE halls ADD COLUMN lng REAL;
ALTER TABLE halls ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;

-- A division the installation serves: items and halls only in served ones.
ALTER TABLE regions ADD COLUMN served BOOLEAN NOT NULL DEFAULT 1;

CREATE TABLE windows (
    id         TEXT PRIMARY KEY,
    hall_id    TEXT NOT NULL REFERENCES halls (id),
    number     TEXT NOT NULL,              -- the number shown above it: "1", "A3"
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,              -- comprehensive, special, assisted, elderly, self_service
    active     BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hall_id, number)
);
CREATE TABLE window_items (
    window_id TEXT NOT NULL REFERENCES windows (id) ON DELETE CASCADE,
    impl_code TEXT NOT NULL REFERENCES items (impl_code),
    PRIMARY KEY (window_id, impl_code)
);
CREATE TABLE window_departments (
    window_id     TEXT NOT NULL REFERENCES windows (id) ON DELETE CASCADE,
    department_id TEXT NOT NULL REFERENCES departments (id),
    PRIMARY KEY (window_id, department_id)
);

-- +goose Down
DROP TABLE window_departments;
DROP TABLE window_items;
DROP TABLE windows;
ALTER TABLE regions DROP COLUMN served;
ALTER TABLE halls DROP COLUMN active;
ALTER TABLE halls DROP COLUMN lng;
ALTER TABLE halls DROP COLUMN lat;
ALTER TABLE halls DROP COLUMN hours;
ALTER TABLE departments DROP COLUMN active;
ALTER TABLE departments DROP COLUMN address;
ALTER TABLE departments DROP COLUMN phone;
ALTER TABLE departments DROP COLUMN kind;
ALTER TABLE departments DROP COLUMN parent_id;
