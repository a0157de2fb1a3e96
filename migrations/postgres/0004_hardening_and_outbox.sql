-- 1. Lengths are counted in graphemes by the program (a name of 100 "👍🏽" is 200 code points):
--    the text columns' CHECKs now bound code points generously instead of repeating the rule.
-- 2. An idempotency key belongs to one participant: unique per (challenge, user, key), and the
--    value first sent under it is kept (key_value_hundredths) to tell a retry from a reuse.
-- 3. One check-in per date: duplicates are removed (the first recorded stays) and an index
--    keeps it so; the tallies of the participants concerned are computed again.
-- 4. The outbox: one row per message still to send (bot_outbox), replacing the actions kept on
--    each update's record; an inbox for updates confirmed before they are handled (bot_inbox);
--    and a record of updates given up on (bot_failures).

ALTER TABLE users DROP CONSTRAINT users_display_name_check,
    ADD CONSTRAINT users_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 1000);
ALTER TABLE challenges DROP CONSTRAINT challenges_name_check,
    ADD CONSTRAINT challenges_name_check CHECK (char_length(name) BETWEEN 1 AND 2000),
    DROP CONSTRAINT challenges_description_check,
    ADD CONSTRAINT challenges_description_check CHECK (char_length(description) <= 20000),
    DROP CONSTRAINT challenges_unit_check,
    ADD CONSTRAINT challenges_unit_check CHECK (unit IS NULL OR char_length(unit) BETWEEN 1 AND 400);

ALTER TABLE progress_entries DROP CONSTRAINT progress_entries_idempotency_key_key,
    ADD COLUMN key_value_hundredths BIGINT;
UPDATE progress_entries SET key_value_hundredths = value_hundredths WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX progress_entries_key_idx ON progress_entries (challenge_id, user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

DELETE FROM progress_entries p WHERE p.value_hundredths IS NULL AND EXISTS (
    SELECT 1 FROM progress_entries e WHERE e.challenge_id = p.challenge_id AND e.user_id = p.user_id
      AND e.progress_date = p.progress_date AND e.value_hundredths IS NULL AND e.id < p.id);
CREATE UNIQUE INDEX progress_entries_check_in_idx ON progress_entries (challenge_id, user_id, progress_date)
    WHERE value_hundredths IS NULL;
UPDATE participants p SET
    entries = t.entries,
    days = t.days
FROM (SELECT challenge_id, user_id, COUNT(*) AS entries, COUNT(DISTINCT progress_date) AS days
      FROM progress_entries GROUP BY challenge_id, user_id) t
WHERE t.challenge_id = p.challenge_id AND t.user_id = p.user_id AND p.entries <> t.entries;

CREATE TABLE bot_outbox (
    id        BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bot_id    BIGINT      NOT NULL,
    -- The update it answers (NULL for a message nobody's update caused), and its place there.
    update_id BIGINT,
    seq       INTEGER     NOT NULL DEFAULT 0,
    -- NULL for a callback answer, which goes to no chat.
    chat_id   BIGINT,
    action    TEXT        NOT NULL CHECK (left(action, 1) = '{'),
    queued_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX bot_outbox_bot_idx ON bot_outbox (bot_id, id);

-- Messages of handled updates that were not sent yet move to the outbox.
INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at)
    SELECT u.bot_id, u.update_id, (a.n - 1)::int, (a.elem ->> 'chat_id')::bigint, a.elem::text, u.handled_at
    FROM bot_updates u, jsonb_array_elements(u.actions::jsonb) WITH ORDINALITY AS a(elem, n)
    WHERE a.n > u.done
    ORDER BY u.update_id, a.n;

ALTER TABLE bot_updates DROP COLUMN actions, DROP COLUMN done;

CREATE TABLE bot_inbox (
    bot_id    BIGINT      NOT NULL,
    update_id BIGINT      NOT NULL,
    user_id   BIGINT      NOT NULL,
    payload   TEXT        NOT NULL,
    parked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX bot_inbox_user_idx ON bot_inbox (bot_id, user_id, update_id);

CREATE TABLE bot_failures (
    bot_id    BIGINT      NOT NULL,
    update_id BIGINT      NOT NULL,
    user_id   BIGINT,
    error     TEXT        NOT NULL,
    attempts  INTEGER     NOT NULL CHECK (attempts >= 1),
    failed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
