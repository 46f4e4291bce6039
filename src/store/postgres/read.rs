//! The moderators' read on PostgreSQL: every figure from one repeatable-read snapshot.

use std::collections::HashSet;

use deadpool_postgres::Pool;
use tokio_postgres::IsolationLevel;

use super::PgError;
use crate::store::read::{
    Counts, EntryCount, EntryVotes, Snapshot, UnansweredRow, Want, MAX_UNANSWERED_ROWS, TOP_ENTRIES,
};
use crate::store::split_list;

pub(crate) async fn snapshot(pool: &Pool, since: i64, want: Want) -> Result<Snapshot, PgError> {
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
