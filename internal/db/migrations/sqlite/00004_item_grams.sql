-- +goose Up
-- Bigram index of items' folded search text: a search first narrows to the
-- items holding every bigram of its words, then checks the exact substring,
-- so a query costs in proportion to its candidates, not to the catalog.
CREATE TABLE item_grams (
    gram    TEXT NOT NULL,
    item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    PRIMARY KEY (gram, item_id)
) WITHOUT ROWID;
CREATE INDEX item_grams_item ON item_grams (item_id);

-- Browsing lists published items by frequency, then code: an index in that
-- order lets a page stop after its rows instead of sorting the catalog.
DROP INDEX items_browse;
CREATE INDEX items_browse ON items (frequency DESC, impl_code);

-- +goose Down
DROP INDEX items_browse;
CREATE INDEX items_browse ON items (published_version, frequency DESC);
DROP TABLE item_grams;
