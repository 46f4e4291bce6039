//! The SQLite back end: the writer's sink and the moderator views' reads, on the
//! embedded file (WAL, `synchronous = FULL`).

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use super::read::{
    Counts, EntryCount, EntryVotes, Snapshot, UnansweredRow, Want, MAX_UNANSWERED_ROWS, TOP_ENTRIES,
};
use super::writer::{Msg, Record, Sink, WriteError};
use super::{decline_text, schema, split_list, unix_ms, QuestionId, StoreConfig, StoreError};

/// The writer's connection to the file.
pub(super) struct SqliteSink {
    pub config: StoreConfig,
    pub conn: Option<Connection>,
}

/// Errors that no retry will fix: the records are written one by one and the bad ones dropped.
fn is_permanent(e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(code) => matches!(
            code,
            ErrorCode::ConstraintViolation
                | ErrorCode::TooBig
                | ErrorCode::TypeMismatch
                | ErrorCode::ParameterOutOfRange
        ),
        None => !matches!(e, rusqlite::Error::SqliteFailure(..)),
    }
}

/// Errors after which the connection is reopened (a fixed permission or a replaced
/// file needs a new one).
fn needs_reconnect(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::NotADatabase
                | ErrorCode::DatabaseCorrupt
                | ErrorCode::PermissionDenied
        )
    )
}

impl SqliteSink {
    fn error(&mut self, e: rusqlite::Error) -> WriteError {
        let reconnect = needs_reconnect(&e);
        if reconnect {
            self.conn = None;
        }
        let permanent = is_permanent(&e);
        WriteError {
            error: schema::sqlite("writing the question log", &self.config.path)(e),
            permanent,
            reconnect,
            // A transaction on the file that failed was rolled back.
            unsure: false,
        }
    }
}

impl Sink for SqliteSink {
    fn connected(&self) -> bool {
        self.conn.is_some()
    }

    fn connect(&mut self, _limit: Duration) -> Result<[u8; 32], StoreError> {
        let (conn, key) = schema::connect(&self.config, false)?;
        tracing::info!(path = %self.config.path.display(), "question log: database open for writing");
        self.conn = Some(conn);
        Ok(key)
    }

    fn write(&mut self, batch: &[Msg], limit: Duration) -> Result<(), WriteError> {
        let Some(conn) = self.conn.as_mut() else {
            return Err(WriteError {
                error: StoreError::NotOpen {
                    path: self.config.path.clone(),
                },
                permanent: false,
                reconnect: true,
                unsure: false,
            });
        };
        watchdog(conn, limit);
        match write_batch(conn, batch) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    fn purge(&mut self, before: i64, limit: Duration) -> Result<u64, WriteError> {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(0);
        };
        watchdog(conn, limit);
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut rows = 0;
            for table in ["questions", "votes", "clicks"] {
                rows += tx.execute(&format!("DELETE FROM {table} WHERE at < ?1"), [before])?;
            }
            tx.commit()?;
            Ok(rows as u64)
        })();
        result.map_err(|e| self.error(e))
    }
}

/// Interrupts the statement running on `conn` once `limit` has passed (SQLite checks
/// between steps of its virtual machine; lock waits are bounded by `busy_timeout`, and a
/// disk that blocks a system call is left to the health watchdog).
fn watchdog(conn: &mut Connection, limit: Duration) {
    let deadline = Instant::now() + limit;
    // Without it (never expected) lock waits are still bounded by `busy_timeout`.
    let _ = conn.progress_handler(10_000, Some(move || Instant::now() >= deadline));
}

/// Maps a rusqlite error to the store's, naming what was being done and the file.
pub(super) fn sqlite_error<'a>(
    context: &'static str,
    path: &'a Path,
) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Sqlite {
        context,
        path: path.to_path_buf(),
        source,
    }
}

/// SQLite counts are i64; never negative here.
fn n(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
}

/// What the moderator views need, from one read transaction.
pub(super) fn snapshot(
    conn: &Connection,
    path: &Path,
    since: i64,
    want: Want,
) -> Result<Snapshot, StoreError> {
    let err = sqlite_error("reading the question log", path);
    conn.execute_batch("BEGIN").map_err(&err)?;
    let result = (|| {
        let mut snap = Snapshot::default();
        if want.counts {
            snap.counts = counts(conn, since)?;
        }
        snap.unanswered = unanswered_rows(conn, since)?;
        snap.dismissed = ids(conn, "SELECT cluster FROM dismissed")?;
        snap.alerted = ids(conn, "SELECT cluster FROM alerted")?;
        Ok(snap)
    })()
    .map_err(&err);
    let _ = conn.execute_batch("COMMIT");
    result
}

fn counts(conn: &Connection, since: i64) -> rusqlite::Result<Counts> {
    let mut c = Counts::default();
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*), sum(decline = 'small_talk') FROM questions WHERE at >= ?1 GROUP BY status",
    )?;
    c.by_status = stmt
        .query_map([since], |r| {
            Ok((r.get::<_, String>(0)?, n(r, 1)?, n(r, 2)?))
        })?
        .collect::<Result<_, _>>()?;
    (c.askers, c.mean_matching_micros) = conn.query_row(
        "SELECT count(DISTINCT user), coalesce(avg(micros), 0) FROM questions WHERE at >= ?1",
        [since],
        |r| Ok((n(r, 0)?, r.get(1)?)),
    )?;
    c.clicks = conn.query_row("SELECT count(*) FROM clicks WHERE at >= ?1", [since], |r| {
        n(r, 0)
    })?;
    let mut stmt = conn.prepare_cached(
        "SELECT entry, count(*) AS n FROM questions
         WHERE at >= ?1 AND status = 'answered' AND entry IS NOT NULL
         GROUP BY entry ORDER BY n DESC, entry LIMIT ?2",
    )?;
    c.top_entries = stmt
        .query_map(params![since, TOP_ENTRIES], |r| {
            Ok(EntryCount {
                entry: r.get(0)?,
                count: n(r, 1)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT entry, sum(up <> 0) AS up, sum(up = 0) AS down FROM votes WHERE at >= ?1
         GROUP BY entry ORDER BY down DESC, up DESC, entry",
    )?;
    c.votes = stmt
        .query_map([since], |r| {
            Ok(EntryVotes {
                entry: r.get(0)?,
                up: n(r, 1)?,
                down: n(r, 2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(c)
}

/// Declined (except small talk) and suggested questions since `since` (unix ms), newest first.
fn unanswered_rows(conn: &Connection, since: i64) -> rusqlite::Result<Vec<UnansweredRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT q.at, q.user, q.question, q.suggested,
                (SELECT group_concat(c.entry, ',') FROM clicks c WHERE c.qid = q.qid)
         FROM questions q
         WHERE q.at >= ?1
           AND (q.status = 'suggested' OR (q.status = 'declined' AND coalesce(q.decline, '') <> 'small_talk'))
         ORDER BY q.at DESC
         LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![since, MAX_UNANSWERED_ROWS], |r| {
            Ok(UnansweredRow {
                at: r.get(0)?,
                user: r.get(1)?,
                question: r.get(2)?,
                suggested: split_list(r.get(3)?),
                clicked: split_list(r.get(4)?),
            })
        })?
        .collect();
    rows
}

fn ids(conn: &Connection, sql: &str) -> rusqlite::Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let ids = stmt.query_map([], |r| r.get(0))?.collect();
    ids
}

pub(super) fn question_text(
    conn: &Connection,
    path: &Path,
    id: QuestionId,
) -> Result<Option<String>, StoreError> {
    conn.query_row(
        "SELECT question FROM questions WHERE qid = ?1 LIMIT 1",
        [id],
        |r| r.get(0),
    )
    .optional()
    .map_err(sqlite_error("reading a question", path))
}

fn ms(t: std::time::SystemTime) -> i64 {
    unix_ms(t)
}

fn id(v: Option<u64>) -> Option<i64> {
    v.map(|v| v as i64)
}

fn write_batch(conn: &mut Connection, batch: &[Msg]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for m in batch {
        match &m.record {
            Record::Question { id: qid, user, q } => {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO questions (qid, at, guild, channel, user, question, status, decline, entry, suggested, report, confidence, micros)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                let decline = q.decline.map(decline_text);
                stmt.execute(params![
                    qid,
                    ms(q.at),
                    id(q.guild),
                    id(q.channel),
                    user.as_ref().map(|w| w.text()),
                    q.question,
                    q.status.as_str(),
                    decline,
                    q.entry,
                    q.suggested.join(","),
                    q.report,
                    f64::from(q.confidence),
                    q.matching.as_micros().min(i64::MAX as u128) as i64,
                ])?;
            }
            Record::Vote { user, vote } => {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO votes (message, user, qid, entry, up, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (message, user) DO UPDATE SET
                        up = excluded.up, at = excluded.at, entry = excluded.entry,
                        qid = coalesce(excluded.qid, votes.qid)
                     WHERE excluded.at >= votes.at",
                )?;
                stmt.execute(params![
                    vote.message as i64,
                    user.text(),
                    vote.question,
                    vote.entry,
                    vote.up,
                    ms(vote.at)
                ])?;
            }
            Record::Click { user, click } => {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO clicks (at, guild, channel, user, qid, question, entry) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                stmt.execute(params![
                    ms(click.at),
                    id(click.guild),
                    id(click.channel),
                    user.as_ref().map(|w| w.text()),
                    click.question,
                    click.asked,
                    click.entry
                ])?;
            }
            Record::Dismiss { cluster, by, at } => {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO dismissed (cluster, at, by) VALUES (?1, ?2, ?3) ON CONFLICT (cluster) DO NOTHING",
                )?;
                stmt.execute(params![cluster, at, by.as_ref().map(|w| w.text())])?;
            }
            Record::Alerted { cluster, at } => {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO alerted (cluster, at) VALUES (?1, ?2) ON CONFLICT (cluster) DO NOTHING",
                )?;
                stmt.execute(params![cluster, at])?;
            }
        }
    }
    tx.commit()
}
