-- +goose Up
-- No hot rows (issue 20). Daily statistics: a figure of a day is kept in
-- up to db.Shards rows, one per shard, and read as their sum (every reader
-- sums already; so does the monthly compaction). SQLite has one
-- writer, which always writes shard 0; the column keeps one schema and one
-- statement on both databases. Existing rows are shard 0.
CREATE TABLE stats_daily_new (
    day           TEXT NOT NULL,
    department_id TEXT NOT NULL REFERENCES departments (id),
    impl_code     TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    shard         INTEGER NOT NULL DEFAULT 0,
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
    PRIMARY KEY (day, department_id, impl_code, region_code, shard)
) WITHOUT ROWID; -- clustered by day: a period is one contiguous range
INSERT INTO stats_daily_new (day, department_id, impl_code, region_code, shard, submitted, online, agent, accepted, refused,
    withdrawn, concluded, granted, on_time, instant, workdays, yellow, red)
SELECT day, department_id, impl_code, region_code, 0, submitted, online, agent, accepted, refused,
    withdrawn, concluded, granted, on_time, instant, workdays, yellow, red FROM stats_daily;
DROP TABLE stats_daily;
ALTER TABLE stats_daily_new RENAME TO stats_daily;
CREATE INDEX stats_daily_department ON stats_daily (department_id, day);

CREATE TABLE stats_staff_daily_new (
    day           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    shard         INTEGER NOT NULL DEFAULT 0,
    acted         INTEGER NOT NULL DEFAULT 0, -- transitions (accept, pass, grant …)
    on_time       INTEGER NOT NULL DEFAULT 0, -- of which within the step's limit (or a step without one)
    PRIMARY KEY (day, user_id, department_id, region_code, shard)
) WITHOUT ROWID;
INSERT INTO stats_staff_daily_new (day, user_id, department_id, region_code, shard, acted, on_time)
SELECT day, user_id, department_id, region_code, 0, acted, on_time FROM stats_staff_daily;
DROP TABLE stats_staff_daily;
ALTER TABLE stats_staff_daily_new RENAME TO stats_staff_daily;

-- Licence serials in blocks of 100,000, as case numbers (00049); SQLite
-- counts on in block 0.
CREATE TABLE licence_serials_new (
    type_code   TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    block       INTEGER NOT NULL DEFAULT 0,
    last        INTEGER NOT NULL,
    PRIMARY KEY (type_code, issuer_code, year, block)
) WITHOUT ROWID;
INSERT INTO licence_serials_new (type_code, issuer_code, year, block, last)
SELECT type_code, issuer_code, year, 0, last FROM licence_serials;
DROP TABLE licence_serials;
ALTER TABLE licence_serials_new RENAME TO licence_serials;

-- +goose Down
CREATE TABLE licence_serials_old (
    type_code   TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    year        INTEGER NOT NULL,
    last        INTEGER NOT NULL,
    PRIMARY KEY (type_code, issuer_code, year)
) WITHOUT ROWID;
INSERT INTO licence_serials_old SELECT type_code, issuer_code, year, MAX(block * 100000 + last)
    FROM licence_serials GROUP BY type_code, issuer_code, year;
DROP TABLE licence_serials;
ALTER TABLE licence_serials_old RENAME TO licence_serials;
CREATE TABLE stats_daily_old (
    day           TEXT NOT NULL,
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
    PRIMARY KEY (day, department_id, impl_code, region_code)
) WITHOUT ROWID;
INSERT INTO stats_daily_old SELECT day, department_id, impl_code, region_code, SUM(submitted), SUM(online), SUM(agent),
    SUM(accepted), SUM(refused), SUM(withdrawn), SUM(concluded), SUM(granted), SUM(on_time), SUM(instant), SUM(workdays),
    SUM(yellow), SUM(red) FROM stats_daily GROUP BY day, department_id, impl_code, region_code;
DROP TABLE stats_daily;
ALTER TABLE stats_daily_old RENAME TO stats_daily;
CREATE INDEX stats_daily_department ON stats_daily (department_id, day);
CREATE TABLE stats_staff_daily_old (
    day           TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    region_code   TEXT NOT NULL,
    acted         INTEGER NOT NULL DEFAULT 0,
    on_time       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id, department_id, region_code)
) WITHOUT ROWID;
INSERT INTO stats_staff_daily_old SELECT day, user_id, department_id, region_code, SUM(acted), SUM(on_time)
    FROM stats_staff_daily GROUP BY day, user_id, department_id, region_code;
DROP TABLE stats_staff_daily;
ALTER TABLE stats_staff_daily_old RENAME TO stats_staff_daily;
