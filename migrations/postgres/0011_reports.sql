-- Reports of public challenges (issue 17): one per person and challenge, with a reason. Three
-- different people reporting a challenge unlist it (unlisted_at) until an operator relists it,
-- which also clears its reports.
CREATE TABLE challenge_reports (
    challenge_id BIGINT      NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    reporter_id  BIGINT      NOT NULL,
    reason       TEXT        NOT NULL CHECK (reason IN ('spam', 'offensive', 'other')),
    reported_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (challenge_id, reporter_id)
);
CREATE INDEX challenge_reports_reporter_idx ON challenge_reports (reporter_id);

ALTER TABLE challenges ADD COLUMN unlisted_at TIMESTAMPTZ;
