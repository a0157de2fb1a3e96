-- Creators moderate (issue 17): a participant whose display name the creator hid shows as
-- "Participant N" in that challenge's leaderboard; N is numbered per challenge. NULLs are
-- distinct in a unique index on both databases, so only hidden names take a number.
ALTER TABLE participants ADD COLUMN name_hidden_as INTEGER;
CREATE UNIQUE INDEX participants_hidden_name_idx ON participants (challenge_id, name_hidden_as);
