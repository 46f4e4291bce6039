-- 3: answering state shared by processes (a shared store; an embedded one keeps it
-- in memory): per-person cooldowns, recent answers per channel.
CREATE TABLE cooldowns (
    user  TEXT PRIMARY KEY,
    at    INTEGER NOT NULL,
    warns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cooldowns_at ON cooldowns(at);
CREATE TABLE recent_answers (
    channel  INTEGER NOT NULL,
    question TEXT NOT NULL,
    at       INTEGER NOT NULL,
    link     TEXT NOT NULL,
    PRIMARY KEY (channel, question)
);
CREATE INDEX recent_answers_at ON recent_answers(at);
