//! Opening the database: integrity check, WAL, migrations, the hash key.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{random_bytes, Damage, StoreConfig, StoreError};

/// Migrations in order (`src/store/migrations/sqlite/`); `PRAGMA user_version` counts
/// those applied. PostgreSQL has its own, making the same tables (`postgres::migrate`).
/// Append only: never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_log.sql"),
    include_str!("migrations/sqlite/0002_alerted.sql"),
    include_str!("migrations/sqlite/0003_shared_state.sql"),
    include_str!("migrations/sqlite/0004_drafts.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Maps a rusqlite error to the store's: corruption, or what was being done and the file.
pub(super) fn sqlite<'a>(
    context: &'static str,
    path: &'a Path,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| {
        if is_corruption(&source) {
            StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: Damage::Sqlite(source),
            }
        } else {
            StoreError::Sqlite {
                context,
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

pub(super) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// `PRAGMA quick_check`: "ok" or the first problems found.
fn check(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(sqlite("checking the database", path))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(sqlite("checking the database", path))?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: Damage::Check(rows),
        })
    }
}

fn user_version(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))
        .map(|v| v.clamp(0, u32::MAX as i64) as u32)
        .map_err(sqlite("reading the schema version", path))
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn, path)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // One immediate transaction: two processes starting together migrate once.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite("migrating the database", path))?;
    let found = user_version(&tx, path)?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)
            .map_err(sqlite("migrating the database", path))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(sqlite("migrating the database", path))?;
        tracing::info!(version = i + 1, path = %path.display(), "question log schema migrated");
    }
    tx.commit().map_err(sqlite("migrating the database", path))
}

pub(super) const KEY_NAME: &str = "user_hash_key";

fn ensure_key(conn: &Connection, path: &Path) -> Result<[u8; 32], StoreError> {
    let fresh: [u8; 32] = random_bytes();
    conn.execute(
        "INSERT OR IGNORE INTO settings (name, value) VALUES (?1, ?2)",
        rusqlite::params![KEY_NAME, &fresh[..]],
    )
    .map_err(sqlite("keeping the hash key", path))?;
    stored_key(conn)
        .map_err(sqlite("reading the hash key", path))?
        .ok_or_else(|| StoreError::Corrupt {
            path: path.to_path_buf(),
            detail: Damage::Key,
        })
}

fn stored_key(conn: &Connection) -> rusqlite::Result<Option<[u8; 32]>> {
    let value: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM settings WHERE name = ?1",
            [KEY_NAME],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok()))
}

/// The stored hash key, read without writing anything (for a degraded start).
pub(super) fn read_key(path: &Path) -> Option<[u8; 32]> {
    let conn = read_only(path).ok()?;
    stored_key(&conn).ok().flatten()
}

/// A read-only connection. A WAL database in a directory we cannot write to (no `-shm`
/// file can be made) is opened as immutable: a snapshot, which is what a read-only disk holds.
fn read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    match conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)) {
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen)
            ) =>
        {
            let mut uri = String::from("file:");
            for c in path.to_string_lossy().chars() {
                match c {
                    '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
                    c => uri.push(c),
                }
            }
            uri.push_str("?immutable=1");
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)
        }
        _ => Ok(conn),
    }
}

/// A connection for the writer, ready to write: WAL, `synchronous = FULL`, migrated.
/// With `check`, runs `PRAGMA quick_check` first (at start-up).
pub(super) fn connect(
    config: &StoreConfig,
    check_first: bool,
) -> Result<(Connection, [u8; 32]), StoreError> {
    let path = &config.path;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(sqlite("opening the database", path))?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(sqlite("opening the database", path))?;
    if check_first {
        check(&conn, path)?;
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(sqlite("switching to WAL mode", path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, path = %path.display(), "the question log is not in WAL mode");
    }
    // FULL: a commit is on disk before it is acknowledged, even across a power cut.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(sqlite("opening the database", path))?;
    migrate(&mut conn, path)?;
    let key = ensure_key(&conn, path)?;
    Ok((conn, key))
}

/// A read-only connection for stats and clusters; never creates the file.
pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            path: PathBuf::from(path),
        });
    }
    let conn = read_only(path).map_err(sqlite("opening the database", path))?;
    match user_version(&conn, path)? {
        0 => Err(StoreError::Missing {
            path: PathBuf::from(path),
        }),
        found if found > SCHEMA_VERSION => Err(StoreError::TooNew {
            path: PathBuf::from(path),
            found,
            known: SCHEMA_VERSION,
        }),
        _ => Ok(conn),
    }
}
