-- Delivery state of the Telegram bot (src/protocol/bot/delivery.rs), so that an update is applied
-- once and answered once however often Telegram delivers it. Keyed by the bot's id (the numeric
-- part of its token), so two bots may share a database.

-- Where polling resumes: every update below next_offset was handled and answered.
CREATE TABLE bot_offsets (
    bot_id      INTEGER NOT NULL PRIMARY KEY,
    next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
    updated_at  TEXT    NOT NULL
) STRICT;

-- The outbox: each handled update with the Bot API calls that answer it (a JSON array) and how
-- many of them were made. Rows below the offset Telegram confirmed are deleted.
CREATE TABLE bot_updates (
    bot_id     INTEGER NOT NULL,
    update_id  INTEGER NOT NULL,
    actions    TEXT    NOT NULL CHECK (json_valid(actions) AND json_type(actions) = 'array'),
    done       INTEGER NOT NULL DEFAULT 0 CHECK (done >= 0),
    handled_at TEXT    NOT NULL,
    PRIMARY KEY (bot_id, update_id)
) STRICT, WITHOUT ROWID;
