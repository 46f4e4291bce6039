//! The store: every question asked, every 👍/👎 vote and every click on a suggestion,
//! in an embedded SQLite database (WAL mode, versioned migrations), and one read path
//! ([`Reader`]) for what the moderator views are made of. Pure of Discord and of the
//! matcher: front ends hand it plain records, and the curation service
//! (`crate::curation`) clusters the questions it returns.
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
//! deadline whatever the database does, and counts what was written and lost. A corrupt
//! file is the one start-up error ([`StoreError::Corrupt`]), and it says what to do.
//!
//! Two back ends behind this one interface: the embedded SQLite file (the default,
//! `FACTDESK_DB`) and PostgreSQL (`FACTDESK_DATABASE_URL`), shared by every process:
//! gateway shards, HTTP replicas and the command line. Each runs its own migrations
//! (`src/store/migrations/`), which make the same tables, and both pass the same test suite. A shared store also holds the answering state
//! processes must agree on (cooldowns, the answered-above memory): see
//! [`Store::cooldown`]; an embedded store leaves that to the process's memory.
//!
//! User ids are never stored: they are hashed with a keyed BLAKE3 hash before they are
//! even queued. The key comes from `FACTDESK_HASH_KEY`, or is generated once and kept
//! in the database, which every process reads; a process that starts before the
//! database answers keeps the ids of its queued records in memory until it has the key.

mod config;
mod drafts;
mod health;
mod postgres;
mod read;
mod records;
mod schema;
mod shared;
mod sqlite;
mod time;
mod writer;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::reply::Decline;

pub use config::{
    shutdown_grace_from_env, StoreConfig, DEFAULT_PATH, DEFAULT_RETENTION_DAYS,
    DEFAULT_SHUTDOWN_GRACE,
};
pub use health::{Closed, Health};
pub use postgres::PgError;
pub use read::{Counts, EntryCount, EntryVotes, Reader, Snapshot, UnansweredRow};
pub use records::{Ack, Click, Logged, QuestionId, QuestionLog, Vote};
pub use schema::SCHEMA_VERSION;
pub use shared::CooldownStep;
pub(crate) use time::{now_ms, unix_ms};
pub use time::{now_text, time_text};

use read::Backend;
use writer::{Msg, Record, Shared, Who};

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

/// What is wrong with a database file that is not a valid factdesk database.
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    /// The problems `PRAGMA quick_check` found.
    #[error("{}", .0.join("; "))]
    Check(Vec<String>),
    #[error("the hash key is not 32 bytes")]
    Key,
}

/// Why the store could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{} is not a valid factdesk database ({detail}). Move it aside (for example `mv {0} {0}.broken`) \
         and start again: a new, empty database will be created. Keep the moved file if you want to try \
         recovering it with `sqlite3 {0}.broken .recover`.",
        .path.display()
    )]
    Corrupt { path: PathBuf, detail: Damage },
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
    #[error("{context} ({target}): {source}")]
    Postgres {
        context: &'static str,
        target: String,
        #[source]
        source: postgres::PgError,
    },
    #[error("cannot write {}: not open", .path.display())]
    NotOpen { path: PathBuf },
    #[error("{context} ({}): {source}", .path.display())]
    Sqlite {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

struct Sender {
    next_seq: u64,
    tx: Option<SyncSender<Msg>>,
}

struct Inner {
    /// The read path, which also holds the back end the writer's sink writes to.
    reader: Reader,
    shared_timeout: Duration,
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
        if let Backend::Postgres(pg) = self.reader.backend() {
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

/// The store. Cheap to clone (one writer thread per [`Store::open`]); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
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
                    reader: Mutex::default(),
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
        let reader = Reader::new(backend, Some(config.read_timeout));
        let shutdown_grace = config.shutdown_grace;
        let handle = writer::spawn(config, sink, rx, Arc::clone(&shared));
        let salt = u64::from_le_bytes(random_bytes());
        Ok(Store {
            inner: Arc::new(Inner {
                reader,
                shared_timeout,
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

    fn backend(&self) -> &Backend {
        self.inner.reader.backend()
    }

    /// Where the records live, for messages: the file, or the PostgreSQL database (no password).
    pub fn location(&self) -> String {
        match self.backend() {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres(pg) => pg.target().to_string(),
        }
    }

    /// The SQLite file, when the store is one.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self.backend() {
            Backend::Sqlite { path, .. } => Some(path),
            Backend::Postgres(_) => None,
        }
    }

    /// True when the store is shared by processes (PostgreSQL), so cooldowns and the
    /// answered-above memory live in it.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend(), Backend::Postgres(_))
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
        if let Backend::Postgres(pg) = self.backend() {
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

    /// The store's own read path (with the read timeout), for the moderators' views.
    pub fn reader(&self) -> &Reader {
        &self.inner.reader
    }

    /// The text of a logged question, if it is (still) in the log.
    pub fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        self.inner.reader.question_text(id)
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
