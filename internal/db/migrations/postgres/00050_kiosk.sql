-- +goose Up
-- The kiosk (issue 19): an item marked 自助办理 (self_service, projected
-- from its version like the other browse columns) is filed by the
-- applicant at a hall's self-service terminal as an 即办件.
ALTER TABLE items ADD COLUMN self_service BOOLEAN NOT NULL DEFAULT FALSE;

-- 即将到号 for a ticket taken without an account: the mobile number the
-- resident gave at the kiosk with their consent, sealed (the vault, like
-- every contact) for the SMS channel, masked for every page; the sealed
-- number is cleared when the ticket's day has ended.
ALTER TABLE queue_tickets ADD COLUMN near_phone_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_tickets ADD COLUMN near_phone_masked TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_tickets ADD COLUMN near_consent_at TIMESTAMP;

-- +goose Down
ALTER TABLE queue_tickets DROP COLUMN near_consent_at;
ALTER TABLE queue_tickets DROP COLUMN near_phone_masked;
ALTER TABLE queue_tickets DROP COLUMN near_phone_sealed;
ALTER TABLE items DROP COLUMN self_service;
