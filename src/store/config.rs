//! How to open the store: paths, the shared database, retention, deadlines.

use std::path::PathBuf;
use std::time::Duration;

use super::StoreError;

/// Where the database lives unless `FACTDESK_DB` says otherwise.
pub const DEFAULT_PATH: &str = "factdesk.db";
/// Days questions, votes and clicks are kept unless `FACTDESK_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

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

#[cfg(test)]
mod tests {
    use super::seconds;
    use std::time::Duration;

    #[test]
    fn durations_are_read_in_seconds() {
        assert_eq!(seconds("X", "5".into()).unwrap(), Duration::from_secs(5));
        assert_eq!(
            seconds("X", "0.5s".into()).unwrap(),
            Duration::from_millis(500)
        );
        assert!(seconds("X", "soon".into()).is_err());
        assert!(seconds("X", "-1".into()).is_err());
    }
}
