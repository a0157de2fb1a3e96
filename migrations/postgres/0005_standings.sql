-- Standings (issue 10): a person ranks by their standing in the challenge's unit, which needs the
-- best value (at least), the first value (at most: the improvement from the first to the latest)
-- and when the standing last changed (ties go to whoever got there first). "My challenges" lists
-- by the person's last activity. A challenge remembers who first met its own goal.
ALTER TABLE participants
    ADD COLUMN best_hundredths  BIGINT,
    ADD COLUMN first_hundredths BIGINT,
    ADD COLUMN first_date       DATE,
    ADD COLUMN standing_at      TIMESTAMPTZ,
    ADD COLUMN last_active_at   TIMESTAMPTZ;

UPDATE participants p SET
    best_hundredths = (SELECT MAX(e.value_hundredths) FROM progress_entries e
                       WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    first_hundredths = (SELECT e.value_hundredths FROM progress_entries e
                        WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id
                        ORDER BY e.progress_date, e.id LIMIT 1),
    first_date = (SELECT MIN(e.progress_date) FROM progress_entries e
                  WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    -- When the standing last changed is not known for entries recorded before: the time of the
    -- latest recorded entry stands in for it.
    standing_at = (SELECT MAX(e.recorded_at) FROM progress_entries e
                   WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id),
    last_active_at = GREATEST(p.joined_at, (SELECT MAX(e.recorded_at) FROM progress_entries e
                                            WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id));

-- "At least" is now met by the best value, not the latest: a record once set stays set.
UPDATE participants p SET completed_at = (
        SELECT MIN(e.recorded_at) FROM progress_entries e
        WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id AND e.value_hundredths >= p.goal_hundredths)
FROM challenges c
WHERE c.id = p.challenge_id AND c.goal_kind = 'at-least' AND p.completed_at IS NULL
  AND p.best_hundredths >= p.goal_hundredths;

ALTER TABLE participants ALTER COLUMN last_active_at SET NOT NULL;

-- "My challenges", most recently active first.
CREATE INDEX participants_activity_idx ON participants (user_id, last_active_at DESC);

ALTER TABLE challenges
    ADD COLUMN first_finisher_id BIGINT,
    ADD COLUMN first_finished_at TIMESTAMPTZ;

-- Who first met each challenge's own goal is not recorded for earlier entries: of those whose
-- entries meet it now, the one whose standing settled first stands in, so that nobody is announced
-- as the first to finish a challenge someone already finished.
UPDATE challenges c SET (first_finisher_id, first_finished_at) = (
    SELECT p.user_id, p.standing_at FROM participants p
    WHERE p.challenge_id = c.id AND p.entries > 0 AND CASE c.goal_kind
        WHEN 'total' THEN p.total_hundredths >= c.default_goal_hundredths
        WHEN 'days' THEN p.days * 100 >= c.default_goal_hundredths
        WHEN 'at-least' THEN p.best_hundredths >= c.default_goal_hundredths
        ELSE p.latest_hundredths <= c.default_goal_hundredths END
    ORDER BY p.standing_at, p.user_id LIMIT 1);

-- A deleted challenge leaves a line for each of its participants ("deleted by its creator"), and
-- its name for buttons and links that still point at it.
CREATE TABLE challenge_deletions (
    challenge_id BIGINT      NOT NULL,
    user_id      BIGINT      NOT NULL,
    name         TEXT        NOT NULL,
    creator_id   BIGINT      NOT NULL,
    deleted_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (challenge_id, user_id)
);
CREATE INDEX challenge_deletions_user_idx ON challenge_deletions (user_id, deleted_at DESC);
