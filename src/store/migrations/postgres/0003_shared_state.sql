-- 3: answering state shared by processes: per-person cooldowns, recent answers per channel.
CREATE TABLE IF NOT EXISTS cooldowns (
    "user" text PRIMARY KEY,
    at     bigint NOT NULL,
    warns  bigint NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS cooldowns_at ON cooldowns (at);
CREATE TABLE IF NOT EXISTS recent_answers (
    channel  bigint NOT NULL,
    question text NOT NULL,
    at       bigint NOT NULL,
    link     text NOT NULL,
    PRIMARY KEY (channel, question)
);
CREATE INDEX IF NOT EXISTS recent_answers_at ON recent_answers (at);
