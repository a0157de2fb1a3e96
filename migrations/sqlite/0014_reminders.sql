-- The bot speaks first (issue 13). Each person's settings: their time zone, their daily
-- reminder (minutes after midnight in their zone; NULL: off) and the challenges it covers
-- (ids, comma separated; NULL: all of theirs), whether Telegram said they blocked the bot, and
-- the next instant of each kind of reminder, with the earliest as due_at (the scheduler's index).
CREATE TABLE user_settings (
    user_id              INTEGER PRIMARY KEY,
    time_zone            TEXT,
    remind_at            INTEGER CHECK (remind_at BETWEEN 0 AND 1439),
    remind_challenges    TEXT,
    reminders_paused     INTEGER NOT NULL DEFAULT 0,
    reminder_offered     INTEGER NOT NULL DEFAULT 0,
    remind_next_at       TEXT,
    streak_next_at       TEXT,
    due_at               TEXT,
    updated_at           TEXT    NOT NULL
) STRICT;
CREATE INDEX user_settings_due_idx ON user_settings (due_at) WHERE due_at IS NOT NULL;

-- A challenge's days are counted in its creator's zone at creation (NULL: the server's), and
-- its participants get the final standings once (summarized_at). Challenges that had ended
-- before this migration are not summarized late.
ALTER TABLE challenges ADD COLUMN time_zone TEXT;
ALTER TABLE challenges ADD COLUMN summarized_at TEXT;
UPDATE challenges SET summarized_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE deadline < date('now', '-1 day');
CREATE INDEX challenges_unsummarized_idx ON challenges (deadline) WHERE summarized_at IS NULL;
