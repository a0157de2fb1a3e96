-- The scheduler takes due work in the order (due_at, user_id), a batch at a time. With the
-- index on due_at alone, people due at the same instant (everyone reminded at 20:00 in one
-- zone) were all read and sorted for each batch: 100,000 of them made each batch's read scan
-- the table. With user_id in the index, a batch reads its own rows only.
DROP INDEX user_settings_due_idx;
CREATE INDEX user_settings_due_idx ON user_settings (due_at, user_id) WHERE due_at IS NOT NULL;
