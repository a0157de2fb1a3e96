-- Each participant's tally (what their entries add up to) is kept on their row, updated in the
-- transaction that adds or removes an entry (which locks that row already). Leaderboards and
-- tallies then read one row per participant instead of every entry of the challenge: a
-- leaderboard of 200 people with 8,000 entries took 3.5 ms of the server's time before
-- (EXPLAIN ANALYZE), and grew with every entry.
ALTER TABLE participants
    ADD COLUMN total_hundredths  BIGINT NOT NULL DEFAULT 0 CHECK (total_hundredths >= 0),
    ADD COLUMN entries           BIGINT NOT NULL DEFAULT 0 CHECK (entries >= 0),
    ADD COLUMN days              BIGINT NOT NULL DEFAULT 0 CHECK (days >= 0),
    -- The value of the latest entry (greatest date, then last recorded); NULL for none or a
    -- check-in.
    ADD COLUMN latest_hundredths BIGINT,
    ADD COLUMN last_date         DATE,
    ADD CONSTRAINT participants_days_within_entries CHECK (days <= entries);

UPDATE participants p SET
    total_hundredths = (SELECT COALESCE(SUM(e.value_hundredths), 0) FROM progress_entries e
                        WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    entries = (SELECT COUNT(*) FROM progress_entries e
               WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    days = (SELECT COUNT(DISTINCT e.progress_date) FROM progress_entries e
            WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    latest_hundredths = (SELECT e.value_hundredths FROM progress_entries e
                         WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id
                         ORDER BY e.progress_date DESC, e.id DESC LIMIT 1),
    last_date = (SELECT MAX(e.progress_date) FROM progress_entries e
                 WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id);
