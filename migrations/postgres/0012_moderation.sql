-- Creators moderate (issue 17): people removed from a challenge (who cannot join it again, by any
-- link), and challenges closed to new participants.
CREATE TABLE removed_participants (
    challenge_id BIGINT      NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    user_id      BIGINT      NOT NULL,
    removed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX removed_participants_user_idx ON removed_participants (user_id);

ALTER TABLE challenges ADD COLUMN closed_at TIMESTAMPTZ;
