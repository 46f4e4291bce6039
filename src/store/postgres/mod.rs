//! The PostgreSQL back end: the same records, migrations and views as the SQLite file,
//! in a database every process shares (gateway shards, HTTP replicas, the command line).
//!
//! The driver is tokio-postgres with a deadpool pool, driven by a small runtime of the
//! store's own (one worker thread), so the store keeps one synchronous interface for the
//! writer thread and the command line, and an async one for the shared answering state
//! (cooldowns, answered-above memory) that the front ends await.
//!
//! The schema is PostgreSQL's own ([`migrate`]), the same tables and columns as the file's.

mod migrate;
mod read;
mod shared;
mod write;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

use super::read::{Snapshot, Want};
use super::{QuestionId, StoreError};

pub(super) use shared::{cooldown, earlier, remember};
pub(super) use write::PgSink;

/// Connections a process keeps open at most.
const POOL_SIZE: usize = 8;
/// After a failed call on the answering path, the shared state is not tried for this
/// long (answers use the process's own memory meanwhile), so a database that is down
/// costs the answering path nothing; short, so that sharing resumes soon after.
const BACKOFF: Duration = Duration::from_secs(2);

/// A connection pool to one database, with the runtime that drives it.
pub(super) struct Pg {
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    pool: Pool,
    /// `host:port/dbname`, for messages (never the password).
    target: String,
    /// Until when the answering path leaves the database alone after a failure.
    resting_until: Mutex<Option<Instant>>,
    /// The longest a read may take (moderator views, drafts, the command line).
    read_timeout: Duration,
    /// Set when the store closes: every call under way ends by then.
    closing: Arc<Mutex<Option<Instant>>>,
}

/// Why a call to the database failed.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The server refused, or the connection failed.
    #[error("{}", driver_text(.0))]
    Driver(#[source] tokio_postgres::Error),
    /// No connection could be had from the pool.
    #[error(transparent)]
    Pool(deadpool_postgres::PoolError),
    /// No answer within the deadline: the connections are dropped.
    #[error("no answer within {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
    /// The task running the call failed (panicked or was cancelled).
    #[error(transparent)]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Start(#[from] std::io::Error),
    #[error(transparent)]
    Build(#[from] deadpool_postgres::BuildError),
    #[error("written by a newer factdesk (schema version {found}, this one knows up to {known}): upgrade factdesk")]
    TooNew { found: i32, known: i32 },
    #[error("no question log here yet: it is created when the bot runs (`factdesk serve`)")]
    NoSchema,
    #[error("the stored hash key is not 32 bytes")]
    BadKey,
}

/// The database's own message, when there is one, says more than the driver's.
fn driver_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        PgError::Driver(e)
    }
}

impl From<deadpool_postgres::PoolError> for PgError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => PgError::Driver(e),
            other => PgError::Pool(other),
        }
    }
}

impl PgError {
    /// The server's SQLSTATE; `None` when it gave no answer (or none was asked).
    fn code(&self) -> Option<&SqlState> {
        match self {
            PgError::Driver(e) => e.code(),
            _ => None,
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // A store may be dropped inside another runtime, where blocking is not allowed.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn setting_error(value: &str) -> StoreError {
    StoreError::Setting {
        name: "FACTDESK_DATABASE_URL",
        expected: "a PostgreSQL URL such as postgres://user@127.0.0.1:5432/factdesk",
        value: redact_url(value),
    }
}

/// The URL without its password.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("postgresql://{host}:{port}/{db}")
}

impl Pg {
    /// A pool for `url`; connects lazily (a database that is down does not stop start-up).
    /// `timeout` bounds connecting and the writer's calls, `read_timeout` reads; the
    /// server is asked to cancel any statement running longer than `read_timeout` too.
    pub fn new(url: &str, timeout: Duration, read_timeout: Duration) -> Result<Pg, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|_| setting_error(url))?;
        config.connect_timeout(timeout);
        config.application_name("factdesk");
        let statement_ms = read_timeout.max(timeout).as_millis().max(1);
        config.options(format!("-c statement_timeout={statement_ms}"));
        // A server that vanishes without closing the connection (a crash, a cut network)
        // is noticed by the kernel, so stuck connections do not pile up.
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(5));
        config.keepalives_interval(Duration::from_secs(1));
        config.keepalives_retries(3);
        config.tcp_user_timeout(Duration::from_secs(10));
        let target = describe(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("factdesk-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres {
                context: "starting the database client",
                target: target.clone(),
                source: e.into(),
            })?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .build()
            .map_err(|e| StoreError::Postgres {
                context: "starting the connection pool",
                target: target.clone(),
                source: e.into(),
            })?;
        Ok(Pg {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            pool,
            target,
            resting_until: Mutex::new(None),
            read_timeout,
            closing: Arc::default(),
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs a read on the store's runtime and waits for it (from a plain thread), at
    /// most the read timeout.
    pub(super) fn block_on<T: Send + 'static>(
        &self,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.block_within(self.read_timeout, fut)
            .map_err(|e| match e {
                PgError::Timeout(waited) => StoreError::NotAnswering {
                    what: "the database",
                    waited,
                },
                e => self.error("running a database call")(e),
            })
    }

    /// Runs `fut` on the store's runtime and waits for it, at most `limit`.
    pub(super) fn block_within<T: Send + 'static>(
        &self,
        limit: Duration,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgError> {
        // The deadline is kept inside the task, so the call (and its connection) is
        // dropped there; a store that closes meanwhile brings it forward.
        let closing = Arc::clone(&self.closing);
        let task = self.handle.spawn(async move {
            let until = Instant::now() + limit;
            let mut fut = std::pin::pin!(fut);
            loop {
                let closing = *closing.lock().unwrap_or_else(|e| e.into_inner());
                let cut = closing.map_or(until, |c| c.min(until));
                let left = cut.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                let step = left.min(Duration::from_millis(50));
                if let Ok(value) = tokio::time::timeout(step, fut.as_mut()).await {
                    return Some(value);
                }
            }
        });
        match self.handle.block_on(task) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => {
                self.forget_connections();
                Err(PgError::Timeout(limit))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every call under way or to come ends by `deadline` (the store is closing).
    pub fn close_by(&self, deadline: Instant) {
        let mut closing = self.closing.lock().unwrap_or_else(|e| e.into_inner());
        *closing = Some(closing.map_or(deadline, |c| c.min(deadline)));
    }

    /// Drops the idle connections: after a call that got no answer, the pool's other
    /// connections to the same server are as likely stuck, and a new one is cheap.
    fn forget_connections(&self) {
        self.pool.retain(|_, _| false);
    }

    pub(super) fn error(&self, context: &'static str) -> impl Fn(PgError) -> StoreError + '_ {
        move |source| StoreError::Postgres {
            context,
            target: self.target.clone(),
            source,
        }
    }

    /// Connects, migrates and returns the stored hash key, within `limit`.
    pub fn migrate(&self, limit: Duration) -> Result<[u8; 32], StoreError> {
        let pool = self.pool.clone();
        self.block_within(limit, async move { migrate::migrate(&pool).await })
            .and_then(|r| r)
            .map_err(self.error("migrating the database"))
    }

    /// For readers: the schema is there and not from a newer build (nothing is created).
    pub fn check_schema(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let found = self
            .block_on(async move { migrate::version(&pool.get().await?).await })?
            .map_err(self.error("reading the schema version"))?;
        let known = migrate::SCHEMA_VERSION;
        let problem = if found == 0 {
            PgError::NoSchema
        } else if found > known {
            PgError::TooNew { found, known }
        } else {
            return Ok(());
        };
        Err(self.error("opening the question log")(problem))
    }

    pub fn snapshot(&self, since: i64, want: Want) -> Result<Snapshot, StoreError> {
        let pool = self.pool.clone();
        self.block_on(async move { read::snapshot(&pool, since, want).await })?
            .map_err(self.error("reading the question log"))
    }

    pub(super) fn pool(&self) -> Pool {
        self.pool.clone()
    }

    pub fn question_text(&self, id: QuestionId) -> Result<Option<String>, StoreError> {
        let pool = self.pool.clone();
        self.block_on(async move {
            let client = pool.get().await?;
            let row = client
                .query_opt(
                    "SELECT question FROM questions WHERE qid = $1 LIMIT 1",
                    &[&id],
                )
                .await?;
            Ok::<_, PgError>(row.map(|r| r.get(0)))
        })?
        .map_err(self.error("reading a question"))
    }

    /// Runs a call of the answering path on the store's runtime, within `timeout`;
    /// `None` when it failed, timed out, or the database is resting after a failure.
    pub async fn shared<T: Send + 'static>(
        &self,
        timeout: Duration,
        call: impl FnOnce(Pool) -> std::pin::Pin<Box<dyn Future<Output = Result<T, PgError>> + Send>>,
    ) -> Option<T> {
        {
            let mut resting = self.resting_until.lock().unwrap_or_else(|e| e.into_inner());
            match *resting {
                Some(until) if Instant::now() < until => return None,
                Some(_) => *resting = None,
                None => {}
            }
        }
        let fut = call(self.pool.clone());
        // The timeout runs inside the task, so a call without an answer is dropped there.
        let task = self
            .handle
            .spawn(async move { tokio::time::timeout(timeout, fut).await });
        let why = match task.await {
            Ok(Ok(Ok(value))) => return Some(value),
            Ok(Ok(Err(e))) => e,
            Err(e) => PgError::Task(e),
            Ok(Err(_)) => {
                self.forget_connections();
                PgError::Timeout(timeout)
            }
        };
        tracing::warn!(target = %self.target, error = %why, "shared state unavailable; using this process's memory for {} s", BACKOFF.as_secs());
        *self.resting_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + BACKOFF);
        None
    }
}

/// PostgreSQL text cannot hold NUL characters; nothing a person means is lost.
fn text(s: &str) -> String {
    s.replace('\0', "")
}

fn id(v: Option<u64>) -> Option<i64> {
    v.map(|v| v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            redact_url("postgres://fd:s3cret@db:5432/x"),
            "postgres://fd:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://fd@db/x"), "postgres://fd@db/x");
        let config: tokio_postgres::Config = "postgres://fd:pw@127.0.0.1:5433/log".parse().unwrap();
        assert_eq!(describe(&config), "postgresql://127.0.0.1:5433/log");
    }
}
