//! The schema, in PostgreSQL's own SQL (`src/store/migrations/postgres/`): the same
//! tables and columns as the file's, applied in order under an advisory lock, each
//! version once. Every statement is idempotent (`IF NOT EXISTS`), so a database whose
//! version row was lost, or made by an older build, migrates cleanly.

use deadpool_postgres::GenericClient;
use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

use super::PgError;
use crate::store::schema;

/// Migrations in order; `factdesk_schema` holds the version applied. Append only:
/// never edit one that has shipped. Version N here and in SQLite make the same tables.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_log.sql"),
    include_str!("../migrations/postgres/0002_alerted.sql"),
    include_str!("../migrations/postgres/0003_shared_state.sql"),
    include_str!("../migrations/postgres/0004_drafts.sql"),
];

/// The schema version this build writes.
pub(super) const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

// Both back ends are at the same version: readers compare either with one number.
const _: () = assert!(SCHEMA_VERSION as u32 == schema::SCHEMA_VERSION);

/// Advisory lock key held while migrating: processes starting together migrate once.
const MIGRATION_LOCK: i64 = 0x6661_6374_6465_736b; // "factdesk"

/// The version applied; 0 when there is no schema yet.
pub(super) async fn version(client: &impl GenericClient) -> Result<i32, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('factdesk_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_one("SELECT coalesce(max(version), 0) FROM factdesk_schema", &[])
        .await?;
    Ok(row.get(0))
}

/// Applies the migrations this database lacks and returns the stored hash key.
pub(super) async fn migrate(pool: &Pool) -> Result<[u8; 32], PgError> {
    let mut client = pool.get().await?;
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS factdesk_schema (version integer NOT NULL)")
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
    let found = version(&tx).await?;
    if found > SCHEMA_VERSION {
        return Err(PgError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.batch_execute(sql).await?;
        tracing::info!(version = i + 1, "question log schema migrated (PostgreSQL)");
    }
    if found < SCHEMA_VERSION {
        // One row, the version reached: what every build reads.
        tx.execute("DELETE FROM factdesk_schema", &[]).await?;
        tx.execute(
            "INSERT INTO factdesk_schema (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .await?;
    }
    let fresh: [u8; 32] = crate::store::random_bytes();
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
    <[u8; 32]>::try_from(key.as_slice()).map_err(|_| PgError::BadKey)
}
