-- Group chats (issue 12): the groups the bot is (or was) in, and which challenges are a group's.
-- A group keeps its challenges when it removes the bot (active = false), and they follow it
-- when it becomes a supergroup with a new id (ON UPDATE CASCADE).
CREATE TABLE group_chats (
    chat_id    BIGINT      PRIMARY KEY,
    title      TEXT        NOT NULL,
    link_code  TEXT        NOT NULL UNIQUE,
    active     BOOLEAN     NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE group_challenges (
    challenge_id BIGINT PRIMARY KEY REFERENCES challenges (id) ON DELETE CASCADE,
    chat_id      BIGINT NOT NULL REFERENCES group_chats (chat_id) ON UPDATE CASCADE
);

CREATE INDEX group_challenges_by_chat ON group_challenges (chat_id, challenge_id);
