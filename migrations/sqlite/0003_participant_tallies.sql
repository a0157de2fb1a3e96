-- Each participant's tally (what their entries add up to) is kept on their row, updated in the
-- transaction that adds or removes an entry. Leaderboards and tallies then read one row per
-- participant instead of every entry of the challenge (see the PostgreSQL migration of the
-- same number for the measurement).
ALTER TABLE participants ADD COLUMN total_hundredths INTEGER NOT NULL DEFAULT 0 CHECK (total_hundredths >= 0);
ALTER TABLE participants ADD COLUMN entries INTEGER NOT NULL DEFAULT 0 CHECK (entries >= 0);
ALTER TABLE participants ADD COLUMN days INTEGER NOT NULL DEFAULT 0 CHECK (days >= 0);
-- The value of the latest entry (greatest date, then last recorded); NULL for none or a check-in.
ALTER TABLE participants ADD COLUMN latest_hundredths INTEGER;
ALTER TABLE participants ADD COLUMN last_date TEXT CHECK (last_date IS NULL OR date(last_date) IS last_date);

UPDATE participants SET
    total_hundredths = (SELECT COALESCE(SUM(e.value_hundredths), 0) FROM progress_entries e
                        WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    entries = (SELECT COUNT(*) FROM progress_entries e
               WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    days = (SELECT COUNT(DISTINCT e.progress_date) FROM progress_entries e
            WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    latest_hundredths = (SELECT e.value_hundredths FROM progress_entries e
                         WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id
                         ORDER BY e.progress_date DESC, e.id DESC LIMIT 1),
    last_date = (SELECT MAX(e.progress_date) FROM progress_entries e
                 WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id);
