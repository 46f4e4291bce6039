//! The PostgreSQL back end: the same records, migrations and views as the SQLite file,
//! in a database every process shares (gateway shards, HTTP replicas, the command line).
//!
//! The driver is tokio-postgres with a deadpool pool, driven by a small runtime of the
//! store's own (one worker thread), so the store keeps one synchronous interface for the
//! writer thread and the command line, and an async one for the shared answering state
//! (cooldowns, answered-above memory) that the front ends await.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls};

use super::read::{
    Counts, EntryCount, EntryVotes, Snapshot, UnansweredRow, Want, MAX_UNANSWERED_ROWS, TOP_ENTRIES,
};
use super::writer::{Msg, Record, Sink, WriteError};
use super::{decline_text, schema, split_list, unix_ms, QuestionId, StoreError};

/// Connections a process keeps open at most.
const POOL_SIZE: usize = 8;
/// After a failed call on the answering path, the shared state is not tried for this
/// long (answers use the process's own memory meanwhile), so a database that is down
/// costs the answering path nothing; short, so that sharing resumes soon after.
const BACKOFF: Duration = Duration::from_secs(2);
/// Advisory lock key held while migrating: processes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x6661_6374_6465_736b; // "factdesk"

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

/// Why a call on the store's runtime returned no result.
pub(super) enum Stuck {
    /// No answer within the deadline: the connections are dropped.
    Timeout(Duration),
    /// The task itself failed (panicked or was cancelled).
    Task(String),
}

impl Stuck {
    fn text(&self) -> String {
        match self {
            Stuck::Timeout(limit) => format!("no answer within {:.1} s", limit.as_secs_f64()),
            Stuck::Task(e) => e.clone(),
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
                detail: e.to_string(),
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
                detail: e.to_string(),
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
            .map_err(|stuck| match stuck {
                Stuck::Timeout(waited) => StoreError::NotAnswering {
                    what: "the database",
                    waited,
                },
                Stuck::Task(detail) => StoreError::Postgres {
                    context: "running a database call",
                    target: self.target.clone(),
                    detail,
                },
            })
    }

    /// Runs `fut` on the store's runtime and waits for it, at most `limit`.
    pub(super) fn block_within<T: Send + 'static>(
        &self,
        limit: Duration,
        fut: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, Stuck> {
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
                Err(Stuck::Timeout(limit))
            }
            Err(e) => Err(Stuck::Task(e.to_string())),
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

    pub(super) fn error(&self, context: &'static str) -> impl Fn(Failure) -> StoreError + '_ {
        move |f| StoreError::Postgres {
            context,
            target: self.target.clone(),
            detail: f.0,
        }
    }

    /// Connects, migrates and returns the stored hash key, within `limit`.
    pub fn migrate(&self, limit: Duration) -> Result<[u8; 32], StoreError> {
        let pool = self.pool.clone();
        self.block_within(limit, async move { migrate(&pool).await })
            .map_err(|stuck| StoreError::Postgres {
                context: "migrating the database",
                target: self.target.clone(),
                detail: stuck.text(),
            })?
            .map_err(self.error("migrating the database"))
    }

    /// For readers: the schema is there and not from a newer build (nothing is created).
    pub fn check_schema(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        let found = self
            .block_on(async move {
                let client = pool.get().await?;
                let exists: bool = client
                    .query_one("SELECT to_regclass('factdesk_schema') IS NOT NULL", &[])
                    .await?
                    .get(0);
                if !exists {
                    return Ok::<_, Failure>(0);
                }
                let v: i32 = client
                    .query_one("SELECT coalesce(max(version), 0) FROM factdesk_schema", &[])
                    .await?
                    .get(0);
                Ok(v)
            })?
            .map_err(self.error("reading the schema version"))?;
        let known = schema::SCHEMA_VERSION as i32;
        let problem = if found == 0 {
            "no question log here yet: it is created when the bot runs (`factdesk serve`)"
                .to_string()
        } else if found > known {
            format!("written by a newer factdesk (schema version {found}, this one knows up to {known}): upgrade factdesk")
        } else {
            return Ok(());
        };
        Err(StoreError::Postgres {
            context: "opening the question log",
            target: self.target.clone(),
            detail: problem,
        })
    }

    pub fn snapshot(&self, since: i64, want: Want) -> Result<Snapshot, StoreError> {
        let pool = self.pool.clone();
        self.block_on(async move { snapshot(&pool, since, want).await })?
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
            Ok::<_, Failure>(row.map(|r| r.get(0)))
        })?
        .map_err(self.error("reading a question"))
    }

    /// Runs a call of the answering path on the store's runtime, within `timeout`;
    /// `None` when it failed, timed out, or the database is resting after a failure.
    pub async fn shared<T: Send + 'static>(
        &self,
        timeout: Duration,
        call: impl FnOnce(Pool) -> std::pin::Pin<Box<dyn Future<Output = Result<T, Failure>> + Send>>,
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
            Ok(Ok(Err(f))) => f.0,
            Err(e) => e.to_string(),
            Ok(Err(_)) => {
                self.forget_connections();
                format!("no answer within {} ms", timeout.as_millis())
            }
        };
        tracing::warn!(target = %self.target, error = %why, "shared state unavailable; using this process's memory for {} s", BACKOFF.as_secs());
        *self.resting_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + BACKOFF);
        None
    }
}

/// A database call that failed, as text (pool, connection or statement).
#[derive(Debug)]
pub(super) struct Failure(pub String, pub Option<SqlState>);

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
        let code = e.code().cloned();
        // The database's own message, when there is one, says more than the driver's.
        let text = match e.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => e.to_string(),
        };
        Failure(text, code)
    }
}

impl From<deadpool_postgres::PoolError> for Failure {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => Failure(other.to_string(), None),
        }
    }
}

/// The SQLite migrations in PostgreSQL's words: the same tables and columns.
pub(super) fn translate(sqlite: &str) -> String {
    static USER: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\buser\b").expect("valid regex"));
    let sql = sqlite
        .replace(
            "INTEGER PRIMARY KEY",
            "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        )
        .replace("INTEGER", "BIGINT")
        .replace("REAL", "DOUBLE PRECISION")
        .replace("BLOB", "BYTEA");
    // `user` is a reserved word in PostgreSQL.
    USER.replace_all(&sql, "\"user\"").into_owned()
}

async fn migrate(pool: &Pool) -> Result<[u8; 32], Failure> {
    let mut client = pool.get().await?;
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS factdesk_schema (version INTEGER NOT NULL)")
        .await
        .or_else(|e| {
            // Two processes creating it at once: one wins, the other sees it exists.
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let found: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM factdesk_schema", &[])
        .await?
        .get(0);
    let known = schema::SCHEMA_VERSION as i32;
    if found > known {
        return Err(Failure(
            format!(
                "the database was written by a newer factdesk (schema version {found}, this one knows up to {known}): upgrade factdesk"
            ),
            None,
        ));
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(&translate(sql)).await?;
        tracing::info!(version = i + 1, "question log schema migrated (PostgreSQL)");
    }
    if found < known {
        tx.execute("DELETE FROM factdesk_schema", &[]).await?;
        tx.execute(
            "INSERT INTO factdesk_schema (version) VALUES ($1)",
            &[&known],
        )
        .await?;
    }
    let fresh: [u8; 32] = super::random_bytes();
    tx.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        &[&schema::KEY_NAME, &&fresh[..]],
    )
    .await?;
    let key: Vec<u8> = tx
        .query_one(
            "SELECT value FROM settings WHERE name = $1",
            &[&schema::KEY_NAME],
        )
        .await?
        .get(0);
    tx.commit().await?;
    <[u8; 32]>::try_from(key.as_slice())
        .map_err(|_| Failure("the stored hash key is not 32 bytes".into(), None))
}

/// PostgreSQL text cannot hold NUL characters; nothing a person means is lost.
fn text(s: &str) -> String {
    s.replace('\0', "")
}

fn id(v: Option<u64>) -> Option<i64> {
    v.map(|v| v as i64)
}

const INSERT_QUESTIONS: &str = "INSERT INTO questions
    (qid, at, guild, channel, \"user\", question, status, decline, entry, suggested, report, confidence, micros)
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::text[], $12::float8[], $13::int8[])";

/// Questions as columns, for one `INSERT … SELECT FROM unnest(…)`: one round trip a batch.
#[derive(Default)]
struct Columns {
    qid: Vec<i64>,
    at: Vec<i64>,
    guild: Vec<Option<i64>>,
    channel: Vec<Option<i64>>,
    user: Vec<Option<String>>,
    question: Vec<String>,
    status: Vec<String>,
    decline: Vec<Option<String>>,
    entry: Vec<Option<String>>,
    suggested: Vec<String>,
    report: Vec<Option<String>>,
    confidence: Vec<f64>,
    micros: Vec<i64>,
}

/// A batch in the form the task on the store's runtime owns: questions as columns,
/// the other records as they are.
struct PgBatch {
    questions: Columns,
    others: Vec<Record>,
}

impl From<&[Msg]> for PgBatch {
    fn from(batch: &[Msg]) -> Self {
        let mut q = Columns::default();
        let mut others = Vec::new();
        for m in batch {
            match &m.record {
                Record::Question {
                    id: qid,
                    user,
                    q: log,
                } => {
                    q.qid.push(*qid);
                    q.at.push(unix_ms(log.at));
                    q.guild.push(id(log.guild));
                    q.channel.push(id(log.channel));
                    q.user.push(user.as_ref().map(|w| w.text().to_string()));
                    q.question.push(text(&log.question));
                    q.status.push(log.status.as_str().to_string());
                    q.decline
                        .push(log.decline.map(|d| decline_text(d).to_string()));
                    q.entry.push(log.entry.as_deref().map(text));
                    q.suggested.push(text(&log.suggested.join(",")));
                    q.report.push(log.report.as_deref().map(text));
                    q.confidence.push(f64::from(log.confidence));
                    q.micros
                        .push(log.matching.as_micros().min(i64::MAX as u128) as i64);
                }
                other => others.push(other.clone()),
            }
        }
        PgBatch {
            questions: q,
            others,
        }
    }
}

/// `committing` is set once COMMIT is sent: before that, a call cut off is surely rolled back.
async fn write_batch(
    pool: &Pool,
    batch: PgBatch,
    committing: Arc<AtomicBool>,
) -> Result<(), Failure> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let q = batch.questions;
    for record in &batch.others {
        match record {
            Record::Question { .. } => {}
            Record::Vote { user, vote } => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO votes (message, \"user\", qid, entry, up, at) VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (message, \"user\") DO UPDATE SET
                            up = excluded.up, at = excluded.at, entry = excluded.entry,
                            qid = coalesce(excluded.qid, votes.qid)
                         WHERE excluded.at >= votes.at",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &(vote.message as i64),
                        &user.text(),
                        &vote.question,
                        &text(&vote.entry),
                        &i64::from(vote.up),
                        &unix_ms(vote.at),
                    ],
                )
                .await?;
            }
            Record::Click { user, click } => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO clicks (at, guild, channel, \"user\", qid, question, entry) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .await?;
                tx.execute(
                    &stmt,
                    &[
                        &unix_ms(click.at),
                        &id(click.guild),
                        &id(click.channel),
                        &user.as_ref().map(|w| w.text()),
                        &click.question,
                        &click.asked.as_deref().map(text),
                        &text(&click.entry),
                    ],
                )
                .await?;
            }
            Record::Dismiss { cluster, by, at } => {
                tx.execute(
                    "INSERT INTO dismissed (cluster, at, by) VALUES ($1, $2, $3) ON CONFLICT (cluster) DO NOTHING",
                    &[cluster, at, &by.as_ref().map(|w| w.text())],
                )
                .await?;
            }
            Record::Alerted { cluster, at } => {
                tx.execute(
                    "INSERT INTO alerted (cluster, at) VALUES ($1, $2) ON CONFLICT (cluster) DO NOTHING",
                    &[cluster, at],
                )
                .await?;
            }
        }
    }
    if !q.qid.is_empty() {
        let stmt = tx.prepare_cached(INSERT_QUESTIONS).await?;
        tx.execute(
            &stmt,
            &[
                &q.qid,
                &q.at,
                &q.guild,
                &q.channel,
                &q.user,
                &q.question,
                &q.status,
                &q.decline,
                &q.entry,
                &q.suggested,
                &q.report,
                &q.confidence,
                &q.micros,
            ],
        )
        .await?;
    }
    committing.store(true, Ordering::SeqCst);
    tx.commit().await?;
    Ok(())
}

async fn purge(
    pool: &Pool,
    before: i64,
    shared_before: i64,
    limit: Duration,
) -> Result<u64, Failure> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // A purge may take longer than a write; the client's deadline still bounds it.
    tx.batch_execute(&format!(
        "SET LOCAL statement_timeout = {}",
        limit.as_millis().max(1)
    ))
    .await?;
    let mut rows = 0;
    for table in ["questions", "votes", "clicks"] {
        rows += tx
            .execute(&format!("DELETE FROM {table} WHERE at < $1"), &[&before])
            .await?;
    }
    // Shared answering state is only ever needed for minutes.
    for table in ["cooldowns", "recent_answers"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE at < $1"),
            &[&shared_before],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows)
}

/// The writer's sink: batches go through the pool.
pub(super) struct PgSink {
    pub pg: Arc<Pg>,
    /// Migrations have run (they run again after a failure, in case the database was replaced).
    pub ready: bool,
}

impl PgSink {
    fn error(&mut self, f: Failure) -> WriteError {
        // Class 22 (data exception) and 23 (integrity): the record itself is at fault.
        let permanent =
            f.1.as_ref()
                .is_some_and(|c| c.code().starts_with("22") || c.code().starts_with("23"));
        if !permanent {
            self.ready = false;
        }
        WriteError {
            text: format!("cannot write {}: {}", self.pg.target, f.0),
            permanent,
            reconnect: !permanent,
            // No SQLSTATE: the connection failed or timed out, perhaps after the commit.
            unsure: f.1.is_none(),
        }
    }
}

impl PgSink {
    fn call<T: Send + 'static>(
        &mut self,
        limit: Duration,
        fut: impl Future<Output = Result<T, Failure>> + Send + 'static,
    ) -> Result<T, WriteError> {
        match self.pg.block_within(limit, fut) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(f)) => Err(self.error(f)),
            Err(stuck) => Err(self.error(Failure(stuck.text(), None))),
        }
    }
}

impl Sink for PgSink {
    fn connected(&self) -> bool {
        self.ready
    }

    fn connect(&mut self, limit: Duration) -> Result<[u8; 32], String> {
        let key = self.pg.migrate(limit).map_err(|e| e.to_string())?;
        tracing::info!(target = %self.pg.target, "question log: PostgreSQL open for writing");
        self.ready = true;
        Ok(key)
    }

    fn write(&mut self, batch: &[Msg], limit: Duration) -> Result<(), WriteError> {
        let pool = self.pg.pool.clone();
        let owned = PgBatch::from(batch);
        let committing = Arc::new(AtomicBool::new(false));
        let sent = Arc::clone(&committing);
        let mut result = self.call(limit, async move { write_batch(&pool, owned, sent).await });
        if let Err(e) = &mut result {
            e.unsure &= committing.load(Ordering::SeqCst);
        }
        result
    }

    fn purge(&mut self, before: i64, limit: Duration) -> Result<u64, WriteError> {
        let pool = self.pg.pool.clone();
        let shared_before = super::now_ms() - 86_400_000;
        self.call(limit, async move {
            purge(&pool, before, shared_before, limit).await
        })
    }

    fn probe(&mut self, limit: Duration) -> Result<(), WriteError> {
        let pool = self.pg.pool.clone();
        self.call(limit, async move {
            let client = pool.get().await?;
            client.simple_query("SELECT 1").await?;
            Ok(())
        })
    }
}

async fn snapshot(pool: &Pool, since: i64, want: Want) -> Result<Snapshot, Failure> {
    let mut client = pool.get().await?;
    // Every figure from the same snapshot.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let n = |v: i64| v.max(0) as u64;
    let mut snap = Snapshot::default();
    if want.counts {
        let mut c = Counts::default();
        for r in tx
            .query(
                "SELECT status, count(*), count(*) FILTER (WHERE decline = 'small_talk')
                 FROM questions WHERE at >= $1 GROUP BY status",
                &[&since],
            )
            .await?
        {
            c.by_status
                .push((r.get(0), n(r.get::<_, i64>(1)), n(r.get::<_, i64>(2))));
        }
        let r = tx
            .query_one(
                "SELECT count(DISTINCT \"user\"), coalesce(avg(micros), 0)::float8 FROM questions WHERE at >= $1",
                &[&since],
            )
            .await?;
        (c.askers, c.mean_matching_micros) = (n(r.get(0)), r.get(1));
        c.clicks = n(tx
            .query_one("SELECT count(*) FROM clicks WHERE at >= $1", &[&since])
            .await?
            .get(0));
        c.top_entries = tx
            .query(
                "SELECT entry, count(*) AS n FROM questions
                 WHERE at >= $1 AND status = 'answered' AND entry IS NOT NULL
                 GROUP BY entry ORDER BY n DESC, entry COLLATE \"C\" LIMIT $2",
                &[&since, &TOP_ENTRIES],
            )
            .await?
            .iter()
            .map(|r| EntryCount {
                entry: r.get(0),
                count: n(r.get(1)),
            })
            .collect();
        c.votes = tx
            .query(
                "SELECT entry, count(*) FILTER (WHERE up <> 0) AS up, count(*) FILTER (WHERE up = 0) AS down
                 FROM votes WHERE at >= $1
                 GROUP BY entry ORDER BY down DESC, up DESC, entry COLLATE \"C\"",
                &[&since],
            )
            .await?
            .iter()
            .map(|r| EntryVotes {
                entry: r.get(0),
                up: n(r.get(1)),
                down: n(r.get(2)),
            })
            .collect();
        snap.counts = c;
    }
    snap.unanswered = tx
        .query(
            "SELECT q.at, q.\"user\", q.question, q.suggested,
                    (SELECT string_agg(c.entry, ',' ORDER BY c.id) FROM clicks c WHERE c.qid = q.qid)
             FROM questions q
             WHERE q.at >= $1
               AND (q.status = 'suggested' OR (q.status = 'declined' AND coalesce(q.decline, '') <> 'small_talk'))
             ORDER BY q.at DESC, q.id DESC
             LIMIT $2",
            &[&since, &MAX_UNANSWERED_ROWS],
        )
        .await?
        .iter()
        .map(|r| UnansweredRow {
            at: r.get(0),
            user: r.get(1),
            question: r.get(2),
            suggested: split_list(r.get(3)),
            clicked: split_list(r.get(4)),
        })
        .collect();
    let ids = |rows: Vec<tokio_postgres::Row>| -> HashSet<String> {
        rows.iter().map(|r| r.get(0)).collect()
    };
    snap.dismissed = ids(tx.query("SELECT cluster FROM dismissed", &[]).await?);
    snap.alerted = ids(tx.query("SELECT cluster FROM alerted", &[]).await?);
    tx.commit().await?;
    Ok(snap)
}

/// One cooldown step for a person (by user hash), atomically: when the last answer is
/// older than `period`, a new cooldown starts (`warns` 0); otherwise `warns` counts the
/// refused tries. Returns (start of the cooldown, warns).
pub(super) async fn cooldown(
    pool: Pool,
    user: String,
    now: i64,
    period: i64,
) -> Result<(i64, i64), Failure> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "INSERT INTO cooldowns AS c (\"user\", at, warns) VALUES ($1, $2, 0)
             ON CONFLICT (\"user\") DO UPDATE SET
                at = CASE WHEN c.at <= $2 - $3 THEN $2 ELSE c.at END,
                warns = CASE WHEN c.at <= $2 - $3 THEN 0 ELSE c.warns + 1 END
             RETURNING at, warns",
        )
        .await?;
    let row = client.query_one(&stmt, &[&user, &now, &period]).await?;
    Ok((row.get(0), row.get(1)))
}

/// The link of an answer given in `channel` to the question `key` since `since`.
pub(super) async fn earlier(
    pool: Pool,
    channel: i64,
    key: String,
    since: i64,
) -> Result<Option<String>, Failure> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT link FROM recent_answers WHERE channel = $1 AND question = $2 AND at > $3",
        )
        .await?;
    let row = client.query_opt(&stmt, &[&channel, &key, &since]).await?;
    Ok(row.map(|r| r.get(0)))
}

pub(super) async fn remember(
    pool: Pool,
    channel: i64,
    key: String,
    link: String,
    at: i64,
) -> Result<(), Failure> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "INSERT INTO recent_answers (channel, question, at, link) VALUES ($1, $2, $3, $4)
             ON CONFLICT (channel, question) DO UPDATE SET at = excluded.at, link = excluded.link",
        )
        .await?;
    client
        .execute(&stmt, &[&channel, &text(&key), &at, &text(&link)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_translate_types_and_quote_user() {
        let sql = translate(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, user TEXT, c REAL, v BLOB, PRIMARY KEY (message, user));",
        );
        assert_eq!(
            sql,
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, \"user\" TEXT, c DOUBLE PRECISION, v BYTEA, PRIMARY KEY (message, \"user\"));"
        );
    }

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
