-- +goose Up
-- Closing one's own account (注销, 个人信息保护法 Art. 47; issue 16,
-- deliverable 3). A closed account is disabled for good and its password,
-- second factor, verified phone and contacts are erased; the row stays, as
-- do the cases, decisions, licences and audit records naming it (records
-- retention, PIPL Art. 47(2) and 档案法). closed_at is when it was closed.
ALTER TABLE users ADD COLUMN closed_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE users DROP COLUMN closed_at;
