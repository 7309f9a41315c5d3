-- +goose Up
-- How the applicant chose at filing to receive the result (issue 16,
-- deliverable 4): window | post | online ('' for cases filed before). A
-- posting address (recipient, phone, region, address) is sealed at rest like
-- the form values; '' when the result is not posted.
ALTER TABLE cases ADD COLUMN delivery_choice TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN delivery_post TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE cases DROP COLUMN delivery_post;
ALTER TABLE cases DROP COLUMN delivery_choice;
