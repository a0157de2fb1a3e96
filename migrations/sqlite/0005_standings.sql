-- Standings (issue 10): a person ranks by their standing in the challenge's unit, which needs the
-- best value (at least), the first value (at most: the improvement from the first to the latest)
-- and when the standing last changed (ties go to whoever got there first). "My challenges" lists
-- by the person's last activity. A challenge remembers who first met its own goal.
ALTER TABLE participants ADD COLUMN best_hundredths INTEGER;
ALTER TABLE participants ADD COLUMN first_hundredths INTEGER;
ALTER TABLE participants ADD COLUMN first_date TEXT CHECK (first_date IS NULL OR date(first_date) IS first_date);
ALTER TABLE participants ADD COLUMN standing_at TEXT;
-- Set for every row below; new rows always give it.
ALTER TABLE participants ADD COLUMN last_active_at TEXT NOT NULL DEFAULT '';

UPDATE participants SET
    best_hundredths = (SELECT MAX(e.value_hundredths) FROM progress_entries e
                       WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    first_hundredths = (SELECT e.value_hundredths FROM progress_entries e
                        WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id
                        ORDER BY e.progress_date, e.id LIMIT 1),
    first_date = (SELECT MIN(e.progress_date) FROM progress_entries e
                  WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id),
    -- When the standing last changed is not known for entries recorded before: the time of the
    -- latest recorded entry stands in for it.
    standing_at = (SELECT e.recorded_at FROM progress_entries e
                   WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id
                   ORDER BY e.id DESC LIMIT 1),
    last_active_at = COALESCE((SELECT e.recorded_at FROM progress_entries e
                               WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id
                                 AND e.recorded_at > participants.joined_at
                               ORDER BY e.recorded_at DESC LIMIT 1), joined_at);

-- "At least" is now met by the best value, not the latest: a record once set stays set.
UPDATE participants SET completed_at = (
        SELECT e.recorded_at FROM progress_entries e
        WHERE e.challenge_id = participants.challenge_id AND e.user_id = participants.user_id
          AND e.value_hundredths >= participants.goal_hundredths
        ORDER BY e.recorded_at LIMIT 1)
WHERE completed_at IS NULL AND best_hundredths >= goal_hundredths
  AND (SELECT c.goal_kind FROM challenges c WHERE c.id = participants.challenge_id) = 'at-least';

-- "My challenges", most recently active first.
CREATE INDEX participants_activity_idx ON participants (user_id, last_active_at DESC);

ALTER TABLE challenges ADD COLUMN first_finisher_id INTEGER;
ALTER TABLE challenges ADD COLUMN first_finished_at TEXT;

-- Who first met each challenge's own goal is not recorded for earlier entries: of those whose
-- entries meet it now, the one whose standing settled first stands in, so that nobody is announced
-- as the first to finish a challenge someone already finished.
UPDATE challenges SET
    first_finisher_id = (SELECT p.user_id FROM participants p WHERE p.challenge_id = challenges.id
        AND p.entries > 0 AND CASE challenges.goal_kind
            WHEN 'total' THEN p.total_hundredths >= challenges.default_goal_hundredths
            WHEN 'days' THEN p.days * 100 >= challenges.default_goal_hundredths
            WHEN 'at-least' THEN p.best_hundredths >= challenges.default_goal_hundredths
            ELSE p.latest_hundredths <= challenges.default_goal_hundredths END
        ORDER BY p.standing_at, p.user_id LIMIT 1);
UPDATE challenges SET first_finished_at = (SELECT p.standing_at FROM participants p
    WHERE p.challenge_id = challenges.id AND p.user_id = challenges.first_finisher_id)
WHERE first_finisher_id IS NOT NULL;

-- A deleted challenge leaves a line for each of its participants ("deleted by its creator"), and
-- its name for buttons and links that still point at it.
CREATE TABLE challenge_deletions (
    challenge_id INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    creator_id   INTEGER NOT NULL,
    deleted_at   TEXT    NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX challenge_deletions_user_idx ON challenge_deletions (user_id, deleted_at DESC);
