-- challenge-bot schema, SQLite flavour (see migrations/postgres for the PostgreSQL one).
--
-- Amounts are whole hundredths (Amount::from_hundredths): 12.5 km is 1250. One value is at most
-- 1,000,000,000, i.e. 100000000000 hundredths. Dates are TEXT 'YYYY-MM-DD' and timestamps RFC 3339
-- TEXT in UTC, as sqlx's chrono encoding writes them; both sort as text. STRICT tables refuse a
-- value of the wrong type instead of storing it. Foreign keys are enforced because every
-- connection turns on `PRAGMA foreign_keys` (see src/storage/sqlite).

-- The names shown on leaderboards. A user need not be here to take part.
CREATE TABLE users (
    id           INTEGER PRIMARY KEY,
    display_name TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 64),
    updated_at   TEXT    NOT NULL
) STRICT;

CREATE TABLE challenges (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    -- length() counts characters, not bytes.
    name                    TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description             TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    creator_id              INTEGER NOT NULL,
    created_at              TEXT    NOT NULL,
    start_date              TEXT    NOT NULL CHECK (date(start_date) IS start_date),
    deadline                TEXT    NOT NULL CHECK (date(deadline) IS deadline),
    unit                    TEXT    CHECK (unit IS NULL OR length(unit) BETWEEN 1 AND 16),
    goal_kind               TEXT    NOT NULL CHECK (goal_kind IN ('total', 'at-least', 'at-most', 'days')),
    default_goal_hundredths INTEGER NOT NULL
        CHECK (default_goal_hundredths > 0 AND default_goal_hundredths <= 100000000000),
    CHECK (deadline >= start_date)
) STRICT;

-- Lists of active challenges filter on the deadline and show the newest first.
CREATE INDEX challenges_deadline_idx ON challenges (deadline, id);

CREATE TABLE participants (
    challenge_id    INTEGER NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    goal_hundredths INTEGER NOT NULL CHECK (goal_hundredths > 0 AND goal_hundredths <= 100000000000),
    joined_at       TEXT    NOT NULL,
    completed_at    TEXT,
    -- One participant per user and challenge, however many joins race.
    PRIMARY KEY (challenge_id, user_id)
) STRICT, WITHOUT ROWID;

-- "Challenges I joined" and "challenges I have not joined" look participants up by user.
CREATE INDEX participants_user_idx ON participants (user_id, challenge_id);

CREATE TABLE progress_entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    challenge_id     INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    -- NULL for a check-in (a "days" challenge).
    value_hundredths INTEGER CHECK (value_hundredths IS NULL
        OR (value_hundredths > 0 AND value_hundredths <= 100000000000)),
    progress_date    TEXT    NOT NULL CHECK (date(progress_date) IS progress_date),
    recorded_at      TEXT    NOT NULL,
    -- The same input recorded twice is stored once.
    idempotency_key  TEXT    UNIQUE CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 64),
    FOREIGN KEY (challenge_id, user_id) REFERENCES participants (challenge_id, user_id) ON DELETE CASCADE
) STRICT;

-- Tallies, lists and "the latest entry" read a participant's entries by date.
CREATE INDEX progress_entries_participant_idx ON progress_entries (challenge_id, user_id, progress_date, id);
