-- The number of people in each challenge, kept on its row. The list of public challenges to
-- join shows each one's count, and counted each listed challenge's participants to do so: 46 ms
-- a listing with a 100,000-person challenge. Triggers keep the count, so that every way in and
-- out (joining, leaving, being removed, a person's deletion, a challenge's) counts, now and in
-- later code. They run once per statement, over the rows it changed: a trigger per row would
-- update the challenge's row once per person, and a statement adding 100,000 people to one
-- challenge then took 170 s (each update of a row already updated in the same transaction
-- costs more than the one before).
ALTER TABLE challenges
    ADD COLUMN participant_count BIGINT NOT NULL DEFAULT 0 CHECK (participant_count >= 0);

UPDATE challenges c
SET participant_count = (SELECT COUNT(*) FROM participants p WHERE p.challenge_id = c.id);

CREATE FUNCTION count_joined_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE challenges c SET participant_count = c.participant_count + n.people
    FROM (SELECT challenge_id, COUNT(*) AS people FROM joined GROUP BY challenge_id) n
    WHERE c.id = n.challenge_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION count_departed_participants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE challenges c SET participant_count = c.participant_count - n.people
    FROM (SELECT challenge_id, COUNT(*) AS people FROM departed GROUP BY challenge_id) n
    WHERE c.id = n.challenge_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER participants_joined_counted AFTER INSERT ON participants
    REFERENCING NEW TABLE AS joined
    FOR EACH STATEMENT EXECUTE FUNCTION count_joined_participants();

CREATE TRIGGER participants_departed_counted AFTER DELETE ON participants
    REFERENCING OLD TABLE AS departed
    FOR EACH STATEMENT EXECUTE FUNCTION count_departed_participants();
