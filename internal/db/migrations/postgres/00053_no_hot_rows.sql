-- +goose Up
-- No hot rows (issue 20). Daily statistics: a figure of a day is kept in
-- up to db.Shards rows, one per shard, and read as their sum (every reader
-- sums already; so does the monthly compaction). A write transaction
-- upserts the shard no other writer of its process holds (db.Tx.Shard), so
-- concurrent actions on cases of one item no longer wait for each other's
-- commits on the day's row. Existing rows are shard 0.
ALTER TABLE stats_daily ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stats_daily DROP CONSTRAINT stats_daily_pkey;
ALTER TABLE stats_daily ADD PRIMARY KEY (day, department_id, impl_code, region_code, shard);
ALTER TABLE stats_staff_daily ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE stats_staff_daily DROP CONSTRAINT stats_staff_daily_pkey;
ALTER TABLE stats_staff_daily ADD PRIMARY KEY (day, user_id, department_id, region_code, shard);

-- Licence serials in blocks of 100,000, as case numbers (00049): grants of
-- one licence type by one issuer take the first block no other grant holds
-- (license.nextSerial), instead of queueing on the year's row.
ALTER TABLE licence_serials ADD COLUMN block INTEGER NOT NULL DEFAULT 0;
ALTER TABLE licence_serials DROP CONSTRAINT licence_serials_pkey;
ALTER TABLE licence_serials ADD PRIMARY KEY (type_code, issuer_code, year, block);

-- +goose Down
UPDATE licence_serials s SET last = (SELECT MAX(t.block * 100000 + t.last) FROM licence_serials t
    WHERE t.type_code = s.type_code AND t.issuer_code = s.issuer_code AND t.year = s.year) WHERE s.block = 0;
DELETE FROM licence_serials WHERE block <> 0;
ALTER TABLE licence_serials DROP CONSTRAINT licence_serials_pkey;
ALTER TABLE licence_serials ADD PRIMARY KEY (type_code, issuer_code, year);
ALTER TABLE licence_serials DROP COLUMN block;
UPDATE stats_daily s SET submitted = t.submitted, online = t.online, agent = t.agent, accepted = t.accepted,
    refused = t.refused, withdrawn = t.withdrawn, concluded = t.concluded, granted = t.granted, on_time = t.on_time,
    instant = t.instant, workdays = t.workdays, yellow = t.yellow, red = t.red
FROM (SELECT day, department_id, impl_code, region_code, MIN(shard) AS shard, SUM(submitted) AS submitted,
        SUM(online) AS online, SUM(agent) AS agent, SUM(accepted) AS accepted, SUM(refused) AS refused,
        SUM(withdrawn) AS withdrawn, SUM(concluded) AS concluded, SUM(granted) AS granted, SUM(on_time) AS on_time,
        SUM(instant) AS instant, SUM(workdays) AS workdays, SUM(yellow) AS yellow, SUM(red) AS red
    FROM stats_daily GROUP BY day, department_id, impl_code, region_code) t
WHERE s.day = t.day AND s.department_id = t.department_id AND s.impl_code = t.impl_code
    AND s.region_code = t.region_code AND s.shard = t.shard;
DELETE FROM stats_daily s WHERE s.shard > (SELECT MIN(t.shard) FROM stats_daily t WHERE t.day = s.day
    AND t.department_id = s.department_id AND t.impl_code = s.impl_code AND t.region_code = s.region_code);
ALTER TABLE stats_daily DROP CONSTRAINT stats_daily_pkey;
ALTER TABLE stats_daily DROP COLUMN shard;
ALTER TABLE stats_daily ADD PRIMARY KEY (day, department_id, impl_code, region_code);
UPDATE stats_staff_daily s SET acted = t.acted, on_time = t.on_time
FROM (SELECT day, user_id, department_id, region_code, MIN(shard) AS shard, SUM(acted) AS acted, SUM(on_time) AS on_time
    FROM stats_staff_daily GROUP BY day, user_id, department_id, region_code) t
WHERE s.day = t.day AND s.user_id = t.user_id AND s.department_id = t.department_id
    AND s.region_code = t.region_code AND s.shard = t.shard;
DELETE FROM stats_staff_daily s WHERE s.shard > (SELECT MIN(t.shard) FROM stats_staff_daily t WHERE t.day = s.day
    AND t.user_id = s.user_id AND t.department_id = s.department_id AND t.region_code = s.region_code);
ALTER TABLE stats_staff_daily DROP CONSTRAINT stats_staff_daily_pkey;
ALTER TABLE stats_staff_daily DROP COLUMN shard;
ALTER TABLE stats_staff_daily ADD PRIMARY KEY (day, user_id, department_id, region_code);
