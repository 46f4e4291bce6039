-- 2: unanswered clusters already posted to the moderator channel.
CREATE TABLE IF NOT EXISTS alerted (
    cluster text PRIMARY KEY,
    at      bigint NOT NULL
);
