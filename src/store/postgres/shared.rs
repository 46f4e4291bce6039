//! The answering state processes share: cooldowns and the answered-above memory.

use deadpool_postgres::Pool;

use super::{text, PgError};

/// One cooldown step for a person (by user hash), atomically: when the last answer is
/// older than `period`, a new cooldown starts (`warns` 0); otherwise `warns` counts the
/// refused tries. Returns (start of the cooldown, warns).
pub(crate) async fn cooldown(
    pool: Pool,
    user: String,
    now: i64,
    period: i64,
) -> Result<(i64, i64), PgError> {
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
pub(crate) async fn earlier(
    pool: Pool,
    channel: i64,
    key: String,
    since: i64,
) -> Result<Option<String>, PgError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT link FROM recent_answers WHERE channel = $1 AND question = $2 AND at > $3",
        )
        .await?;
    let row = client.query_opt(&stmt, &[&channel, &key, &since]).await?;
    Ok(row.map(|r| r.get(0)))
}

pub(crate) async fn remember(
    pool: Pool,
    channel: i64,
    key: String,
    link: String,
    at: i64,
) -> Result<(), PgError> {
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
