-- Creators moderate (issue 17): people removed from a challenge (who cannot join it again, by any
-- link), and challenges closed to new participants.
CREATE TABLE removed_participants (
    challenge_id INTEGER NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL,
    removed_at   TEXT    NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX removed_participants_user_idx ON removed_participants (user_id);

ALTER TABLE challenges ADD COLUMN closed_at TEXT;
