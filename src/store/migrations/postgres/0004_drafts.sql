-- 4: new-entry drafts that were refused, kept for the moderator to fix.
CREATE TABLE IF NOT EXISTS drafts (
    moderator text NOT NULL,
    cluster   text NOT NULL,
    at        bigint NOT NULL,
    report    text NOT NULL,
    question  text NOT NULL,
    variants  text NOT NULL,
    answer    text NOT NULL,
    paragraph text NOT NULL,
    quote     text NOT NULL,
    PRIMARY KEY (moderator, cluster)
);
CREATE INDEX IF NOT EXISTS drafts_at ON drafts (at);
