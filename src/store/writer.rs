//! The writer thread: takes records off the queue in batches, commits each batch in one
//! transaction, publishes what is committed, survives every write failure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{now_ms, Click, Health, QuestionId, QuestionLog, StoreConfig, Vote};

/// Niceness of the writer thread (Linux): 10 leaves the CPU to answering when both want it.
#[cfg(target_os = "linux")]
const WRITER_NICE: libc::c_int = 10;
/// The longest nap of an idle writer: at most this long before a first record is picked up.
const MAX_NAP: Duration = Duration::from_millis(50);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// A failed retention purge is tried again after this long.
const PURGE_RETRY: Duration = Duration::from_secs(600);

#[derive(Clone)]
pub(super) enum Record {
    Question {
        id: QuestionId,
        user: Option<String>,
        q: QuestionLog,
    },
    Vote {
        user: String,
        vote: Vote,
    },
    Click {
        user: Option<String>,
        click: Click,
    },
    Dismiss {
        cluster: String,
        by: Option<String>,
        at: i64,
    },
    Alerted {
        cluster: String,
        at: i64,
    },
}

pub(super) struct Msg {
    pub seq: u64,
    pub record: Record,
}

#[derive(Default)]
struct State {
    committed: u64,
    health: Health,
}

/// What the writer shares with the store handles.
#[derive(Default)]
pub(super) struct Shared {
    state: Mutex<State>,
    cond: Condvar,
    pub dropped: AtomicU64,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    pub fn wait_committed(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        while state.committed < seq {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = match self.cond.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }

    pub fn health(&self, queued: u64) -> Health {
        let state = self.lock();
        Health {
            dropped: self.dropped.load(Ordering::Relaxed) + state.health.dropped,
            backlog: queued.saturating_sub(state.committed),
            ..state.health.clone()
        }
    }

    pub fn fail(&self, error: &str) {
        let now = now_ms();
        let mut state = self.lock();
        let h = &mut state.health;
        h.ok = false;
        h.last_error = Some(error.to_string());
        h.last_error_at = Some(now);
        h.failing_since.get_or_insert(now);
    }

    fn committed(&self, seq: u64, rows: u64, lost: u64) {
        {
            let mut state = self.lock();
            state.committed = state.committed.max(seq);
            let h = &mut state.health;
            h.ok = true;
            h.failing_since = None;
            h.last_commit_at = Some(now_ms());
            h.written += rows;
            h.dropped += lost;
        }
        self.cond.notify_all();
    }

    fn purged(&self, rows: u64) {
        self.lock().health.purged += rows;
    }
}

/// Where the writer commits batches: the SQLite file or PostgreSQL.
pub(super) trait Sink: Send + 'static {
    /// Whether a connection is open (or, for a pool, believed usable).
    fn connected(&self) -> bool;
    /// Opens a connection (migrating when needed); the error is a moderator's sentence.
    fn connect(&mut self) -> Result<(), String>;
    /// Commits the records in one transaction.
    fn write(&mut self, batch: &[Msg]) -> Result<(), WriteError>;
    /// Removes questions, votes and clicks older than `before` (unix ms); rows removed.
    fn purge(&mut self, before: i64) -> Result<u64, WriteError>;
}

/// A failed write, classified for the writer.
#[derive(Debug)]
pub(super) struct WriteError {
    /// What a moderator reads.
    pub text: String,
    /// No retry will fix it: the batch is written record by record, the bad ones dropped.
    pub permanent: bool,
    /// The connection is dropped and a new one opened before the next try.
    pub reconnect: bool,
}

pub(super) fn spawn(
    config: StoreConfig,
    sink: Box<dyn Sink>,
    rx: Receiver<Msg>,
    shared: Arc<Shared>,
) -> JoinHandle<()> {
    if sink.connected() {
        shared.lock().health.ok = true;
    }
    std::thread::Builder::new()
        .name("factdesk-store".into())
        .spawn(move || {
            lower_priority();
            Writer::new(config, sink, shared).run(rx)
        })
        .expect("spawning the store writer thread")
}

/// Logging is background work: on a busy machine the answering threads come first.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the current thread; failure only leaves the default priority.
        let result = unsafe {
            libc::setpriority(
                libc::PRIO_PROCESS,
                libc::gettid() as libc::id_t,
                WRITER_NICE,
            )
        };
        if result != 0 {
            tracing::debug!("question log: could not lower the writer thread's priority");
        }
    }
}

struct Writer {
    config: StoreConfig,
    sink: Box<dyn Sink>,
    shared: Arc<Shared>,
    batch: Vec<Msg>,
    retry_at: Option<Instant>,
    delay: Duration,
    next_purge: Instant,
    last_logged: Option<(String, Instant)>,
    /// How long to sleep before looking at the queue again.
    nap: Duration,
}

impl Writer {
    fn new(config: StoreConfig, sink: Box<dyn Sink>, shared: Arc<Shared>) -> Self {
        let delay = config.retry;
        let config_linger = config.linger.max(Duration::from_micros(100));
        let retry_at = (!sink.connected()).then(|| Instant::now() + delay);
        Writer {
            config,
            sink,
            shared,
            batch: Vec::new(),
            retry_at,
            delay,
            next_purge: Instant::now(),
            last_logged: None,
            nap: config_linger,
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        let mut closed_at: Option<Instant> = None;
        loop {
            if closed_at.is_none() {
                closed_at = self.gather(&rx).then(Instant::now);
            }
            let due = self.retry_at.is_none_or(|t| Instant::now() >= t);
            if due && (!self.batch.is_empty() || Instant::now() >= self.next_purge) {
                self.work();
            }
            if let Some(since) = closed_at {
                if self.batch.is_empty() {
                    return;
                }
                if since.elapsed() >= self.config.shutdown_grace {
                    tracing::error!(
                        lost = self.batch.len(),
                        "question log: stopping with records that could not be written"
                    );
                    return;
                }
                std::thread::sleep(
                    self.retry_at
                        .map_or(Duration::ZERO, |t| {
                            t.saturating_duration_since(Instant::now())
                        })
                        .min(Duration::from_millis(100)),
                );
            }
        }
    }

    /// Fills the batch from the queue; true when the queue is closed and empty.
    fn gather(&mut self, rx: &Receiver<Msg>) -> bool {
        let max = self.config.max_batch.max(1);
        if self.batch.len() >= max {
            // Holding a full batch for a retry: let the queue take the strain.
            let wait = self.retry_at.map_or(Duration::ZERO, |t| {
                t.saturating_duration_since(Instant::now())
            });
            std::thread::sleep(wait.min(Duration::from_secs(1)));
            return false;
        }
        // Poll instead of blocking on the queue: a sender then never has to wake the writer,
        // so queueing costs the answering path no system call. Naps grow while idle.
        let now = Instant::now();
        let until = match self.retry_at {
            Some(t) => t.saturating_duration_since(now),
            None if self.batch.is_empty() => {
                self.nap.min(self.next_purge.saturating_duration_since(now))
            }
            None => Duration::ZERO,
        };
        if !until.is_zero() {
            std::thread::sleep(until);
        }
        let before = self.batch.len();
        let mut closed = false;
        while self.batch.len() < max {
            match rx.try_recv() {
                Ok(m) => self.batch.push(m),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        self.nap = if self.batch.len() > before {
            self.config.linger.max(Duration::from_micros(100))
        } else {
            (self.nap * 2).min(MAX_NAP)
        };
        closed
    }

    fn work(&mut self) {
        if !self.sink.connected() {
            match self.sink.connect() {
                Ok(()) => tracing::info!("question log: database writable again"),
                Err(e) => return self.failed(&e),
            }
        }
        if Instant::now() >= self.next_purge {
            match self.purge() {
                Ok(()) => self.next_purge = Instant::now() + DAY,
                Err(e) => {
                    self.next_purge = Instant::now() + PURGE_RETRY;
                    if self.batch.is_empty() || e.reconnect {
                        return self.failed(&e.text);
                    }
                    tracing::warn!(error = %e.text, "question log: could not purge old records; trying again later");
                }
            }
        }
        if self.batch.is_empty() {
            return self.succeeded();
        }
        match self.sink.write(&self.batch) {
            Ok(()) => {
                let seq = self.batch.last().map_or(0, |m| m.seq);
                let rows = self.batch.len() as u64;
                self.batch.clear();
                self.shared.committed(seq, rows, 0);
                self.succeeded();
            }
            Err(e) if e.permanent => {
                tracing::warn!(error = %e.text, "question log: a batch was refused; writing its records one by one");
                let (mut written, mut lost) = (0, 0);
                for m in &self.batch {
                    match self.sink.write(std::slice::from_ref(m)) {
                        Ok(()) => written += 1,
                        Err(e) if e.permanent => {
                            tracing::warn!(error = %e.text, "question log: a record could not be written and was dropped");
                            lost += 1;
                        }
                        Err(e) => return self.failed(&e.text),
                    }
                }
                let seq = self.batch.last().map_or(0, |m| m.seq);
                self.batch.clear();
                self.shared.committed(seq, written, lost);
                self.succeeded();
            }
            Err(e) => self.failed(&e.text),
        }
    }

    fn purge(&mut self) -> Result<(), WriteError> {
        let days = self.config.retention_days;
        if days == 0 {
            return Ok(());
        }
        let before = now_ms() - i64::from(days) * 86_400_000;
        let rows = self.sink.purge(before)?;
        if rows > 0 {
            tracing::info!(rows, days, "question log: purged old records");
            self.shared.purged(rows);
        }
        Ok(())
    }

    fn succeeded(&mut self) {
        if self.retry_at.is_some() {
            tracing::info!("question log: writing again");
        }
        self.retry_at = None;
        self.delay = self.config.retry;
        self.last_logged = None;
        self.shared.lock().health.ok = true;
    }

    fn failed(&mut self, text: &str) {
        self.shared.fail(text);
        // Log when the problem changes, and once a minute while it lasts.
        let repeat = matches!(&self.last_logged, Some((last, at)) if last == text && at.elapsed() < Duration::from_secs(60));
        if !repeat {
            tracing::error!(error = %text, backlog = self.batch.len(), retry_in = ?self.delay, "question log: write failed; answering goes on, retrying");
            self.last_logged = Some((text.to_string(), Instant::now()));
        }
        self.retry_at = Some(Instant::now() + self.delay);
        self.delay = (self.delay * 2).min(self.config.max_retry);
    }
}
