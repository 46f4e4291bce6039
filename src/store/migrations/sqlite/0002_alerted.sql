-- 2: unanswered clusters already posted to the moderator channel.
CREATE TABLE alerted (
    cluster TEXT PRIMARY KEY,
    at      INTEGER NOT NULL
);
