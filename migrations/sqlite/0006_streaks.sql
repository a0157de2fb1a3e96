-- Streaks (issue 11): each participant's run of consecutive dates with an entry, the longest run,
-- and the freezes held (see `progress::Streak`). The run is kept as of the latest date
-- (`last_date`). NULL until computed: the store computes the streaks of existing participants
-- from their entries when it opens the database after this migration (the rule is the domain's,
-- in Rust), and keeps them with every entry from then on.
ALTER TABLE participants ADD COLUMN streak_run INTEGER CHECK (streak_run >= 0);
ALTER TABLE participants ADD COLUMN streak_best INTEGER CHECK (streak_best >= streak_run);
ALTER TABLE participants ADD COLUMN streak_freezes INTEGER CHECK (streak_freezes BETWEEN 0 AND 2);
UPDATE participants SET streak_run = 0, streak_best = 0, streak_freezes = 0 WHERE entries = 0;
