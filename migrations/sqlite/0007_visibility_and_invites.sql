-- Visibility and invites (issue 12). A challenge made in the chat is private from now on; the ones
-- that exist stay public, so nothing that is listed today disappears.
ALTER TABLE challenges ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('public', 'private'));
-- The invite code (see `challenge::InviteCode`): made the first time someone asks for the link.
ALTER TABLE challenges ADD COLUMN invite_code TEXT CHECK (invite_code IS NULL OR length(invite_code) = 22);
-- The name lowercased by Unicode's rules, for searches (SQLite's lower() folds only ASCII). NULL
-- until the program fills it: the store does so for existing challenges when it opens the
-- database after this migration, and with every name from then on.
ALTER TABLE challenges ADD COLUMN name_folded TEXT;

CREATE UNIQUE INDEX challenges_invite_code_idx ON challenges (invite_code);
-- "Join challenge" lists the active public ones, newest first.
CREATE INDEX challenges_public_idx ON challenges (visibility, deadline, id);

-- Codes their creator replaced: their links say they expired instead of that they never existed.
-- The row outlives its challenge on purpose (the link still expired).
CREATE TABLE revoked_invites (
    invite_code  TEXT    PRIMARY KEY CHECK (length(invite_code) = 22),
    challenge_id INTEGER NOT NULL,
    revoked_at   TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

-- What the bot knows of itself: its username (from getMe at start), for invite links made by the
-- CLI. One row.
CREATE TABLE bot_profile (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    username   TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    updated_at TEXT    NOT NULL
) STRICT;
