-- A challenge's final standings reach each participant outside their quiet hours (issue 13):
-- who has had them (participants.summarized_at), and when the challenge's summary is next
-- looked at while some wait for their morning (challenges.summary_next_at).
ALTER TABLE participants ADD COLUMN summarized_at TIMESTAMPTZ;
ALTER TABLE challenges ADD COLUMN summary_next_at TIMESTAMPTZ;
