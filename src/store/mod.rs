//! The store: every question asked, every 👍/👎 vote and every click on a suggestion,
//! in an embedded SQLite database (WAL mode, versioned migrations), and the moderator
//! views built on it (stats, unanswered clusters). Pure of Discord: front ends hand it
//! plain records and render what it returns.
//!
//! Writing never sits on the answering path. `log_question`, `record_vote`,
//! `record_click` and `dismiss_cluster` only put the record on a bounded queue (no
//! waiting: when the queue is full the record is counted as dropped and a warning is
//! logged). One writer thread takes records off the queue in batches and commits each
//! batch in one transaction with `synchronous = FULL`, so a record is *acknowledged*
//! (see [`Store::wait`], [`Store::flush`]) only once it is on disk.
//!
//! A full or read-only disk, a locked or vanished database: the writer logs the problem,
//! keeps it in [`Store::health`] for moderators, holds the batch and retries later with
//! a growing delay; answering goes on regardless. A corrupt file is the one start-up
//! error ([`StoreError::Corrupt`]), and it says what to do.
//!
//! User ids are never stored: they are hashed with a keyed BLAKE3 hash before they are
//! even queued. The key comes from `FACTDESK_HASH_KEY`, or is generated once and kept
//! in the database so hashes stay stable across restarts.

mod clusters;
mod schema;
mod stats;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use serde::Serialize;

use crate::matcher::Matcher;
use crate::reply::{Decline, Reply, Status};

pub use clusters::{cluster, Cluster, Unanswered, UnansweredRow, JACCARD};
pub use schema::SCHEMA_VERSION;
pub use stats::{EntryCount, EntryVotes, Stats};

/// The time now as the store writes it in reports: `YYYY-MM-DD HH:MM UTC`.
pub fn now_text() -> String {
    stats::fmt_time(now_ms())
}

use writer::{Msg, Record, Shared};

/// Where the database lives unless `FACTDESK_DB` says otherwise.
pub const DEFAULT_PATH: &str = "factdesk.db";
/// Days questions, votes and clicks are kept unless `FACTDESK_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// Why the store could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{} is not a valid factdesk database ({detail}). Move it aside (for example `mv {0} {0}.broken`) \
         and start again: a new, empty database will be created. Keep the moved file if you want to try \
         recovering it with `sqlite3 {0}.broken .recover`.",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{} was written by a newer factdesk (schema version {found}, this one knows up to {known}): \
         upgrade factdesk, or set FACTDESK_DB to another file",
        .path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error(
        "no question log at {}: it is created when the bot runs (`factdesk serve`); \
         set FACTDESK_DB (or --db) to read another file",
        .path.display()
    )]
    Missing { path: PathBuf },
    #[error("{name} must be {expected}, not `{value}`")]
    Setting {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("{context} ({}): {source}", .path.display())]
    Sqlite {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// How to open the store. [`StoreConfig::from_env`] reads the settings; the rest are
/// tuning knobs with sensible defaults (tests shorten the delays).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub path: PathBuf,
    /// Questions, votes and clicks older than this are purged (at start-up, then daily);
    /// 0 keeps everything.
    pub retention_days: u32,
    /// Secret for the keyed hash of user ids; `None` = a random key kept in the database.
    pub hash_key: Option<String>,
    /// Records that may wait for the writer before new ones are dropped.
    pub queue: usize,
    /// Most records committed in one transaction.
    pub max_batch: usize,
    /// How often a busy writer looks at the queue (an idle one naps longer, up to 50 ms):
    /// fewer, bigger transactions and no wake-ups from the answering path, for at most
    /// this much extra delay before a record is acknowledged.
    pub linger: Duration,
    /// First delay before retrying a failed write; doubles up to `max_retry`.
    pub retry: Duration,
    pub max_retry: Duration,
    /// How long a write waits for a lock held by another process before giving up (and retrying later).
    pub busy_timeout: Duration,
    /// On close, how long the writer keeps retrying records it could not write yet.
    pub shutdown_grace: Duration,
}

impl StoreConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StoreConfig {
            path: path.into(),
            retention_days: DEFAULT_RETENTION_DAYS,
            hash_key: None,
            queue: 65_536,
            max_batch: 4_096,
            linger: Duration::from_millis(10),
            retry: Duration::from_millis(250),
            max_retry: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(3),
        }
    }

    /// `FACTDESK_DB` (default `./factdesk.db`), `FACTDESK_RETENTION_DAYS` (default 90) and
    /// `FACTDESK_HASH_KEY` (default: generated and kept in the database). Empty values count as unset.
    pub fn from_env() -> Result<Self, StoreError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut config =
            StoreConfig::new(var("FACTDESK_DB").unwrap_or_else(|| DEFAULT_PATH.to_string()));
        if let Some(days) = var("FACTDESK_RETENTION_DAYS") {
            config.retention_days = days.trim().parse().map_err(|_| StoreError::Setting {
                name: "FACTDESK_RETENTION_DAYS",
                expected: "a whole number of days (0 keeps everything)",
                value: days,
            })?;
        }
        config.hash_key = var("FACTDESK_HASH_KEY");
        Ok(config)
    }
}

/// Identifies a logged question: carry it in buttons to link votes and clicks to it.
/// Made up of the time in milliseconds and a random per-handle counter, so handles in
/// several processes don't collide in practice (and a collision would only blur which
/// question a vote refers to: the table's own key is separate).
pub type QuestionId = i64;

/// A question and what became of it, as the front end saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionLog {
    pub at: SystemTime,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    /// The asker's id; hashed before it is queued, never stored.
    pub user: Option<u64>,
    pub question: String,
    pub status: Status,
    pub decline: Option<Decline>,
    /// The answering entry (or the gap explaining a decline).
    pub entry: Option<String>,
    /// Entries offered ("did you mean", or nearest when declined).
    pub suggested: Vec<String>,
    pub report: Option<String>,
    pub confidence: f32,
    /// Time the matcher took.
    pub matching: Duration,
}

impl QuestionLog {
    /// The record for a reply; `matching` is `Answered::elapsed` when known, else zero.
    pub fn from_reply(reply: &Reply, matching: Duration) -> Self {
        QuestionLog {
            at: SystemTime::now(),
            guild: None,
            channel: None,
            user: None,
            question: reply.question.clone(),
            status: reply.status,
            decline: reply.decline,
            entry: reply.entry.clone(),
            suggested: reply.suggestions.iter().map(|s| s.entry.clone()).collect(),
            report: reply.report.clone(),
            confidence: reply.confidence,
            matching,
        }
    }

    /// Where and by whom it was asked.
    pub fn asked_by(mut self, guild: Option<u64>, channel: Option<u64>, user: Option<u64>) -> Self {
        self.guild = guild;
        self.channel = channel;
        self.user = user;
        self
    }
}

/// A 👍 or 👎 on an answer message. One vote per person per message: a later vote
/// replaces an earlier one (the newest `at` wins).
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub at: SystemTime,
    /// The answer message (or any id unique to the answer shown).
    pub message: u64,
    pub question: Option<QuestionId>,
    pub entry: String,
    /// The voter's id; hashed before it is queued.
    pub user: u64,
    pub up: bool,
}

/// A click on a suggested question: evidence of what the question meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    pub at: SystemTime,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    pub user: Option<u64>,
    /// The logged question the suggestion was offered for, when known.
    pub question: Option<QuestionId>,
    /// Its text, when known (kept for clicks whose question id is unknown).
    pub asked: Option<String>,
    /// The entry clicked.
    pub entry: String,
}

/// A receipt for a queued record: [`Store::wait`] returns once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ack(u64);

/// A logged question: its id at once, and an acknowledgement to wait for if needed
/// (`None` when the record was dropped because the queue was full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    pub id: QuestionId,
    pub ack: Option<Ack>,
}

/// What moderators see of the store's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Health {
    /// The last write (or connection attempt) succeeded.
    pub ok: bool,
    pub last_error: Option<String>,
    /// Unix milliseconds of the last error and of the first failure of the current run of failures.
    pub last_error_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub last_commit_at: Option<i64>,
    /// Records written since the store was opened.
    pub written: u64,
    /// Records lost: the queue was full, or a record could never be written.
    pub dropped: u64,
    /// Records queued or held for a retry, not yet on disk.
    pub backlog: u64,
    /// Rows removed by retention since the store was opened.
    pub purged: u64,
}

impl Health {
    /// One line for a moderator.
    pub fn summary(&self) -> String {
        let mut text = if self.ok {
            format!("question log ok: {} written", self.written)
        } else {
            format!(
                "question log NOT WRITING: {} ({} waiting)",
                self.last_error.as_deref().unwrap_or("unknown error"),
                self.backlog
            )
        };
        if self.dropped > 0 {
            text.push_str(&format!("; {} record(s) lost", self.dropped));
        }
        text
    }
}

struct Sender {
    next_seq: u64,
    tx: Option<SyncSender<Msg>>,
}

struct Inner {
    path: PathBuf,
    key: [u8; 32],
    sender: Mutex<Sender>,
    shared: Arc<Shared>,
    id_salt: u64,
    id_counter: AtomicU64,
    reader: Mutex<Option<Connection>>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue tells the writer to commit what it holds and stop.
        if let Ok(mut s) = self.sender.lock() {
            s.tx = None;
        }
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = handle.join();
        }
    }
}

/// The store. Cheap to clone (one writer thread per [`Store::open`]); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

pub(crate) fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}

/// Random bytes from SQLite's own generator (seeded by the operating system).
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let bytes: Option<Vec<u8>> = Connection::open_in_memory()
        .and_then(|c| c.query_row("SELECT randomblob(?1)", [N as i64], |r| r.get(0)))
        .ok();
    match bytes {
        Some(b) if b.len() == N => out.copy_from_slice(&b),
        _ => {
            // Never expected; still, no panic on the answering side.
            let seed = blake3::hash(&now_ms().to_le_bytes());
            out.iter_mut()
                .zip(seed.as_bytes().iter().cycle())
                .for_each(|(o, s)| *o = *s);
        }
    }
    out
}

impl Store {
    /// Opens (creating it if needed) the database, applies migrations, starts the
    /// writer. Fails only when the file is corrupt or from a newer version; any other
    /// trouble (read-only, full, locked) leaves the store running in a degraded state
    /// that [`Store::health`] reports, retrying in the background.
    pub fn open(config: StoreConfig) -> Result<Store, StoreError> {
        let shared = Arc::new(Shared::default());
        let (conn, stored_key) = match schema::connect(&config, true) {
            Ok((conn, key)) => (Some(conn), Some(key)),
            Err(e @ (StoreError::Corrupt { .. } | StoreError::TooNew { .. })) => return Err(e),
            Err(e) => {
                tracing::error!(error = %e, "the question log cannot be written; answering goes on, writes are retried");
                shared.fail(&e.to_string());
                (None, schema::read_key(&config.path))
            }
        };
        let key = match (&config.hash_key, stored_key) {
            (Some(secret), _) => {
                blake3::derive_key("factdesk 2025 user id hash", secret.as_bytes())
            }
            (None, Some(key)) => key,
            (None, None) => {
                tracing::warn!("no hash key could be read or kept: user hashes will change at restart (set FACTDESK_HASH_KEY)");
                random_bytes()
            }
        };
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let path = config.path.clone();
        let handle = writer::spawn(config, conn, rx, Arc::clone(&shared));
        let salt = u64::from_le_bytes(random_bytes());
        Ok(Store {
            inner: Arc::new(Inner {
                path,
                key,
                sender: Mutex::new(Sender {
                    next_seq: 0,
                    tx: Some(tx),
                }),
                shared,
                id_salt: salt,
                id_counter: AtomicU64::new(0),
                reader: Mutex::new(None),
                writer: Mutex::new(Some(handle)),
            }),
        })
    }

    /// [`Store::open`] with [`StoreConfig::from_env`].
    pub fn open_from_env() -> Result<Store, StoreError> {
        Store::open(StoreConfig::from_env()?)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The keyed hash stored in place of a user id (32 hex digits).
    pub fn user_hash(&self, user: u64) -> String {
        user_hash(&self.inner.key, user)
    }

    fn next_question_id(&self) -> QuestionId {
        let n = self.inner.id_counter.fetch_add(1, Ordering::Relaxed);
        let low = (self.inner.id_salt.wrapping_add(n)) & 0x3F_FFFF;
        // Milliseconds since 2020 in the high 41 bits: ids sort by time and stay positive for ~69 years.
        let ms = (now_ms() - 1_577_836_800_000).max(0) as u64 & 0x1FF_FFFF_FFFF;
        ((ms << 22) | low) as i64
    }

    fn enqueue(&self, record: Record) -> Option<Ack> {
        let mut sender = match self.inner.sender.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let seq = sender.next_seq + 1;
        let result = match &sender.tx {
            Some(tx) => tx.try_send(Msg { seq, record }),
            None => Err(TrySendError::Disconnected(Msg { seq, record })),
        };
        match result {
            Ok(()) => {
                sender.next_seq = seq;
                Some(Ack(seq))
            }
            Err(e) => {
                drop(sender);
                let dropped = self.inner.shared.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    let why = match e {
                        TrySendError::Full(_) => "the queue is full (the disk is slow or failing)",
                        TrySendError::Disconnected(_) => "the writer has stopped",
                    };
                    tracing::warn!(dropped, "question log: record dropped: {why}");
                }
                None
            }
        }
    }

    /// Queues a question; never blocks. The id is valid even when the record was dropped.
    pub fn log_question(&self, q: QuestionLog) -> Logged {
        self.log_question_as(self.next_question_id(), q)
    }

    /// A question id to give a reply before the question is logged with
    /// [`Store::log_question_as`] (so logging can wait until the reply is sent).
    pub fn reserve_question_id(&self) -> QuestionId {
        self.next_question_id()
    }

    /// [`Store::log_question`] with an id from [`Store::reserve_question_id`].
    pub fn log_question_as(&self, id: QuestionId, q: QuestionLog) -> Logged {
        let user = q.user.map(|u| self.user_hash(u));
        let ack = self.enqueue(Record::Question { id, user, q });
        Logged { id, ack }
    }

    /// Queues a vote (an upsert per message and person); never blocks.
    pub fn record_vote(&self, vote: Vote) -> Option<Ack> {
        let user = self.user_hash(vote.user);
        self.enqueue(Record::Vote { user, vote })
    }

    /// Queues a click on a suggestion; never blocks.
    pub fn record_click(&self, click: Click) -> Option<Ack> {
        let user = click.user.map(|u| self.user_hash(u));
        self.enqueue(Record::Click { user, click })
    }

    /// Hides an unanswered cluster (by [`Cluster::id`]) for good; `by` is the moderator.
    pub fn dismiss_cluster(&self, cluster: &str, by: Option<u64>) -> Option<Ack> {
        let by = by.map(|u| self.user_hash(u));
        self.enqueue(Record::Dismiss {
            cluster: cluster.to_string(),
            by,
            at: now_ms(),
        })
    }

    /// Notes that a cluster was posted to the moderator channel, so it is posted once.
    pub fn mark_alerted(&self, cluster: &str) -> Option<Ack> {
        self.enqueue(Record::Alerted {
            cluster: cluster.to_string(),
            at: now_ms(),
        })
    }

    /// Waits until the record is committed; false on timeout.
    pub fn wait(&self, ack: Ack, timeout: Duration) -> bool {
        self.inner.shared.wait_committed(ack.0, timeout)
    }

    /// Waits until everything queued so far is committed; on timeout, the health.
    pub fn flush(&self, timeout: Duration) -> Result<(), Health> {
        let last = self.inner.sender.lock().map_or(0, |s| s.next_seq);
        if self.inner.shared.wait_committed(last, timeout) {
            Ok(())
        } else {
            Err(self.health())
        }
    }

    pub fn health(&self) -> Health {
        let queued = self.inner.sender.lock().map_or(0, |s| s.next_seq);
        self.inner.shared.health(queued)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut reader = match self.inner.reader.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if reader.is_none() {
            *reader = Some(schema::open_reader(&self.inner.path)?);
        }
        let result = f(reader.as_ref().expect("reader just opened"));
        if result.is_err() {
            // A broken connection is not kept; the next read opens a new one.
            *reader = None;
        }
        result
    }

    /// Questions, rates, top entries, top unanswered clusters and votes per entry over
    /// the last `days` days. `matcher` gives the normalisation for clustering.
    pub fn stats(&self, matcher: &Matcher, days: u32) -> Result<Stats, StoreError> {
        self.read(|c| stats::stats(c, &self.inner.path, matcher, days, now_ms()))
    }

    /// The text of a logged question, if it is (still) in the log.
    pub fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        let path = self.inner.path.clone();
        self.read(|c| {
            c.query_row(
                "SELECT question FROM questions WHERE qid = ?1 LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|source| StoreError::Sqlite {
                context: "reading a question",
                path,
                source,
            })
        })
    }

    /// The current cluster that has `id` as its id or as one of its members' ids.
    pub fn find_cluster(
        &self,
        matcher: &Matcher,
        days: u32,
        id: &str,
    ) -> Result<Option<Cluster>, StoreError> {
        let all = self.read(|c| clusters::all(c, &self.inner.path, matcher, days, now_ms()))?;
        Ok(all
            .into_iter()
            .find(|c| c.id == id || c.members.iter().any(|m| m == id)))
    }

    /// Unanswered clusters asked at least `min_asks` times over the last `days` days that
    /// have not been posted to moderators yet (see [`Store::mark_alerted`]).
    pub fn clusters_to_alert(
        &self,
        matcher: &Matcher,
        days: u32,
        min_asks: u64,
    ) -> Result<Vec<Cluster>, StoreError> {
        self.read(|c| clusters::to_alert(c, &self.inner.path, matcher, days, now_ms(), min_asks))
    }

    /// Declined and not-confident questions of the last `days` days, in clusters of
    /// near-duplicates, biggest first; `offset`/`limit` page through them.
    pub fn unanswered(
        &self,
        matcher: &Matcher,
        days: u32,
        offset: usize,
        limit: usize,
    ) -> Result<Unanswered, StoreError> {
        self.read(|c| {
            clusters::unanswered(c, &self.inner.path, matcher, days, now_ms(), offset, limit)
        })
    }
}

fn user_hash(key: &[u8; 32], user: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = blake3::keyed_hash(key, &user.to_le_bytes());
    let mut text = String::with_capacity(32);
    for b in &hash.as_bytes()[..16] {
        text.push(HEX[usize::from(b >> 4)] as char);
        text.push(HEX[usize::from(b & 15)] as char);
    }
    text
}

/// Read-only access for the command line: never creates, migrates or writes.
pub struct Reader {
    path: PathBuf,
    conn: Connection,
}

impl Reader {
    pub fn open(path: impl Into<PathBuf>) -> Result<Reader, StoreError> {
        let path = path.into();
        let conn = schema::open_reader(&path)?;
        Ok(Reader { path, conn })
    }

    pub fn stats(&self, matcher: &Matcher, days: u32) -> Result<Stats, StoreError> {
        stats::stats(&self.conn, &self.path, matcher, days, now_ms())
    }

    pub fn unanswered(
        &self,
        matcher: &Matcher,
        days: u32,
        offset: usize,
        limit: usize,
    ) -> Result<Unanswered, StoreError> {
        clusters::unanswered(
            &self.conn,
            &self.path,
            matcher,
            days,
            now_ms(),
            offset,
            limit,
        )
    }
}
