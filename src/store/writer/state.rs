//! What the writer shares with the store handles: what is committed, the health, the
//! watchdog on a call under way, and the closing deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::store::{now_ms, Health};

#[derive(Default)]
pub(super) struct State {
    pub(super) committed: u64,
    pub(super) health: Health,
    /// A call to the database under way: since when, and what it is.
    pub(super) busy: Option<(Instant, &'static str)>,
    /// Set by [`Shared::close`]: the writer stops retrying then.
    pub(super) close_by: Option<Instant>,
    /// The writer thread has returned.
    pub(super) finished: bool,
    /// Records whose write is under way, or whose last write ended without an answer:
    /// they may or may not be in the database.
    pub(super) unsure: u64,
}

/// What the writer shares with the store handles.
pub(crate) struct Shared {
    state: Mutex<State>,
    cond: Condvar,
    pub dropped: AtomicU64,
    /// The key user ids are hashed with, once known (set once: from the setting, or read
    /// from the database at start-up or when it first answers).
    pub key: OnceLock<[u8; 32]>,
    /// A call to the database taking longer than this counts as a failure in the health
    /// (the watchdog), while it goes on.
    stall: Duration,
}

impl Shared {
    pub fn new(stall: Duration) -> Self {
        Shared {
            state: Mutex::default(),
            cond: Condvar::new(),
            dropped: AtomicU64::new(0),
            key: OnceLock::new(),
            stall,
        }
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Waits until `done` holds, at most until `deadline`; whether it does.
    fn wait_until(&self, deadline: Instant, done: impl Fn(&State) -> bool) -> bool {
        let mut state = self.lock();
        while !done(&state) {
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

    pub fn wait_committed(&self, seq: u64, timeout: Duration) -> bool {
        self.wait_until(Instant::now() + timeout, |s| s.committed >= seq)
    }

    pub fn health(&self, queued: u64) -> Health {
        let state = self.lock();
        let mut health = Health {
            dropped: self.dropped.load(Ordering::Relaxed) + state.health.dropped,
            backlog: queued.saturating_sub(state.committed),
            hash_key_pending: self.key.get().is_none(),
            ..state.health.clone()
        };
        if let Some((since, what)) = state.busy {
            let waited = since.elapsed();
            if waited >= self.stall {
                // A hung database is a down one: the watchdog does not wait for the call to fail.
                let now = now_ms();
                let began = now - waited.as_millis() as i64;
                health.ok = false;
                health.last_error = Some(format!(
                    "the database is not answering ({what} has waited {:.1} s)",
                    waited.as_secs_f64()
                ));
                health.last_error_at = Some(now);
                health.failing_since = Some(health.failing_since.map_or(began, |f| f.min(began)));
            }
        }
        health
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

    /// Whether the database answered the writer's last call and none is hanging now:
    /// the answering path leaves a database that is down or hung alone.
    pub fn answering(&self) -> bool {
        let state = self.lock();
        state.health.ok
            && state
                .busy
                .is_none_or(|(since, _)| since.elapsed() < self.stall)
    }

    pub(super) fn committed(&self, seq: u64, rows: u64, lost: u64) {
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

    pub(super) fn purged(&self, rows: u64) {
        self.lock().health.purged += rows;
    }

    pub(super) fn set_busy(&self, what: Option<&'static str>) {
        self.lock().busy = what.map(|w| (Instant::now(), w));
    }

    /// Nothing is waiting and the database answers: the log is up to date now.
    pub(super) fn current(&self) {
        let mut state = self.lock();
        if state.health.ok {
            state.health.current_at = Some(now_ms());
        }
    }

    /// Tells the writer to stop by `deadline`; it writes what it can until then.
    pub fn close(&self, deadline: Instant) {
        let mut state = self.lock();
        state.close_by = Some(state.close_by.map_or(deadline, |d| d.min(deadline)));
    }

    pub(super) fn set_unsure(&self, records: u64) {
        self.lock().unsure = records;
    }

    /// Records not confirmed written that may be in the database all the same.
    pub fn unsure(&self) -> u64 {
        self.lock().unsure
    }

    pub fn close_by(&self) -> Option<Instant> {
        self.lock().close_by
    }

    /// Waits until the writer has returned, at most until `deadline`; whether it has.
    pub fn wait_finished(&self, deadline: Instant) -> bool {
        self.wait_until(deadline, |s| s.finished)
    }

    pub(super) fn finish(&self, lost: u64) {
        {
            let mut state = self.lock();
            state.finished = true;
            state.health.dropped += lost;
            state.busy = None;
        }
        self.cond.notify_all();
    }
}
