-- 4: new-entry drafts that were refused, kept for the moderator to fix (shared by
-- every process with a shared store; kept across restarts either way).
CREATE TABLE drafts (
    moderator TEXT NOT NULL,
    cluster   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    report    TEXT NOT NULL,
    question  TEXT NOT NULL,
    variants  TEXT NOT NULL,
    answer    TEXT NOT NULL,
    paragraph TEXT NOT NULL,
    quote     TEXT NOT NULL,
    PRIMARY KEY (moderator, cluster)
);
CREATE INDEX drafts_at ON drafts(at);
