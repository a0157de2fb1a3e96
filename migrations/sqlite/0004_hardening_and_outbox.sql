-- no-transaction
-- (sqlx runs this file outside a transaction: SQLite can only switch foreign keys off between
-- transactions, and the tables rebuilt here must not take their dependants with them. The
-- rebuild itself is one transaction below.)
--
-- 1. Lengths are counted in graphemes by the program (a name of 100 "👍🏽" is 200 code points):
--    the text columns' CHECKs now bound code points generously instead of repeating the rule.
-- 2. An idempotency key belongs to one participant: unique per (challenge, user, key), and the
--    value first sent under it is kept (key_value_hundredths) to tell a retry from a reuse.
-- 3. One check-in per date: duplicates are removed (the first recorded stays) and an index
--    keeps it so; the tallies of the participants concerned are computed again.
-- 4. The outbox: one row per message still to send (bot_outbox), replacing the actions kept on
--    each update's record; an inbox for updates confirmed before they are handled (bot_inbox);
--    and a record of updates given up on (bot_failures).
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE users_new (
    id           INTEGER PRIMARY KEY,
    display_name TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 1000),
    updated_at   TEXT    NOT NULL
) STRICT;
INSERT INTO users_new (id, display_name, updated_at) SELECT id, display_name, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE challenges_new (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 2000),
    description             TEXT    NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    creator_id              INTEGER NOT NULL,
    created_at              TEXT    NOT NULL,
    start_date              TEXT    NOT NULL CHECK (date(start_date) IS start_date),
    deadline                TEXT    NOT NULL CHECK (date(deadline) IS deadline),
    unit                    TEXT    CHECK (unit IS NULL OR length(unit) BETWEEN 1 AND 400),
    goal_kind               TEXT    NOT NULL CHECK (goal_kind IN ('total', 'at-least', 'at-most', 'days')),
    default_goal_hundredths INTEGER NOT NULL
        CHECK (default_goal_hundredths > 0 AND default_goal_hundredths <= 100000000000),
    CHECK (deadline >= start_date)
) STRICT;
INSERT INTO challenges_new (id, name, description, creator_id, created_at, start_date, deadline, unit, goal_kind,
                            default_goal_hundredths)
    SELECT id, name, description, creator_id, created_at, start_date, deadline, unit, goal_kind,
           default_goal_hundredths FROM challenges;
DROP TABLE challenges;
ALTER TABLE challenges_new RENAME TO challenges;
CREATE INDEX challenges_deadline_idx ON challenges (deadline, id);

-- Check-ins recorded twice for one date: the first recorded stays.
DELETE FROM progress_entries WHERE value_hundredths IS NULL AND EXISTS (
    SELECT 1 FROM progress_entries e WHERE e.challenge_id = progress_entries.challenge_id
      AND e.user_id = progress_entries.user_id AND e.progress_date = progress_entries.progress_date
      AND e.value_hundredths IS NULL AND e.id < progress_entries.id);

CREATE TABLE progress_entries_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    challenge_id         INTEGER NOT NULL,
    user_id              INTEGER NOT NULL,
    -- NULL for a check-in (a "days" challenge).
    value_hundredths     INTEGER CHECK (value_hundredths IS NULL
        OR (value_hundredths > 0 AND value_hundredths <= 100000000000)),
    progress_date        TEXT    NOT NULL CHECK (date(progress_date) IS progress_date),
    recorded_at          TEXT    NOT NULL,
    idempotency_key      TEXT    CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 64),
    -- The value first sent under idempotency_key (the entry may be edited later).
    key_value_hundredths INTEGER,
    FOREIGN KEY (challenge_id, user_id) REFERENCES participants (challenge_id, user_id) ON DELETE CASCADE
) STRICT;
INSERT INTO progress_entries_new (id, challenge_id, user_id, value_hundredths, progress_date, recorded_at,
                                  idempotency_key, key_value_hundredths)
    SELECT id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key,
           CASE WHEN idempotency_key IS NULL THEN NULL ELSE value_hundredths END
    FROM progress_entries;
DROP TABLE progress_entries;
ALTER TABLE progress_entries_new RENAME TO progress_entries;
CREATE INDEX progress_entries_participant_idx ON progress_entries (challenge_id, user_id, progress_date, id);
-- The same input recorded twice is stored once: per participant.
CREATE UNIQUE INDEX progress_entries_key_idx ON progress_entries (challenge_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- One check-in per date.
CREATE UNIQUE INDEX progress_entries_check_in_idx ON progress_entries (challenge_id, user_id, progress_date)
    WHERE value_hundredths IS NULL;

-- The tallies of participants who lost a duplicate check-in.
UPDATE participants SET
    entries = (SELECT COUNT(*) FROM progress_entries e
               WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    days = (SELECT COUNT(DISTINCT e.progress_date) FROM progress_entries e
            WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id)
WHERE entries <> (SELECT COUNT(*) FROM progress_entries e
                  WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id);

-- The outbox: one row per message still to send, in the order queued.
CREATE TABLE bot_outbox (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    bot_id    INTEGER NOT NULL,
    -- The update it answers (NULL for a message nobody's update caused), and its place there.
    update_id INTEGER,
    seq       INTEGER NOT NULL DEFAULT 0,
    -- NULL for a callback answer, which goes to no chat.
    chat_id   INTEGER,
    action    TEXT    NOT NULL CHECK (json_valid(action) AND json_type(action) = 'object'),
    queued_at TEXT    NOT NULL
) STRICT;
CREATE INDEX bot_outbox_bot_idx ON bot_outbox (bot_id, id);

-- Messages of handled updates that were not sent yet move to the outbox.
INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at)
    SELECT u.bot_id, u.update_id, a.key, json_extract(a.value, '$.chat_id'), a.value, u.handled_at
    FROM bot_updates u, json_each(u.actions) a
    WHERE a.key >= u.done
    ORDER BY u.update_id, a.key;

-- The record that an update was handled: all an update delivered again needs.
CREATE TABLE bot_updates_new (
    bot_id     INTEGER NOT NULL,
    update_id  INTEGER NOT NULL,
    handled_at TEXT    NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT, WITHOUT ROWID;
INSERT INTO bot_updates_new (bot_id, update_id, handled_at) SELECT bot_id, update_id, handled_at FROM bot_updates;
DROP TABLE bot_updates;
ALTER TABLE bot_updates_new RENAME TO bot_updates;

-- Updates confirmed to Telegram before they were handled (their sender had a backlog).
CREATE TABLE bot_inbox (
    bot_id    INTEGER NOT NULL,
    update_id INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    payload   TEXT    NOT NULL CHECK (json_valid(payload)),
    parked_at TEXT    NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX bot_inbox_user_idx ON bot_inbox (bot_id, user_id, update_id);

-- Updates given up on after their handling failed again and again.
CREATE TABLE bot_failures (
    bot_id    INTEGER NOT NULL,
    update_id INTEGER NOT NULL,
    user_id   INTEGER,
    error     TEXT    NOT NULL,
    attempts  INTEGER NOT NULL CHECK (attempts >= 1),
    failed_at TEXT    NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT, WITHOUT ROWID;

PRAGMA foreign_key_check;

COMMIT;

PRAGMA foreign_keys = ON;
