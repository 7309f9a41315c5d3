-- +goose Up
-- Staff administration (issue 15): an account whose password an
-- administrator set (a one-time password at creation or reset) must change
-- it at its next login before anything else.
ALTER TABLE users ADD COLUMN password_must_change BOOLEAN NOT NULL DEFAULT 0;

-- A staff account's office phone (办公电话), shown to administrators; ''
-- when not given. Not a personal identifier: the post's number.
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE users DROP COLUMN phone;
ALTER TABLE users DROP COLUMN password_must_change;
