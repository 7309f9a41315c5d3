-- +goose Up
-- Staff figures (R4.5 rankings): what each member of staff moved on a day,
-- and whether within the step's own limit. Written with each staff action.
CREATE TABLE stats_staff_daily (
    day           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    acted         INTEGER NOT NULL DEFAULT 0, -- transitions (accept, pass, grant …)
    on_time       INTEGER NOT NULL DEFAULT 0, -- of which within the step's limit (or a step without one)
    PRIMARY KEY (day, user_id, department_id, region_code)
) WITHOUT ROWID;

-- Monthly rollups of closed months, summed from the daily rows by the
-- supervision job (a day's rows never change once the day is over): long
-- periods read months, not days.
CREATE TABLE stats_monthly (
    month         TEXT NOT NULL,               -- yyyy-mm
    department_id TEXT NOT NULL REFERENCES departments (id),
    impl_code     TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    submitted     INTEGER NOT NULL DEFAULT 0,
    online        INTEGER NOT NULL DEFAULT 0,
    agent         INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    refused       INTEGER NOT NULL DEFAULT 0,
    withdrawn     INTEGER NOT NULL DEFAULT 0,
    concluded     INTEGER NOT NULL DEFAULT 0,
    granted       INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0,
    instant       INTEGER NOT NULL DEFAULT 0,
    workdays      INTEGER NOT NULL DEFAULT 0,
    yellow        INTEGER NOT NULL DEFAULT 0,
    red           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, department_id, impl_code, region_code)
) WITHOUT ROWID;
-- The same without the item: what the dashboards group by (department,
-- region, month) in a fifth of the rows.
CREATE TABLE stats_monthly_dr (
    month         TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    submitted     INTEGER NOT NULL DEFAULT 0,
    online        INTEGER NOT NULL DEFAULT 0,
    agent         INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    refused       INTEGER NOT NULL DEFAULT 0,
    withdrawn     INTEGER NOT NULL DEFAULT 0,
    concluded     INTEGER NOT NULL DEFAULT 0,
    granted       INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0,
    instant       INTEGER NOT NULL DEFAULT 0,
    workdays      INTEGER NOT NULL DEFAULT 0,
    yellow        INTEGER NOT NULL DEFAULT 0,
    red           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, department_id, region_code)
) WITHOUT ROWID;
CREATE TABLE stats_months (
    month       TEXT PRIMARY KEY,              -- compacted into stats_monthly
    compacted_at TIMESTAMP  NOT NULL
);

-- +goose Down
DROP TABLE stats_months;
DROP TABLE stats_monthly_dr;
DROP TABLE stats_monthly;
DROP TABLE stats_staff_daily;
