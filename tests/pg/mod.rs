//! A throw-away PostgreSQL database per test, on the server at `FACTDESK_TEST_PG`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`). Without a server the test is
//! skipped with a note, except under CI (`CI` set), where a skip is a failure.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The server's admin URL.
pub fn admin_url() -> String {
    std::env::var("FACTDESK_TEST_PG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Runs `sql` statements (no results) on `url`.
pub fn execute(url: &str, sql: &str) -> Result<(), String> {
    let url = url.to_string();
    let sql = sql.to_string();
    runtime().block_on(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let task = tokio::spawn(conn);
        let result = client.batch_execute(&sql).await.map_err(|e| e.to_string());
        drop(client);
        let _ = task.await;
        result
    })
}

/// The first column of the first row of `sql`, as text (`NULL` = `None`).
pub fn scalar(url: &str, sql: &str) -> Option<String> {
    let url = url.to_string();
    let sql = sql.to_string();
    runtime().block_on(async move {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        let task = tokio::spawn(conn);
        // The simple query protocol returns every value as text.
        let rows = client.simple_query(&sql).await.expect("query");
        let value = rows.into_iter().find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        });
        drop(client);
        let _ = task.await;
        value.flatten()
    })
}

/// A database created for one test and dropped afterwards.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A fresh database, or `None` (after a note) when no server answers outside CI.
    pub fn create() -> Option<TestDb> {
        let db = TestDb::named();
        match execute(&admin_url(), &format!("CREATE DATABASE {}", db.name)) {
            Ok(()) => Some(db),
            Err(e) => {
                if std::env::var_os("CI").is_some() {
                    panic!(
                        "CI: PostgreSQL is required for this test and does not answer at {}: {e}",
                        admin_url()
                    );
                }
                eprintln!(
                    "SKIPPED: no PostgreSQL at {} ({e}); run .ci/run to start one",
                    admin_url()
                );
                None
            }
        }
    }

    /// A name and URL for a database that does not exist yet (see [`TestDb::bring_up`]).
    pub fn named() -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("factdesk_test_{}_{n}_{nanos}", std::process::id());
        let admin = admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        TestDb {
            url: format!("{base}/{name}"),
            name,
        }
    }

    /// Creates the database of a [`TestDb::named`].
    pub fn bring_up(&self) -> Result<(), String> {
        execute(&admin_url(), &format!("CREATE DATABASE {}", self.name))
    }

    pub fn available() -> bool {
        execute(&admin_url(), "SELECT 1").is_ok()
    }

    pub fn count(&self, sql: &str) -> i64 {
        scalar(&self.url, sql)
            .expect("a value")
            .parse()
            .expect("a number")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = execute(
            &admin_url(),
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}
