-- +goose Up
-- A person's own quiet hours (issue 16, PIPL: notification preferences):
-- from quiet_from to quiet_to o'clock, Asia/Shanghai (crossing midnight when
-- from > to; equal: none); both NULL: the installation's window (22–08).
-- quiet_email holds back e-mail in the window too (SMS always is, unless
-- urgent).
ALTER TABLE contacts ADD COLUMN quiet_from INTEGER;
ALTER TABLE contacts ADD COLUMN quiet_to INTEGER;
ALTER TABLE contacts ADD COLUMN quiet_email BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE contacts DROP COLUMN quiet_email;
ALTER TABLE contacts DROP COLUMN quiet_to;
ALTER TABLE contacts DROP COLUMN quiet_from;
