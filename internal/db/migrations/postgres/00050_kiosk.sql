-- +goose Up
-- The kiosk (issue 19): an item marked 自助办理 (self_service, projected
-- from its version like the other browse columns) is filed by the
-- applicant at a hall's self-service terminal as an 即办件.
ALTER TABLE items ADD COLUMN self_service BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE items DROP COLUMN self_service;
