-- +goose Up
-- 检索同义词 (R1.7): the catalog administrators' synonym entries, laid over
-- the curated set shipped with Tongban (internal/catalog/data): a term
-- stored here replaces the shipped one; stored without expansions ('[]')
-- it turns the shipped one off. Expansions are a JSON array of strings.
CREATE TABLE search_synonyms (
    term       TEXT PRIMARY KEY,
    expansions TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

-- +goose Down
DROP TABLE search_synonyms;
