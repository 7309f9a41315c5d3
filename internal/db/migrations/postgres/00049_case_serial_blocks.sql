-- +goose Up
-- Case numbers without a hot row (issue 20): an item's serials of a day are
-- taken from blocks of 100,000 (codes.SerialBlock), each its own row. A
-- filer takes the first block no other filer holds at that moment (FOR
-- UPDATE SKIP LOCKED) and opens the next when all are held, so concurrent
-- filers of one item no longer queue on one row; unhurried, the numbers run
-- 0001, 0002 … as before.
ALTER TABLE case_serials ADD COLUMN block INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_serials DROP CONSTRAINT case_serials_pkey;
ALTER TABLE case_serials ADD PRIMARY KEY (impl_code, day, block);

-- +goose Down
UPDATE case_serials s SET last = (SELECT MAX(t.block * 100000 + t.last) FROM case_serials t
    WHERE t.impl_code = s.impl_code AND t.day = s.day) WHERE s.block = 0;
DELETE FROM case_serials WHERE block <> 0;
ALTER TABLE case_serials DROP CONSTRAINT case_serials_pkey;
ALTER TABLE case_serials ADD PRIMARY KEY (impl_code, day);
ALTER TABLE case_serials DROP COLUMN block;
