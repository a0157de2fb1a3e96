-- The number of people in each challenge, kept on its row. The list of public challenges to
-- join shows each one's count, and counted each listed challenge's participants to do so: 46 ms
-- a listing with a 100,000-person challenge (on PostgreSQL). Triggers keep the count, so that
-- every way in and out (joining, leaving, being removed, a person's deletion, a challenge's)
-- counts, now and in later code.
ALTER TABLE challenges
    ADD COLUMN participant_count INTEGER NOT NULL DEFAULT 0 CHECK (participant_count >= 0);

UPDATE challenges
SET participant_count = (SELECT COUNT(*) FROM participants p WHERE p.challenge_id = challenges.id);

CREATE TRIGGER participants_counted_in AFTER INSERT ON participants
BEGIN
    UPDATE challenges SET participant_count = participant_count + 1 WHERE id = NEW.challenge_id;
END;

CREATE TRIGGER participants_counted_out AFTER DELETE ON participants
BEGIN
    UPDATE challenges SET participant_count = participant_count - 1 WHERE id = OLD.challenge_id;
END;
