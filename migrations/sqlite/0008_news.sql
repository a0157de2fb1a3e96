-- News from the others (issue 12): who muted the news of a challenge. A row goes with its
-- participant (who leaves, or whose challenge is deleted, mutes nothing any more).
CREATE TABLE news_mutes (
    challenge_id INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    muted_at     TEXT    NOT NULL,
    PRIMARY KEY (challenge_id, user_id),
    FOREIGN KEY (challenge_id, user_id) REFERENCES participants (challenge_id, user_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
