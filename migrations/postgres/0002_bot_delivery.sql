-- Delivery state of the Telegram bot (src/protocol/bot/delivery.rs), so that an update is applied
-- once and answered once however often Telegram delivers it. Keyed by the bot's id (the numeric
-- part of its token), so two bots may share a database.

-- Where polling resumes: every update below next_offset was handled and answered.
CREATE TABLE bot_offsets (
    bot_id      BIGINT      NOT NULL PRIMARY KEY,
    next_offset BIGINT      NOT NULL CHECK (next_offset >= 0),
    updated_at  TIMESTAMPTZ NOT NULL
);

-- The outbox: each handled update with the Bot API calls that answer it (a JSON array, kept as
-- text: it is only ever read back whole) and how many of them were made. Rows below the offset
-- Telegram confirmed are deleted.
CREATE TABLE bot_updates (
    bot_id     BIGINT      NOT NULL,
    update_id  BIGINT      NOT NULL,
    actions    TEXT        NOT NULL CHECK (left(actions, 1) = '['),
    done       INTEGER     NOT NULL DEFAULT 0 CHECK (done >= 0),
    handled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
