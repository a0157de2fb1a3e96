-- Group chats (issue 12): the groups the bot is (or was) in, and which challenges are a group's.
-- A group keeps its challenges when it removes the bot (active = 0), and they follow it when it
-- becomes a supergroup with a new id (ON UPDATE CASCADE).
CREATE TABLE group_chats (
    chat_id    INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    link_code  TEXT    NOT NULL UNIQUE,
    active     INTEGER NOT NULL CHECK (active IN (0, 1)),
    updated_at TEXT    NOT NULL
) STRICT;

CREATE TABLE group_challenges (
    challenge_id INTEGER PRIMARY KEY REFERENCES challenges (id) ON DELETE CASCADE,
    chat_id      INTEGER NOT NULL REFERENCES group_chats (chat_id) ON UPDATE CASCADE
) STRICT;

CREATE INDEX group_challenges_by_chat ON group_challenges (chat_id, challenge_id);
