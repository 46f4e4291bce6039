//! The one read path: what the moderators' views are built from (counts, unanswered
//! questions, dismissed and alerted clusters) and single questions, from either back end,
//! for the bot's store and the command line alike. Reads return records as stored;
//! clustering them is the curation service's (`crate::curation`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;

use super::{now_ms, postgres, schema, sqlite, QuestionId, StoreError};

/// Most unanswered questions read (the newest).
pub(crate) const MAX_UNANSWERED_ROWS: i64 = 100_000;
/// Entries counted as the most asked.
pub(crate) const TOP_ENTRIES: i64 = 10;
/// The command line's deadline for one read of a shared store.
const READER_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryCount {
    pub entry: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryVotes {
    pub entry: String,
    pub up: u64,
    pub down: u64,
}

/// The figures counted over some days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// (status, questions, of which small talk).
    pub by_status: Vec<(String, u64, u64)>,
    /// Distinct people who asked.
    pub askers: u64,
    pub mean_matching_micros: f64,
    /// Clicks on suggested questions.
    pub clicks: u64,
    /// Most answered entries, most first (at most 10).
    pub top_entries: Vec<EntryCount>,
    /// 👍/👎 per entry, most 👎 first.
    pub votes: Vec<EntryVotes>,
}

/// One unanswered question, as read from the log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnansweredRow {
    /// Unix milliseconds.
    pub at: i64,
    pub user: Option<String>,
    pub question: String,
    /// Entries offered with the reply.
    pub suggested: Vec<String>,
    /// Entries the asker then clicked.
    pub clicked: Vec<String>,
}

/// What the log holds over the last `days` days, read in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub days: u32,
    /// Empty when only the unanswered questions were asked for.
    pub counts: Counts,
    /// Declined (small talk aside) and suggested questions, newest first.
    pub unanswered: Vec<UnansweredRow>,
    /// Ids of the cluster wordings moderators dismissed or curated.
    pub dismissed: HashSet<String>,
    /// Ids of the cluster wordings already posted to the moderator channel.
    pub alerted: HashSet<String>,
}

/// Whether a read counts too (the unanswered questions are always read).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Want {
    pub counts: bool,
}

/// Where the records live.
pub(super) enum Backend {
    Sqlite {
        path: PathBuf,
        /// A read-only connection, opened on first use and dropped after a failed read.
        reader: Mutex<Option<Connection>>,
    },
    Postgres(Arc<postgres::Pg>),
}

impl Backend {
    /// Runs `read` on the SQLite reading connection, opening it if needed; a connection
    /// that failed is not kept.
    fn with_sqlite<T>(
        path: &Path,
        reader: &Mutex<Option<Connection>>,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut reader = reader.lock().unwrap_or_else(|e| e.into_inner());
        let conn = match reader.take() {
            Some(conn) => conn,
            None => schema::open_reader(path)?,
        };
        let result = read(&conn);
        if result.is_ok() {
            *reader = Some(conn);
        }
        result
    }

    fn snapshot(&self, days: u32, want: Want) -> Result<Snapshot, StoreError> {
        let since = now_ms() - i64::from(days) * 86_400_000;
        let mut snap = match self {
            Backend::Sqlite { path, reader } => Self::with_sqlite(path, reader, |conn| {
                sqlite::snapshot(conn, path, since, want)
            }),
            Backend::Postgres(pg) => pg.snapshot(since, want),
        }?;
        snap.days = days;
        Ok(snap)
    }

    fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        match self {
            Backend::Sqlite { path, reader } => {
                Self::with_sqlite(path, reader, |conn| sqlite::question_text(conn, path, id))
            }
            Backend::Postgres(pg) => pg.question_text(id),
        }
    }
}

/// Reads the question log. The bot's [`super::Store`] hands out its own
/// ([`super::Store::reader`]); the command line opens one that never creates, migrates
/// or writes anything. Cheap to clone.
#[derive(Clone)]
pub struct Reader {
    backend: Arc<Backend>,
    /// The longest a read of the file may take before [`StoreError::NotAnswering`]
    /// (a shared store's client has its own deadline); `None`: as long as it takes.
    timeout: Option<Duration>,
}

impl Reader {
    /// The SQLite file at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Reader, StoreError> {
        let path = path.into();
        let conn = schema::open_reader(&path)?;
        let backend = Backend::Sqlite {
            path,
            reader: Mutex::new(Some(conn)),
        };
        Ok(Reader::new(backend, None))
    }

    /// The shared PostgreSQL store at `url`.
    pub fn open_url(url: &str) -> Result<Reader, StoreError> {
        // The command line reads whole logs: a long deadline, still one.
        let pg = postgres::Pg::new(url, READER_TIMEOUT, READER_TIMEOUT)?;
        pg.check_schema()?;
        Ok(Reader::new(Backend::Postgres(Arc::new(pg)), None))
    }

    pub(super) fn new(backend: Backend, timeout: Option<Duration>) -> Reader {
        Reader {
            backend: Arc::new(backend),
            timeout,
        }
    }

    pub(super) fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Runs a read on a helper thread and waits at most the timeout: a file on a hung
    /// disk cannot be interrupted, but nobody waits for it.
    pub(super) fn within<T: Send + 'static>(
        &self,
        what: &'static str,
        read: impl FnOnce(&Backend) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let waited = match (self.timeout, &*self.backend) {
            (Some(waited), Backend::Sqlite { .. }) => waited,
            _ => return read(&self.backend),
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let backend = Arc::clone(&self.backend);
        std::thread::Builder::new()
            .name("factdesk-read".into())
            .spawn(move || {
                let _ = tx.send(read(&backend));
            })
            .map_err(|_| StoreError::NotAnswering { what, waited })?;
        rx.recv_timeout(waited)
            .unwrap_or(Err(StoreError::NotAnswering { what, waited }))
    }

    fn read(&self, days: u32, want: Want) -> Result<Snapshot, StoreError> {
        self.within("reading the question log", move |backend| {
            backend.snapshot(days, want)
        })
    }

    /// Counts and unanswered questions over the last `days` days (for stats).
    pub fn snapshot(&self, days: u32) -> Result<Snapshot, StoreError> {
        self.read(days, Want { counts: true })
    }

    /// The unanswered questions over the last `days` days, without counts.
    pub fn unanswered_questions(&self, days: u32) -> Result<Snapshot, StoreError> {
        self.read(days, Want::default())
    }

    /// The text of a logged question, if it is (still) in the log.
    pub fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        self.within("reading a question", move |backend| {
            backend.question_text(id)
        })
    }
}
