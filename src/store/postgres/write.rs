//! The writer's sink on PostgreSQL: batches through the pool, questions as columns in
//! one statement, and the daily purge.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

use super::{id, text, Pg, PgError};
use crate::store::writer::{Msg, Record, Sink, WriteError};
use crate::store::{decline_text, now_ms, unix_ms, StoreError};

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
) -> Result<(), PgError> {
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
) -> Result<u64, PgError> {
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
pub(crate) struct PgSink {
    pub pg: Arc<Pg>,
    /// Migrations have run (they run again after a failure, in case the database was replaced).
    pub ready: bool,
}

impl PgSink {
    fn error(&mut self, e: PgError) -> WriteError {
        // Class 22 (data exception) and 23 (integrity): the record itself is at fault.
        let code = e.code().map(SqlState::code);
        let permanent = code.is_some_and(|c| c.starts_with("22") || c.starts_with("23"));
        if !permanent {
            self.ready = false;
        }
        WriteError {
            // No SQLSTATE: the connection failed or timed out, perhaps after the commit.
            unsure: code.is_none(),
            error: self.pg.error("writing the question log")(e),
            permanent,
            reconnect: !permanent,
        }
    }
}

impl PgSink {
    fn call<T: Send + 'static>(
        &mut self,
        limit: Duration,
        fut: impl Future<Output = Result<T, PgError>> + Send + 'static,
    ) -> Result<T, WriteError> {
        self.pg
            .block_within(limit, fut)
            .and_then(|r| r)
            .map_err(|e| self.error(e))
    }
}

impl Sink for PgSink {
    fn connected(&self) -> bool {
        self.ready
    }

    fn connect(&mut self, limit: Duration) -> Result<[u8; 32], StoreError> {
        let key = self.pg.migrate(limit)?;
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
        let shared_before = now_ms() - 86_400_000;
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
