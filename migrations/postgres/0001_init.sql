-- challenge-bot schema, PostgreSQL flavour (see migrations/sqlite for the SQLite one).
--
-- Amounts are whole hundredths (Amount::from_hundredths): 12.5 km is 1250. One value is at most
-- 1,000,000,000, i.e. 100000000000 hundredths. SUM() of a BIGINT is NUMERIC: queries cast it back.

-- The names shown on leaderboards. A user need not be here to take part.
CREATE TABLE users (
    id           BIGINT      PRIMARY KEY,
    display_name TEXT        NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE challenges (
    id                      BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description             TEXT        NOT NULL DEFAULT '' CHECK (char_length(description) <= 1000),
    creator_id              BIGINT      NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL,
    start_date              DATE        NOT NULL,
    deadline                DATE        NOT NULL,
    unit                    TEXT        CHECK (unit IS NULL OR char_length(unit) BETWEEN 1 AND 16),
    goal_kind               TEXT        NOT NULL CHECK (goal_kind IN ('total', 'at-least', 'at-most', 'days')),
    default_goal_hundredths BIGINT      NOT NULL
        CHECK (default_goal_hundredths > 0 AND default_goal_hundredths <= 100000000000),
    CONSTRAINT challenges_deadline_after_start CHECK (deadline >= start_date)
);

-- Lists of active challenges filter on the deadline and show the newest first.
CREATE INDEX challenges_deadline_idx ON challenges (deadline, id);

CREATE TABLE participants (
    challenge_id    BIGINT      NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id         BIGINT      NOT NULL,
    goal_hundredths BIGINT      NOT NULL CHECK (goal_hundredths > 0 AND goal_hundredths <= 100000000000),
    joined_at       TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ,
    -- One participant per user and challenge, however many joins race.
    PRIMARY KEY (challenge_id, user_id)
);

-- "Challenges I joined" and "challenges I have not joined" look participants up by user.
CREATE INDEX participants_user_idx ON participants (user_id, challenge_id);

CREATE TABLE progress_entries (
    id               BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    challenge_id     BIGINT      NOT NULL,
    user_id          BIGINT      NOT NULL,
    -- NULL for a check-in (a "days" challenge).
    value_hundredths BIGINT      CHECK (value_hundredths > 0 AND value_hundredths <= 100000000000),
    progress_date    DATE        NOT NULL,
    recorded_at      TIMESTAMPTZ NOT NULL,
    -- The same input recorded twice is stored once.
    idempotency_key  TEXT        UNIQUE CHECK (char_length(idempotency_key) BETWEEN 1 AND 64),
    FOREIGN KEY (challenge_id, user_id) REFERENCES participants (challenge_id, user_id) ON DELETE CASCADE
);

-- Tallies, lists and "the latest entry" read a participant's entries by date.
CREATE INDEX progress_entries_participant_idx ON progress_entries (challenge_id, user_id, progress_date, id);
