//! The writer thread: takes records off the queue in batches, commits each batch in one
//! transaction, publishes what is committed, survives every write failure.

mod queue;
mod state;

use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{now_ms, StoreConfig, StoreError};

pub(crate) use queue::{Msg, Record, Who};
pub(crate) use state::Shared;

/// Niceness of the writer thread (Linux): 10 leaves the CPU to answering when both want it.
#[cfg(target_os = "linux")]
const WRITER_NICE: libc::c_int = 10;
/// The longest nap of an idle writer: at most this long before a first record is picked up.
const MAX_NAP: Duration = Duration::from_millis(50);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// A failed retention purge is tried again after this long.
const PURGE_RETRY: Duration = Duration::from_secs(600);

/// Where the writer commits batches: the SQLite file or PostgreSQL. Every call is
/// given `limit`, the longest it may take; a sink that cannot stop a call in time still
/// returns eventually, and the watchdog ([`Shared::health`]) reports it meanwhile.
pub(super) trait Sink: Send + 'static {
    /// Whether a connection is open (or, for a pool, believed usable).
    fn connected(&self) -> bool;
    /// Opens a connection (migrating when needed) and returns the stored hash key.
    fn connect(&mut self, limit: Duration) -> Result<[u8; 32], StoreError>;
    /// Commits the records in one transaction.
    fn write(&mut self, batch: &[Msg], limit: Duration) -> Result<(), WriteError>;
    /// Removes questions, votes and clicks older than `before` (unix ms); rows removed.
    fn purge(&mut self, before: i64, limit: Duration) -> Result<u64, WriteError>;
    /// A cheap round trip while idle, so that a database that stops answering is noticed
    /// without waiting for a record to write. `Ok` when there is nothing to ask.
    fn probe(&mut self, _limit: Duration) -> Result<(), WriteError> {
        Ok(())
    }
}

/// A failed write, classified for the writer.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub(super) struct WriteError {
    /// What went wrong, as a moderator reads it.
    pub error: StoreError,
    /// No retry will fix it: the batch is written record by record, the bad ones dropped.
    pub permanent: bool,
    /// The connection is dropped and a new one opened before the next try.
    pub reconnect: bool,
    /// The answer was lost, not the write: it may have been committed all the same.
    pub unsure: bool,
}

pub(super) fn spawn(
    config: StoreConfig,
    sink: Box<dyn Sink>,
    rx: Receiver<Msg>,
    shared: Arc<Shared>,
) -> JoinHandle<()> {
    if sink.connected() {
        let mut state = shared.lock();
        state.health.ok = true;
        state.health.current_at = Some(now_ms());
    }
    std::thread::Builder::new()
        .name("factdesk-store".into())
        .spawn(move || {
            lower_priority();
            let finish = Arc::clone(&shared);
            // Reports its end even if a sink panics, so that closing never waits in vain.
            struct Finished(Arc<Shared>, u64);
            impl Drop for Finished {
                fn drop(&mut self) {
                    self.0.finish(self.1);
                }
            }
            let mut done = Finished(finish, 0);
            done.1 = Writer::new(config, sink, shared).run(rx);
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
    /// When the database last answered a call (for the idle probe).
    last_answer: Instant,
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
            last_answer: Instant::now(),
            last_logged: None,
            nap: config_linger,
        }
    }

    /// Runs until the store closes; returns the records it could not write.
    fn run(mut self, rx: Receiver<Msg>) -> u64 {
        let mut closed_at: Option<Instant> = None;
        loop {
            let closed = self.gather(&rx);
            if closed_at.is_none() && (closed || self.shared.close_by().is_some()) {
                closed_at = Some(Instant::now());
            }
            let due = self.retry_at.is_none_or(|t| Instant::now() >= t);
            if due && (!self.batch.is_empty() || Instant::now() >= self.next_purge) {
                self.work();
            } else if due && self.batch.is_empty() && closed_at.is_none() {
                self.probe();
            }
            if let Some(since) = closed_at {
                if self.batch.is_empty() && closed {
                    return 0;
                }
                let deadline = self
                    .shared
                    .close_by()
                    .unwrap_or(since + self.config.shutdown_grace);
                if Instant::now() >= deadline {
                    // Whatever is still queued is lost with the batch held.
                    let lost = self.batch.len() as u64 + rx.try_iter().count() as u64;
                    tracing::error!(
                        lost,
                        "question log: stopping with records that could not be written"
                    );
                    return lost;
                }
                let wait = self.retry_at.map_or(Duration::ZERO, |t| {
                    t.saturating_duration_since(Instant::now())
                });
                std::thread::sleep(
                    wait.min(Duration::from_millis(50))
                        .min(deadline.saturating_duration_since(Instant::now())),
                );
            }
        }
    }

    /// The longest the next call may take: the call timeout, cut short by a closing store.
    fn limit(&self, timeout: Duration) -> Duration {
        match self.shared.close_by() {
            Some(deadline) => timeout
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(1)),
            None => timeout,
        }
    }

    /// Runs one call to the database with the watchdog on.
    fn call<T>(&mut self, what: &'static str, f: impl FnOnce(&mut dyn Sink) -> T) -> T {
        self.shared.set_busy(Some(what));
        let result = f(self.sink.as_mut());
        self.shared.set_busy(None);
        result
    }

    /// Fills the batch from the queue; true when the queue is closed and empty.
    fn gather(&mut self, rx: &Receiver<Msg>) -> bool {
        let max = self.config.max_batch.max(1);
        if self.batch.len() >= max {
            // Holding a full batch for a retry: let the queue take the strain.
            let wait = self.retry_at.map_or(Duration::ZERO, |t| {
                t.saturating_duration_since(Instant::now())
            });
            std::thread::sleep(wait.min(Duration::from_millis(50)));
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
            // Short naps: a closing store is noticed at once.
            std::thread::sleep(until.min(MAX_NAP));
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
        if self.batch.is_empty() && self.retry_at.is_none() {
            self.shared.current();
        }
        closed
    }

    /// While idle, asks the database now and then whether it still answers.
    fn probe(&mut self) {
        if !self.sink.connected() {
            return self.work();
        }
        if self.last_answer.elapsed() < self.config.probe {
            return;
        }
        let limit = self.limit(self.config.timeout);
        match self.call("a check", |s| s.probe(limit)) {
            Ok(()) => {
                self.last_answer = Instant::now();
                self.succeeded();
            }
            Err(e) => self.failed(&e.to_string()),
        }
    }

    fn work(&mut self) {
        if !self.sink.connected() {
            let limit = self.limit(self.config.timeout);
            match self.call("connecting", |s| s.connect(limit)) {
                Ok(key) => {
                    if self.shared.key.set(key).is_ok() {
                        tracing::info!("question log: the deployment's hash key is read; records kept meanwhile use it");
                    }
                    tracing::info!("question log: database writable again")
                }
                Err(e) => return self.failed(&e.to_string()),
            }
        }
        let Some(key) = self.shared.key.get().copied() else {
            // Only when FACTDESK_HASH_KEY is unset and the database gave no key: never expected.
            return self.failed("the user hash key could not be read from the database");
        };
        for m in &mut self.batch {
            m.record.resolve(&key);
        }
        self.last_answer = Instant::now();
        if Instant::now() >= self.next_purge {
            match self.purge() {
                Ok(()) => self.next_purge = Instant::now() + DAY,
                Err(e) => {
                    self.next_purge = Instant::now() + PURGE_RETRY;
                    if self.batch.is_empty() || e.reconnect {
                        return self.failed(&e.to_string());
                    }
                    tracing::warn!(error = %e, "question log: could not purge old records; trying again later");
                }
            }
        }
        if self.batch.is_empty() {
            return self.succeeded();
        }
        let limit = self.limit(self.config.timeout);
        let batch = std::mem::take(&mut self.batch);
        self.shared.set_unsure(batch.len() as u64);
        let result = self.call("a write", |s| s.write(&batch, limit));
        let unsure = match &result {
            Err(e) if e.unsure => batch.len() as u64,
            _ => 0,
        };
        self.shared.set_unsure(unsure);
        self.batch = batch;
        match result {
            Ok(()) => {
                let seq = self.batch.last().map_or(0, |m| m.seq);
                let rows = self.batch.len() as u64;
                self.batch.clear();
                self.shared.committed(seq, rows, 0);
                self.succeeded();
            }
            Err(e) if e.permanent => {
                tracing::warn!(error = %e, "question log: a batch was refused; writing its records one by one");
                let (mut written, mut lost) = (0, 0);
                let batch = std::mem::take(&mut self.batch);
                for (i, m) in batch.iter().enumerate() {
                    let limit = self.limit(self.config.timeout);
                    match self.call("a write", |s| s.write(std::slice::from_ref(m), limit)) {
                        Ok(()) => written += 1,
                        Err(e) if e.permanent => {
                            tracing::warn!(error = %e, "question log: a record could not be written and was dropped");
                            lost += 1;
                        }
                        Err(e) => {
                            // Those already written are acknowledged; the rest wait.
                            let seq = i.checked_sub(1).map_or(0, |p| batch[p].seq);
                            if i > 0 {
                                self.shared.committed(seq, written, lost);
                            }
                            self.batch = batch.into_iter().skip(i).collect();
                            return self.failed(&e.to_string());
                        }
                    }
                }
                let seq = batch.last().map_or(0, |m| m.seq);
                self.shared.committed(seq, written, lost);
                self.succeeded();
            }
            Err(e) => self.failed(&e.to_string()),
        }
    }

    fn purge(&mut self) -> Result<(), WriteError> {
        let days = self.config.retention_days;
        if days == 0 {
            return Ok(());
        }
        let before = now_ms() - i64::from(days) * 86_400_000;
        // A purge may delete many rows: longer than a write, still bounded.
        let limit = self.limit(self.config.timeout.max(Duration::from_secs(1)) * 10);
        let rows = self.call("a purge", |s| s.purge(before, limit))?;
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
        self.last_answer = Instant::now();
        let mut state = self.shared.lock();
        state.health.ok = true;
        state.health.failing_since = None;
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
        // Capped low: writing resumes soon after the database is back, whatever the outage.
        self.delay = (self.delay * 2).min(self.config.max_retry);
    }
}
