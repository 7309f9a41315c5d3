-- +goose Up
-- Daily rollups (R4.5, R8.3): what dashboards and monthly reports read, so
-- that no request aggregates over all cases. Maintained by the case engine
-- in the transaction of each counted action, and by the supervision scanner
-- for cards. day is the date in China.
CREATE TABLE stats_daily (
    day           TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    impl_code     TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    submitted     INTEGER NOT NULL DEFAULT 0, -- applications (first submission; a bundle counts its sub-cases)
    online        INTEGER NOT NULL DEFAULT 0, -- of which filed online (外网申报)
    agent         INTEGER NOT NULL DEFAULT 0, -- of which filed by an agent (代办)
    accepted      INTEGER NOT NULL DEFAULT 0,
    refused       INTEGER NOT NULL DEFAULT 0,
    withdrawn     INTEGER NOT NULL DEFAULT 0, -- withdrawn or terminated
    concluded     INTEGER NOT NULL DEFAULT 0, -- decided (准予 or 不予)
    granted       INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0, -- concluded within the decision deadline
    instant       INTEGER NOT NULL DEFAULT 0, -- concluded on the day of acceptance (即办)
    workdays      INTEGER NOT NULL DEFAULT 0, -- sum of working days from acceptance to decision
    yellow        INTEGER NOT NULL DEFAULT 0, -- clocks that reached a yellow card
    red           INTEGER NOT NULL DEFAULT 0, -- clocks that reached a red card
    PRIMARY KEY (day, department_id, impl_code, region_code)
) WITHOUT ROWID; -- clustered by day: a period is one contiguous range
CREATE INDEX stats_daily_department ON stats_daily (department_id, day);

-- +goose Down
DROP TABLE stats_daily;
