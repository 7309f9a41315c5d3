-- +goose Up
-- 新到待办 (issue 16): a case entering a step is no longer written as one
-- notification to each holder of the step; the holders' new work is their
-- inbox list changed since they last looked (seen_at), told through their
-- channels in a digest at most every half hour (told_at).
CREATE TABLE work_seen (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    seen_at TIMESTAMP,
    told_at TIMESTAMP
);

-- +goose Down
DROP TABLE work_seen;
