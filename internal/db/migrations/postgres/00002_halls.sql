-- +goose Up
-- Service halls (政务服务大厅) at each level: 区行政服务中心, 乡镇(街道)便民服务中心, 村(社区)便民服务站.
CREATE TABLE halls (
    id          TEXT PRIMARY KEY,
    region_code TEXT NOT NULL UNIQUE REFERENCES regions (code),
    name        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE halls;
