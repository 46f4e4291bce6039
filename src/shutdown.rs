//! Bounded shutdown for `factdesk serve`: on SIGTERM (or Ctrl-C) the front end stops
//! taking requests and finishes those in flight while the question log keeps writing,
//! all within one grace (`FACTDESK_SHUTDOWN_GRACE`, default 5 s) counted from the
//! signal. Then the process exits and says how many records were written and lost,
//! whatever the database is doing: an orchestrator never has to SIGKILL it.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::store::{Closed, Store, StoreError};

/// The grace and, once the signal came, its deadline.
pub struct Grace {
    grace: Duration,
    deadline: watch::Sender<Option<Instant>>,
}

impl Grace {
    pub fn new(grace: Duration) -> Self {
        Grace {
            grace,
            deadline: watch::Sender::new(None),
        }
    }

    /// `FACTDESK_SHUTDOWN_GRACE`, in seconds (default 5).
    pub fn from_env() -> Result<Self, StoreError> {
        Ok(Grace::new(crate::store::shutdown_grace_from_env()?))
    }

    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// Completes on `signal`, starting the grace.
    pub fn on(
        &self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let deadline = self.deadline.clone();
        let grace = self.grace;
        async move {
            signal.await;
            deadline.send_if_modified(|d| {
                if d.is_none() {
                    *d = Some(Instant::now() + grace);
                    tracing::info!(grace = ?grace, "shutting down: finishing requests in flight and the question log");
                }
                true
            });
        }
    }

    /// [`Grace::on`] SIGTERM or Ctrl-C.
    pub fn signal(&self) -> impl Future<Output = ()> + Send + 'static {
        self.on(terminate())
    }

    /// Runs `serving` (which stops on [`Grace::signal`] and then finishes its requests)
    /// but no longer than the deadline; `None` when it was cut short.
    pub async fn bounded<T>(&self, serving: impl Future<Output = T>) -> Option<T> {
        let mut rx = self.deadline.subscribe();
        let cut = async move {
            let deadline = match rx.wait_for(Option::is_some).await {
                Ok(d) => d.expect("waited for a deadline"),
                Err(_) => return std::future::pending().await,
            };
            tokio::time::sleep_until(deadline.into()).await;
        };
        tokio::select! {
            result = serving => Some(result),
            () = cut => {
                tracing::warn!("requests still in flight at the end of the shutdown grace were cut short");
                None
            }
        }
    }

    /// The deadline: the signal's plus the grace, or (stopping for another reason) now plus the grace.
    pub fn deadline(&self) -> Instant {
        (*self.deadline.borrow()).unwrap_or_else(|| Instant::now() + self.grace)
    }

    /// Closes the question log by the deadline and reports what became of its records,
    /// in the log and on stderr.
    pub fn close(&self, store: &Store) -> Closed {
        let closed = store.close(self.deadline());
        if closed.lost == 0 {
            tracing::info!(written = closed.written, lost = 0, "question log closed");
        } else {
            tracing::warn!(
                written = closed.written,
                lost = closed.lost,
                "question log closed with records that were not written"
            );
        }
        eprintln!("{}", closed.summary());
        closed
    }
}

/// After the grace, what is left of the front end's runtime is dropped, not awaited: a
/// blocking call into a hung store must not hold the exit.
pub fn drop_runtime(runtime: tokio::runtime::Runtime) {
    runtime.shutdown_timeout(Duration::from_millis(100));
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn terminate() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
