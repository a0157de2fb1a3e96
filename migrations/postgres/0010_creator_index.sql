-- Challenges by creator (issue 17): how many a person created lately (the daily limit), and
-- what they created when they delete their data.
CREATE INDEX challenges_creator_idx ON challenges (creator_id, created_at);
