-- +goose Up
-- Case numbers without a hot row (issue 20): an item's serials of a day are
-- taken from blocks of 100,000 (codes.SerialBlock), each its own row. On
-- PostgreSQL a filer takes the first block no other filer holds at that
-- moment (FOR UPDATE SKIP LOCKED) and opens the next when all are held, so
-- concurrent filers of one item no longer queue on one row; unhurried, the
-- numbers run 0001, 0002 … as before. SQLite has one writer: block 0 only.
CREATE TABLE case_serials_new (
    impl_code TEXT NOT NULL,
    day       TEXT NOT NULL,                        -- yyyyMMdd (China time)
    block     INTEGER NOT NULL DEFAULT 0,           -- serials block*100000 + 1 … (block+1)*100000
    last      INTEGER NOT NULL,                     -- the last taken within the block
    PRIMARY KEY (impl_code, day, block)
);
INSERT INTO case_serials_new (impl_code, day, block, last) SELECT impl_code, day, 0, last FROM case_serials;
DROP TABLE case_serials;
ALTER TABLE case_serials_new RENAME TO case_serials;

-- +goose Down
CREATE TABLE case_serials_old (
    impl_code TEXT NOT NULL,
    day       TEXT NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (impl_code, day)
);
INSERT INTO case_serials_old (impl_code, day, last) SELECT impl_code, day, MAX(block * 100000 + last) FROM case_serials GROUP BY impl_code, day;
DROP TABLE case_serials;
ALTER TABLE case_serials_old RENAME TO case_serials;
