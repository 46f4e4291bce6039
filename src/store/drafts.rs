//! Refused new-entry drafts, kept per moderator and cluster so that "Fix the draft" brings
//! back what was typed: in the store, so they survive a restart and (with PostgreSQL) are
//! the same in every process. Moderator ids are kept as keyed hashes, like every user id.
//!
//! Rare, moderator-paced calls: written directly, not through the question log's queue.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::postgres::PgError;
use super::read::Backend;
use super::sqlite::sqlite_error;
use super::{now_ms, Store, StoreError};
use crate::knowledge::additions::Draft;

/// Drafts untouched this long are forgotten when another one is kept.
pub const DRAFT_DAYS: i64 = 30;

const UPSERT: &str = "INSERT INTO drafts
    (moderator, cluster, at, report, question, variants, answer, paragraph, quote)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (moderator, cluster) DO UPDATE SET
    at = excluded.at, report = excluded.report, question = excluded.question,
    variants = excluded.variants, answer = excluded.answer,
    paragraph = excluded.paragraph, quote = excluded.quote";
const EXPIRE: &str = "DELETE FROM drafts WHERE at < ?1";
const SELECT: &str = "SELECT report, question, variants, answer, paragraph, quote
    FROM drafts WHERE moderator = ?1 AND cluster = ?2";
const DELETE: &str = "DELETE FROM drafts WHERE moderator = ?1 AND cluster = ?2";

/// `?N` placeholders in PostgreSQL's words.
fn pg(sql: &str) -> String {
    sql.replace('?', "$")
}

fn variants_text(d: &Draft) -> String {
    serde_json::to_string(&d.variants).unwrap_or_else(|_| "[]".into())
}

fn draft_from(cols: [String; 6]) -> Draft {
    let [report, question, variants, answer, paragraph, quote] = cols;
    Draft {
        report,
        question,
        variants: serde_json::from_str(&variants).unwrap_or_default(),
        answer,
        paragraph,
        quote,
    }
}

/// A read-write connection to a database the store has already migrated.
fn sqlite_conn(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error("opening the database", path))?;
    conn.busy_timeout(Duration::from_secs(2))
        .map_err(sqlite_error("opening the database", path))?;
    Ok(conn)
}

impl Store {
    /// The moderator's hash under the deployment's key: until it is known, drafts wait.
    fn draft_owner(&self, moderator: u64) -> Result<String, StoreError> {
        self.known_hash(moderator).ok_or(StoreError::NotAnswering {
            what: "reading the hash key",
            waited: Duration::ZERO,
        })
    }

    /// Keeps `draft` as `moderator`'s for `cluster`, replacing any earlier one.
    pub fn keep_draft(
        &self,
        moderator: u64,
        cluster: &str,
        draft: &Draft,
    ) -> Result<(), StoreError> {
        let who = self.draft_owner(moderator)?;
        let (cluster, draft) = (cluster.to_string(), draft.clone());
        self.inner.reader.within("keeping a draft", move |backend| {
            keep(backend, who, cluster, draft)
        })
    }

    /// `moderator`'s kept draft for `cluster`, if any.
    pub fn kept_draft(&self, moderator: u64, cluster: &str) -> Result<Option<Draft>, StoreError> {
        let who = self.draft_owner(moderator)?;
        let cluster = cluster.to_string();
        self.inner.reader.within("reading a draft", move |backend| {
            kept(backend, who, cluster)
        })
    }

    /// Forgets `moderator`'s draft for `cluster` (it was added, or given up).
    pub fn forget_draft(&self, moderator: u64, cluster: &str) -> Result<(), StoreError> {
        let who = self.draft_owner(moderator)?;
        let cluster = cluster.to_string();
        self.inner
            .reader
            .within("forgetting a draft", move |backend| {
                forget(backend, who, cluster)
            })
    }
}

fn keep(backend: &Backend, who: String, cluster: String, draft: Draft) -> Result<(), StoreError> {
    let at = now_ms();
    let expired = at - DRAFT_DAYS * 86_400_000;
    let variants = variants_text(&draft);
    match backend {
        Backend::Sqlite { path, .. } => {
            let mut conn = sqlite_conn(path)?;
            let err = sqlite_error("keeping a draft", path);
            let tx = conn.transaction().map_err(&err)?;
            tx.execute(EXPIRE, [expired]).map_err(&err)?;
            tx.execute(
                UPSERT,
                params![
                    who,
                    cluster,
                    at,
                    draft.report,
                    draft.question,
                    variants,
                    draft.answer,
                    draft.paragraph,
                    draft.quote
                ],
            )
            .map_err(&err)?;
            tx.commit().map_err(&err)
        }
        Backend::Postgres(db) => {
            let pool = db.pool();
            let d = draft;
            db.block_on(async move {
                let mut client = pool.get().await?;
                let tx = client.transaction().await?;
                tx.execute(&pg(EXPIRE), &[&expired]).await?;
                tx.execute(
                    &pg(UPSERT),
                    &[
                        &who,
                        &cluster,
                        &at,
                        &d.report,
                        &d.question,
                        &variants,
                        &d.answer,
                        &d.paragraph,
                        &d.quote,
                    ],
                )
                .await?;
                tx.commit().await?;
                Ok::<_, PgError>(())
            })?
            .map_err(db.error("keeping a draft"))
        }
    }
}

fn kept(backend: &Backend, who: String, cluster: String) -> Result<Option<Draft>, StoreError> {
    match backend {
        Backend::Sqlite { path, .. } => {
            let conn = sqlite_conn(path)?;
            conn.query_row(SELECT, params![who, cluster], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ])
            })
            .optional()
            .map(|row| row.map(draft_from))
            .map_err(sqlite_error("reading a draft", path))
        }
        Backend::Postgres(db) => {
            let pool = db.pool();
            db.block_on(async move {
                let client = pool.get().await?;
                let row = client.query_opt(&pg(SELECT), &[&who, &cluster]).await?;
                Ok::<_, PgError>(row.map(|r| {
                    draft_from([r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)])
                }))
            })?
            .map_err(db.error("reading a draft"))
        }
    }
}

fn forget(backend: &Backend, who: String, cluster: String) -> Result<(), StoreError> {
    match backend {
        Backend::Sqlite { path, .. } => sqlite_conn(path)?
            .execute(DELETE, params![who, cluster])
            .map(|_| ())
            .map_err(sqlite_error("forgetting a draft", path)),
        Backend::Postgres(db) => {
            let pool = db.pool();
            db.block_on(async move {
                let client = pool.get().await?;
                client.execute(&pg(DELETE), &[&who, &cluster]).await?;
                Ok::<_, PgError>(())
            })?
            .map_err(db.error("forgetting a draft"))
        }
    }
}
