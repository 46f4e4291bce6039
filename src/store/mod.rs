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
//! A full or read-only disk, a locked, vanished or hung database: every call has a
//! deadline ([`StoreConfig::timeout`]), a call hanging past [`StoreConfig::stall`] shows
//! in [`Store::health`] at once, and the writer holds the batch and retries with a delay
//! capped at a second; answering goes on regardless. [`Store::close`] ends by its
//! deadline whatever the database does, and counts what was written and lost. A corrupt file is the one start-up
//! error ([`StoreError::Corrupt`]), and it says what to do.
//!
//! Two back ends behind this one interface: the embedded SQLite file (the default,
//! `FACTDESK_DB`) and PostgreSQL (`FACTDESK_DATABASE_URL`), shared by every process:
//! gateway shards, HTTP replicas and the command line. Both run the same migrations at
//! start-up and pass the same test suite. A shared store also holds the answering state
//! processes must agree on (cooldowns, the answered-above memory): see
//! [`Store::cooldown`]; an embedded store leaves that to the process's memory.
//!
//! User ids are never stored: they are hashed with a keyed BLAKE3 hash before they are
//! even queued. The key comes from `FACTDESK_HASH_KEY`, or is generated once and kept
//! in the database, which every process reads; a process that starts before the
//! database answers keeps the ids of its queued records in memory until it has the key.

mod clusters;
mod drafts;
mod postgres;
mod schema;
mod sqlite;
mod stats;
mod writer;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

use writer::{Msg, Record, Shared, Who};

/// Most unanswered questions read for clustering (the newest).
pub(crate) const MAX_UNANSWERED_ROWS: i64 = 100_000;

/// What a back end reads for the moderator views, in one snapshot.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    pub counts: stats::Counts,
    pub rows: Vec<UnansweredRow>,
    pub dismissed: HashSet<String>,
    pub alerted: HashSet<String>,
}

/// Which optional parts of a [`Snapshot`] to read.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Want {
    pub counts: bool,
    pub alerted: bool,
}

/// How a decline is written in the log.
pub(crate) fn decline_text(d: Decline) -> &'static str {
    match d {
        Decline::NotCovered => "not_covered",
        Decline::KnownGap => "known_gap",
        Decline::SmallTalk => "small_talk",
    }
}

/// A comma-separated list of entry ids, as stored.
pub(crate) fn split_list(list: Option<String>) -> Vec<String> {
    list.map(|l| {
        l.split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

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
    #[error("the question log is not answering, try again ({what} took over {:.1} s)", .waited.as_secs_f64())]
    NotAnswering {
        what: &'static str,
        waited: Duration,
    },
    #[error("{name} must be {expected}, not `{value}`")]
    Setting {
        name: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("{context} ({target}): {detail}")]
    Postgres {
        context: &'static str,
        target: String,
        detail: String,
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
    /// A PostgreSQL URL: the store shared by every process, instead of the file at `path`.
    pub database_url: Option<String>,
    /// How long the answering path waits for shared state (cooldowns, answered-above)
    /// before it answers from the process's own memory.
    pub shared_timeout: Duration,
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
    /// First delay before retrying a failed write; doubles up to `max_retry`, kept low so
    /// that writing resumes soon after the database is back, however long it was away.
    pub retry: Duration,
    pub max_retry: Duration,
    /// How long a write waits for a lock held by another process before giving up (and retrying later).
    pub busy_timeout: Duration,
    /// The longest any one call of the writer may take (connecting, a batch, a check):
    /// then it counts as failed and is retried. `FACTDESK_STORE_TIMEOUT`.
    pub timeout: Duration,
    /// The longest a moderator's read (stats, clusters, drafts) may take before the
    /// store answers [`StoreError::NotAnswering`].
    pub read_timeout: Duration,
    /// A call still under way after this long marks the store unhealthy at once (the
    /// watchdog): a hung database is reported like a stopped one.
    pub stall: Duration,
    /// How often an idle writer checks that a shared database still answers.
    pub probe: Duration,
    /// On close, how long the writer keeps retrying records it could not write yet
    /// (see [`Store::close`], which is given the time left of `FACTDESK_SHUTDOWN_GRACE`).
    pub shutdown_grace: Duration,
}

/// The longest SIGTERM waits (requests in flight, then the question log) unless
/// `FACTDESK_SHUTDOWN_GRACE` says otherwise.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A duration setting in seconds (`2`, `0.5`).
fn seconds(name: &'static str, value: String) -> Result<Duration, StoreError> {
    value
        .trim()
        .trim_end_matches('s')
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or(StoreError::Setting {
            name,
            expected: "a number of seconds (for example 5 or 0.5)",
            value,
        })
}

/// `FACTDESK_SHUTDOWN_GRACE`: how long SIGTERM may take, in seconds (default 5).
pub fn shutdown_grace_from_env() -> Result<Duration, StoreError> {
    match std::env::var("FACTDESK_SHUTDOWN_GRACE")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(v) => seconds("FACTDESK_SHUTDOWN_GRACE", v),
        None => Ok(DEFAULT_SHUTDOWN_GRACE),
    }
}

impl StoreConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StoreConfig {
            path: path.into(),
            database_url: None,
            shared_timeout: Duration::from_millis(250),
            retention_days: DEFAULT_RETENTION_DAYS,
            hash_key: None,
            queue: 65_536,
            max_batch: 4_096,
            linger: Duration::from_millis(10),
            retry: Duration::from_millis(100),
            max_retry: Duration::from_secs(1),
            busy_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(4),
            stall: Duration::from_secs(1),
            probe: Duration::from_millis(500),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// `FACTDESK_DATABASE_URL` (a shared PostgreSQL store; unset = the file),
    /// `FACTDESK_DB` (default `./factdesk.db`), `FACTDESK_RETENTION_DAYS` (default 90) and
    /// `FACTDESK_HASH_KEY` (default: generated and kept in the database),
    /// `FACTDESK_STORE_TIMEOUT` (seconds a call may take, default 2) and
    /// `FACTDESK_SHUTDOWN_GRACE` (seconds, default 5). Empty values count as unset.
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
        config.database_url = var("FACTDESK_DATABASE_URL");
        if let Some(t) = var("FACTDESK_STORE_TIMEOUT") {
            config.timeout = seconds("FACTDESK_STORE_TIMEOUT", t)?.max(Duration::from_millis(50));
            config.busy_timeout = config.timeout;
            config.read_timeout = config.read_timeout.max(config.timeout);
        }
        config.shutdown_grace = shutdown_grace_from_env()?;
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
    /// Unix milliseconds of the last moment nothing was waiting to be written.
    pub current_at: Option<i64>,
    /// The deployment's user hash key has not been read yet (the database has not
    /// answered since start-up): records keep the ids in memory until it is.
    pub hash_key_pending: bool,
}

impl Health {
    /// Seconds since the log was last up to date (a commit, or nothing waiting), at `now` (unix ms).
    pub fn last_write_age(&self, now: i64) -> Option<f64> {
        let last = self.last_commit_at.max(self.current_at)?;
        Some((now - last).max(0) as f64 / 1000.0)
    }

    /// One line for a moderator.
    pub fn summary(&self) -> String {
        let mut text = if self.ok && self.backlog == 0 {
            format!("question log ok: {} written", self.written)
        } else if self.ok {
            // Never "ok" alone while records wait: at shutdown those are the ones at risk.
            format!(
                "question log writing: {} written, {} still queued",
                self.written, self.backlog
            )
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

/// Where the records live.
enum Backend {
    Sqlite {
        path: PathBuf,
        reader: Mutex<Option<Connection>>,
    },
    Postgres(Arc<postgres::Pg>),
}

/// One step of a shared cooldown (see [`Store::cooldown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownStep {
    /// The person may ask: a new cooldown has started.
    pub ready: bool,
    /// Time left when not ready.
    pub remaining: Duration,
    /// The first refused try of this cooldown (so public notes are not repeated).
    pub first_warning: bool,
}

struct Inner {
    backend: Backend,
    shared_timeout: Duration,
    read_timeout: Duration,
    shutdown_grace: Duration,
    /// Hashes ids only for [`Store::user_hash`] callers while the deployment's key is
    /// not known yet; never written.
    provisional_key: [u8; 32],
    sender: Mutex<Sender>,
    shared: Arc<Shared>,
    id_salt: u64,
    id_counter: AtomicU64,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue tells the writer to commit what it holds and stop, within
        // the grace; a writer stuck in a call that cannot be cut short is left behind.
        // After [`Store::close`] its deadline holds: the grace is not given twice.
        let deadline = self
            .shared
            .close_by()
            .unwrap_or_else(|| Instant::now() + self.shutdown_grace);
        self.shared.close(deadline);
        if let Backend::Postgres(pg) = &self.backend {
            pg.close_by(deadline);
        }
        if let Ok(mut s) = self.sender.lock() {
            s.tx = None;
        }
        let finished = self
            .shared
            .wait_finished(deadline + Duration::from_millis(200));
        if let Some(handle) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            if finished {
                let _ = handle.join();
            }
        }
    }
}

/// What became of the records when the store closed (see [`Store::close`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Records committed since the store was opened.
    pub written: u64,
    /// Records not confirmed written: dropped from a full queue, refused, or still
    /// waiting when the grace ran out.
    pub lost: u64,
    /// Of the lost, those whose write was cut off without an answer: they may have
    /// reached the database all the same.
    pub unsure: u64,
    /// The writer had stopped by then (false: it was stuck in a call to the database).
    pub finished: bool,
}

impl Closed {
    /// The line printed at exit.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "question log closed: {} written, {} lost",
            self.written, self.lost
        );
        if self.unsure > 0 {
            text.push_str(&format!(
                " ({} of them were being written when time ran out and may be in the database)",
                self.unsure
            ));
        }
        text
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

pub(crate) fn now_ms() -> i64 {
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
        let shared = Arc::new(Shared::new(config.stall));
        let (backend, sink, stored_key): (Backend, Box<dyn writer::Sink>, _) = match &config
            .database_url
        {
            Some(url) => {
                let pg = Arc::new(postgres::Pg::new(url, config.timeout, config.read_timeout)?);
                let key = match pg.migrate(config.timeout) {
                    Ok(key) => Some(key),
                    Err(e) => {
                        tracing::error!(error = %e, "the shared store cannot be written; answering goes on, writes are retried");
                        shared.fail(&e.to_string());
                        None
                    }
                };
                let sink = postgres::PgSink {
                    pg: Arc::clone(&pg),
                    ready: key.is_some(),
                };
                (Backend::Postgres(pg), Box::new(sink), key)
            }
            None => {
                let (conn, key) = match schema::connect(&config, true) {
                    Ok((conn, key)) => (Some(conn), Some(key)),
                    Err(e @ (StoreError::Corrupt { .. } | StoreError::TooNew { .. })) => {
                        return Err(e)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the question log cannot be written; answering goes on, writes are retried");
                        shared.fail(&e.to_string());
                        (None, schema::read_key(&config.path))
                    }
                };
                let backend = Backend::Sqlite {
                    path: config.path.clone(),
                    reader: Mutex::new(None),
                };
                let sink = sqlite::SqliteSink {
                    config: config.clone(),
                    conn,
                };
                (backend, Box::new(sink), key)
            }
        };
        let key = match &config.hash_key {
            Some(secret) => Some(blake3::derive_key(
                "factdesk 2025 user id hash",
                secret.as_bytes(),
            )),
            None => stored_key,
        };
        match key {
            Some(key) => {
                let _ = shared.key.set(key);
            }
            None => tracing::warn!(
                "the user hash key is in the database, which does not answer yet: ids wait in memory \
                 and are hashed with it once it answers (or set FACTDESK_HASH_KEY)"
            ),
        }
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let shared_timeout = config.shared_timeout;
        let read_timeout = config.read_timeout;
        let shutdown_grace = config.shutdown_grace;
        let handle = writer::spawn(config, sink, rx, Arc::clone(&shared));
        let salt = u64::from_le_bytes(random_bytes());
        Ok(Store {
            inner: Arc::new(Inner {
                backend,
                shared_timeout,
                read_timeout,
                shutdown_grace,
                provisional_key: random_bytes(),
                sender: Mutex::new(Sender {
                    next_seq: 0,
                    tx: Some(tx),
                }),
                shared,
                id_salt: salt,
                id_counter: AtomicU64::new(0),
                writer: Mutex::new(Some(handle)),
            }),
        })
    }

    /// [`Store::open`] with [`StoreConfig::from_env`].
    pub fn open_from_env() -> Result<Store, StoreError> {
        Store::open(StoreConfig::from_env()?)
    }

    /// Where the records live, for messages: the file, or the PostgreSQL database (no password).
    pub fn location(&self) -> String {
        match &self.inner.backend {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres(pg) => pg.target().to_string(),
        }
    }

    /// The SQLite file, when the store is one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match &self.inner.backend {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres(_) => None,
        }
    }

    /// True when the store is shared by processes (PostgreSQL), so cooldowns and the
    /// answered-above memory live in it.
    pub fn is_shared(&self) -> bool {
        matches!(self.inner.backend, Backend::Postgres(_))
    }

    /// One cooldown step for `user`, shared by every process: ready (and a new cooldown
    /// of `period` starts) or how long to wait. `None` when the store is not shared, or
    /// did not answer within the shared timeout: the caller then uses its own memory.
    pub async fn cooldown(&self, user: u64, period: Duration) -> Option<CooldownStep> {
        let Backend::Postgres(pg) = &self.inner.backend else {
            return None;
        };
        if period.is_zero() {
            return Some(CooldownStep {
                ready: true,
                remaining: Duration::ZERO,
                first_warning: false,
            });
        }
        // With the deployment's key unknown, or the database down or hung, the caller's
        // own memory answers: a hash under another key would make one person two.
        let hash = self.known_hash(user)?;
        if !self.inner.shared.answering() {
            return None;
        }
        let (now, ms) = (now_ms(), period.as_millis() as i64);
        let (at, warns) = pg
            .shared(self.inner.shared_timeout, move |pool| {
                Box::pin(postgres::cooldown(pool, hash, now, ms))
            })
            .await?;
        let ready = warns == 0;
        let remaining = Duration::from_millis((at + ms - now).clamp(0, ms) as u64);
        Some(CooldownStep {
            ready,
            remaining: if ready { Duration::ZERO } else { remaining },
            first_warning: warns == 1,
        })
    }

    /// Where the same question (`key`) was answered in `channel` within `window`, from
    /// any process: `Some(None)` when it was not; `None` when the store is not shared or
    /// did not answer in time.
    pub async fn earlier_answer(
        &self,
        channel: u64,
        key: &str,
        window: Duration,
    ) -> Option<Option<String>> {
        let Backend::Postgres(pg) = &self.inner.backend else {
            return None;
        };
        if !self.inner.shared.answering() {
            return None;
        }
        let since = now_ms() - window.as_millis() as i64;
        let key = key.to_string();
        pg.shared(self.inner.shared_timeout, move |pool| {
            Box::pin(postgres::earlier(pool, channel as i64, key, since))
        })
        .await
    }

    /// Remembers where the answer to `key` in `channel` is, for every process; false
    /// when the store is not shared or did not answer in time.
    pub async fn remember_answer(&self, channel: u64, key: &str, link: &str) -> bool {
        let Backend::Postgres(pg) = &self.inner.backend else {
            return false;
        };
        if !self.inner.shared.answering() {
            return false;
        }
        let (key, link, at) = (key.to_string(), link.to_string(), now_ms());
        pg.shared(self.inner.shared_timeout, move |pool| {
            Box::pin(postgres::remember(pool, channel as i64, key, link, at))
        })
        .await
        .is_some()
    }

    /// The keyed hash stored in place of a user id (32 hex digits).
    /// Before the deployment's key is known (the database has not answered since
    /// start-up and `FACTDESK_HASH_KEY` is unset) it is a provisional hash that is never
    /// written: records wait with the id and are hashed with the real key.
    pub fn user_hash(&self, user: u64) -> String {
        match self.inner.shared.key.get() {
            Some(key) => user_hash(key, user),
            None => user_hash(&self.inner.provisional_key, user),
        }
    }

    /// The hash under the deployment's key, once known.
    fn known_hash(&self, user: u64) -> Option<String> {
        self.inner.shared.key.get().map(|key| user_hash(key, user))
    }

    /// A person in a record: hashed now, or kept until the key is known.
    fn who(&self, user: u64) -> Who {
        match self.known_hash(user) {
            Some(hash) => Who::Hashed(hash),
            None => Who::Pending(user),
        }
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
        let user = q.user.map(|u| self.who(u));
        let ack = self.enqueue(Record::Question { id, user, q });
        Logged { id, ack }
    }

    /// Queues a vote (an upsert per message and person); never blocks.
    pub fn record_vote(&self, vote: Vote) -> Option<Ack> {
        let user = self.who(vote.user);
        self.enqueue(Record::Vote { user, vote })
    }

    /// Queues a click on a suggestion; never blocks.
    pub fn record_click(&self, click: Click) -> Option<Ack> {
        let user = click.user.map(|u| self.who(u));
        self.enqueue(Record::Click { user, click })
    }

    /// Hides an unanswered cluster (by [`Cluster::id`]) for good; `by` is the moderator.
    pub fn dismiss_cluster(&self, cluster: &str, by: Option<u64>) -> Option<Ack> {
        let by = by.map(|u| self.who(u));
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
    pub fn flush(&self, timeout: Duration) -> Result<(), Box<Health>> {
        let last = self.inner.sender.lock().map_or(0, |s| s.next_seq);
        if self.inner.shared.wait_committed(last, timeout) {
            Ok(())
        } else {
            Err(Box::new(self.health()))
        }
    }

    /// Stops taking records and writes what waits until `deadline`, then says what
    /// became of every record. Returns by `deadline` (plus a few milliseconds) whatever
    /// the database does; a writer stuck in a call is left behind and what it held is
    /// counted as lost. Later records are dropped (and counted).
    pub fn close(&self, deadline: Instant) -> Closed {
        // Calls are cut a little before the deadline, leaving the writer time to count.
        let left = deadline.saturating_duration_since(Instant::now());
        let cut = deadline - (left / 10).min(Duration::from_millis(100));
        self.inner.shared.close(cut);
        if let Backend::Postgres(pg) = &self.inner.backend {
            pg.close_by(cut);
        }
        let queued = match self.inner.sender.lock() {
            Ok(mut s) => {
                s.tx = None;
                s.next_seq
            }
            Err(poisoned) => {
                let mut s = poisoned.into_inner();
                s.tx = None;
                s.next_seq
            }
        };
        let finished = self.inner.shared.wait_finished(deadline);
        let health = self.inner.shared.health(queued);
        // The writer counts what it gave up on when it stops; one stuck in a call has not.
        let lost = if finished {
            health.dropped
        } else {
            health.dropped + health.backlog
        };
        Closed {
            written: health.written,
            lost,
            unsure: self.inner.shared.unsure().min(lost),
            finished,
        }
    }

    /// Whether the database answers (no call failing or hanging), for the answering path.
    pub fn answering(&self) -> bool {
        self.inner.shared.answering()
    }

    pub fn health(&self) -> Health {
        let queued = self.inner.sender.lock().map_or(0, |s| s.next_seq);
        self.inner.shared.health(queued)
    }

    /// Runs a moderator's read on a helper thread and waits at most the read timeout:
    /// a file on a hung disk cannot be interrupted, but nobody waits for it.
    fn within<T: Send + 'static>(
        &self,
        what: &'static str,
        read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let waited = self.inner.read_timeout;
        if matches!(self.inner.backend, Backend::Postgres(_)) {
            // The client's own deadline bounds it.
            return read(self);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let store = self.clone();
        std::thread::Builder::new()
            .name("factdesk-read".into())
            .spawn(move || {
                let _ = tx.send(read(&store));
            })
            .map_err(|_| StoreError::NotAnswering { what, waited })?;
        rx.recv_timeout(waited)
            .unwrap_or(Err(StoreError::NotAnswering { what, waited }))
    }

    fn snapshot(&self, days: u32, want: Want) -> Result<Snapshot, StoreError> {
        self.within("reading the question log", move |store| {
            store.snapshot_now(days, want)
        })
    }

    fn snapshot_now(&self, days: u32, want: Want) -> Result<Snapshot, StoreError> {
        let since = now_ms() - i64::from(days) * 86_400_000;
        match &self.inner.backend {
            Backend::Sqlite { path, reader } => {
                let mut reader = match reader.lock() {
                    Ok(r) => r,
                    Err(poisoned) => poisoned.into_inner(),
                };
                if reader.is_none() {
                    *reader = Some(schema::open_reader(path)?);
                }
                let result = sqlite::snapshot(
                    reader.as_ref().expect("reader just opened"),
                    path,
                    since,
                    want,
                );
                if result.is_err() {
                    // A broken connection is not kept; the next read opens a new one.
                    *reader = None;
                }
                result
            }
            Backend::Postgres(pg) => pg.snapshot(since, want),
        }
    }

    /// Questions, rates, top entries, top unanswered clusters and votes per entry over
    /// the last `days` days. `matcher` gives the normalisation for clustering.
    pub fn stats(&self, matcher: &Matcher, days: u32) -> Result<Stats, StoreError> {
        let want = Want {
            counts: true,
            alerted: false,
        };
        Ok(stats::build(self.snapshot(days, want)?, matcher, days))
    }

    /// The text of a logged question, if it is (still) in the log.
    pub fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        self.within("reading a question", move |store| {
            match &store.inner.backend {
                Backend::Sqlite { path, .. } => {
                    let conn = schema::open_reader(path)?;
                    sqlite::question_text(&conn, path, id)
                }
                Backend::Postgres(pg) => pg.question_text(id),
            }
        })
    }

    /// The current cluster that has `id` as its id or as one of its members' ids.
    pub fn find_cluster(
        &self,
        matcher: &Matcher,
        days: u32,
        id: &str,
    ) -> Result<Option<Cluster>, StoreError> {
        let snap = self.snapshot(days, Want::default())?;
        Ok(clusters::all(&snap.rows, &snap.dismissed, matcher)
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
        let want = Want {
            counts: false,
            alerted: true,
        };
        Ok(clusters::to_alert(
            &self.snapshot(days, want)?,
            matcher,
            min_asks,
        ))
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
        let snap = self.snapshot(days, Want::default())?;
        Ok(clusters::page(&snap, matcher, offset, limit))
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

/// The command line's deadline for one read of a shared store.
const READER_TIMEOUT: Duration = Duration::from_secs(120);

/// Read-only access for the command line: never creates, migrates or writes.
pub struct Reader {
    backend: ReaderBackend,
}

enum ReaderBackend {
    Sqlite { path: PathBuf, conn: Connection },
    Postgres(postgres::Pg),
}

impl Reader {
    /// The SQLite file at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Reader, StoreError> {
        let path = path.into();
        let conn = schema::open_reader(&path)?;
        Ok(Reader {
            backend: ReaderBackend::Sqlite { path, conn },
        })
    }

    /// The shared PostgreSQL store at `url`.
    pub fn open_url(url: &str) -> Result<Reader, StoreError> {
        // The command line reads whole logs: a long deadline, still one.
        let pg = postgres::Pg::new(url, READER_TIMEOUT, READER_TIMEOUT)?;
        pg.check_schema()?;
        Ok(Reader {
            backend: ReaderBackend::Postgres(pg),
        })
    }

    fn snapshot(&self, days: u32, want: Want) -> Result<Snapshot, StoreError> {
        let since = now_ms() - i64::from(days) * 86_400_000;
        match &self.backend {
            ReaderBackend::Sqlite { path, conn } => sqlite::snapshot(conn, path, since, want),
            ReaderBackend::Postgres(pg) => pg.snapshot(since, want),
        }
    }

    pub fn stats(&self, matcher: &Matcher, days: u32) -> Result<Stats, StoreError> {
        let want = Want {
            counts: true,
            alerted: false,
        };
        Ok(stats::build(self.snapshot(days, want)?, matcher, days))
    }

    pub fn unanswered(
        &self,
        matcher: &Matcher,
        days: u32,
        offset: usize,
        limit: usize,
    ) -> Result<Unanswered, StoreError> {
        let snap = self.snapshot(days, Want::default())?;
        Ok(clusters::page(&snap, matcher, offset, limit))
    }
}

#[cfg(test)]
mod health_tests {
    use super::Health;

    #[test]
    fn the_summary_never_says_ok_while_records_wait() {
        let mut health = Health {
            ok: true,
            written: 10,
            ..Health::default()
        };
        assert_eq!(health.summary(), "question log ok: 10 written");
        health.backlog = 6;
        assert_eq!(
            health.summary(),
            "question log writing: 10 written, 6 still queued"
        );
        health.ok = false;
        health.last_error = Some("disk full".into());
        assert_eq!(
            health.summary(),
            "question log NOT WRITING: disk full (6 waiting)"
        );
    }

    #[test]
    fn durations_are_read_in_seconds_and_the_close_says_what_was_lost() {
        use super::{seconds, Closed};
        use std::time::Duration;
        assert_eq!(seconds("X", "5".into()).unwrap(), Duration::from_secs(5));
        assert_eq!(
            seconds("X", "0.5s".into()).unwrap(),
            Duration::from_millis(500)
        );
        assert!(seconds("X", "soon".into()).is_err());
        assert!(seconds("X", "-1".into()).is_err());
        let closed = Closed {
            written: 10,
            lost: 3,
            unsure: 0,
            finished: true,
        };
        assert_eq!(closed.summary(), "question log closed: 10 written, 3 lost");
        let unsure = Closed {
            unsure: 2,
            ..closed
        };
        assert!(unsure.summary().ends_with(
            "(2 of them were being written when time ran out and may be in the database)"
        ));
    }
}
