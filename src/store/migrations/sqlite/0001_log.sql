-- 1: the question log, votes, clicks, dismissed clusters, settings.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE questions (
    id         INTEGER PRIMARY KEY,
    qid        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    guild      INTEGER,
    channel    INTEGER,
    user       TEXT,
    question   TEXT NOT NULL,
    status     TEXT NOT NULL,
    decline    TEXT,
    entry      TEXT,
    suggested  TEXT NOT NULL DEFAULT '',
    report     TEXT,
    confidence REAL NOT NULL,
    micros     INTEGER NOT NULL
);
CREATE INDEX questions_at ON questions(at);
CREATE INDEX questions_qid ON questions(qid);
CREATE TABLE votes (
    message INTEGER NOT NULL,
    user    TEXT NOT NULL,
    qid     INTEGER,
    entry   TEXT NOT NULL,
    up      INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (message, user)
);
CREATE INDEX votes_at ON votes(at);
CREATE TABLE clicks (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    guild    INTEGER,
    channel  INTEGER,
    user     TEXT,
    qid      INTEGER,
    question TEXT,
    entry    TEXT NOT NULL
);
CREATE INDEX clicks_at ON clicks(at);
CREATE INDEX clicks_qid ON clicks(qid);
CREATE TABLE dismissed (
    cluster TEXT PRIMARY KEY,
    at      INTEGER NOT NULL,
    by      TEXT
);
