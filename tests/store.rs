//! The store: logging, votes, clicks, retention, stats, clusters, the command line, and
//! what happens when the database is shared, locked, read-only or corrupt.
//!
//! Every behaviour test runs against both back ends (`sqlite::…` and `postgres::…`, see
//! `on_both_back_ends!` at the end); the file-specific ones (WAL, corruption, read-only
//! disks) run on SQLite, the shared-state ones on PostgreSQL.

mod pg;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use factdesk::curation::{cluster, Views as _};
use factdesk::desk::Desk;
use factdesk::knowledge::KnowledgeBase;
use factdesk::reply::{Decline, Status};
use factdesk::store::{
    Click, QuestionLog, Reader, Store, StoreConfig, StoreError, UnansweredRow, Vote, SCHEMA_VERSION,
};
use rusqlite::Connection;

const DAY: Duration = Duration::from_secs(86_400);
const WAIT: Duration = Duration::from_secs(10);

fn desk() -> &'static Desk {
    static DESK: OnceLock<Desk> = OnceLock::new();
    DESK.get_or_init(|| Desk::new(KnowledgeBase::bundled().expect("bundled knowledge")))
}

/// A question the bundled knowledge base answers: an entry's own question.
fn answerable() -> &'static str {
    let kb = desk().knowledge();
    let entry = kb.entries.iter().find(|e| !e.is_gap()).expect("an entry");
    &entry.question
}

fn config(path: &Path) -> StoreConfig {
    StoreConfig {
        retry: Duration::from_millis(20),
        max_retry: Duration::from_millis(200),
        busy_timeout: Duration::from_millis(200),
        shutdown_grace: Duration::from_millis(300),
        ..StoreConfig::new(path)
    }
}

fn open(dir: &tempfile::TempDir) -> (Store, PathBuf) {
    let path = dir.path().join("factdesk.db");
    (Store::open(config(&path)).expect("store opens"), path)
}

/// A question record, without going through the matcher.
fn q(question: &str, status: Status, entry: Option<&str>, ago: Duration, user: u64) -> QuestionLog {
    QuestionLog {
        at: SystemTime::now() - ago,
        guild: Some(1),
        channel: Some(2),
        user: Some(user),
        question: question.to_string(),
        status,
        decline: (status == Status::Declined).then_some(Decline::NotCovered),
        entry: entry.map(str::to_string),
        suggested: Vec::new(),
        report: None,
        confidence: if status == Status::Answered { 0.9 } else { 0.3 },
        matching: Duration::from_micros(40),
    }
}

fn vote(message: u64, user: u64, entry: &str, up: bool, ago: Duration) -> Vote {
    Vote {
        at: SystemTime::now() - ago,
        message,
        question: None,
        entry: entry.to_string(),
        user,
        up,
    }
}

fn count(path: &Path, sql: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// One test's database: a temporary SQLite file, or a fresh PostgreSQL database.
struct Db {
    path: PathBuf,
    pg: Option<pg::TestDb>,
    _dir: tempfile::TempDir,
}

impl Db {
    /// `None` when PostgreSQL is wanted and not there (outside CI: the test is skipped).
    fn new(kind: Kind) -> Option<Db> {
        let dir = tempfile::tempdir().unwrap();
        let pg = match kind {
            Kind::Sqlite => None,
            Kind::Postgres => Some(pg::TestDb::create()?),
        };
        Some(Db {
            path: dir.path().join("factdesk.db"),
            pg,
            _dir: dir,
        })
    }

    fn config(&self) -> StoreConfig {
        StoreConfig {
            database_url: self.pg.as_ref().map(|p| p.url.clone()),
            ..config(&self.path)
        }
    }

    fn open(&self) -> Store {
        Store::open(self.config()).expect("store opens")
    }

    /// A count, in SQL both dialects read (quote `"user"`).
    fn count(&self, sql: &str) -> i64 {
        match &self.pg {
            Some(p) => p.count(sql),
            None => count(&self.path, sql),
        }
    }

    /// The arguments that point the command line at this database.
    fn cli_args(&self) -> Vec<String> {
        match &self.pg {
            Some(p) => vec!["--database-url".into(), p.url.clone()],
            None => vec!["--db".into(), self.path.to_str().unwrap().into()],
        }
    }

    /// Another connection holds a lock that stops every write until the guard is dropped.
    fn stall(&self) -> Stall {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (path, url) = (self.path.clone(), self.pg.as_ref().map(|p| p.url.clone()));
        let handle = std::thread::spawn(move || match url {
            None => {
                let mut other = Connection::open(&path).unwrap();
                let tx = other
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
                    .unwrap();
                ready_tx.send(()).unwrap();
                let _ = release_rx.recv();
                drop(tx);
            }
            Some(url) => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                        .await
                        .unwrap();
                    tokio::spawn(conn);
                    client
                        .batch_execute("BEGIN; LOCK TABLE questions IN ACCESS EXCLUSIVE MODE")
                        .await
                        .unwrap();
                    ready_tx.send(()).unwrap();
                    tokio::task::spawn_blocking(move || release_rx.recv())
                        .await
                        .unwrap()
                        .ok();
                    client.batch_execute("ROLLBACK").await.unwrap();
                });
            }
        });
        ready_rx.recv().expect("lock taken");
        Stall {
            release: Some(release_tx),
            handle: Some(handle),
        }
    }
}

struct Stall {
    release: Option<std::sync::mpsc::Sender<()>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Stall {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(h) = self.handle.take() {
            h.join().unwrap();
        }
    }
}

fn integrity(path: &Path) -> String {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

fn questions_are_logged_with_a_keyed_user_hash_never_the_id(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    let user = 987_654_321_012_345_678u64;
    let answered = desk()
        .ask_timed(answerable(), None, &desk().matcher().config())
        .unwrap();
    let logged = store.log_question(
        QuestionLog::from_reply(&answered.reply, answered.elapsed).asked_by(
            Some(11),
            Some(22),
            Some(user),
        ),
    );
    assert!(logged.id > 0);
    assert!(store.wait(logged.ack.expect("queued"), WAIT));
    let hash = store.user_hash(user);
    let question = answered.reply.question.replace('\'', "''");
    let row = format!(
        "SELECT count(*) FROM questions WHERE qid = {} AND guild = 11 AND channel = 22 \
         AND \"user\" = '{hash}' AND question = '{question}' AND status = '{}' AND micros = {}",
        logged.id,
        answered.reply.status.as_str(),
        answered.elapsed.as_micros()
    );
    assert_eq!(db.count(&row), 1, "{row}");
    assert_eq!(db.count("SELECT count(*) FROM questions"), 1);
    assert_eq!(
        store.question_text(logged.id).unwrap().as_deref(),
        Some(answered.reply.question.as_str())
    );
    assert_eq!(hash.len(), 32);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    drop(store);
    if kind == Kind::Postgres {
        return;
    }
    let path = &db.path;
    // The id appears nowhere in the file, in decimal or as bytes.
    let bytes = std::fs::read(path).unwrap();
    let decimal = user.to_string();
    for needle in [
        decimal.as_bytes(),
        &user.to_le_bytes()[..],
        &user.to_be_bytes()[..],
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "the user id is stored in clear"
        );
    }
}

fn user_hashes_are_stable_across_restarts_and_follow_the_key(kind: Kind) {
    let (Some(db), Some(other)) = (Db::new(kind), Db::new(kind)) else {
        return;
    };
    let first = db.open().user_hash(42);
    let again = db.open().user_hash(42);
    assert_eq!(first, again, "the generated key is kept in the database");
    assert_ne!(first, db.open().user_hash(43));
    assert_ne!(
        first,
        other.open().user_hash(42),
        "each database has its own key"
    );
    let keyed = |db: &Db| {
        Store::open(StoreConfig {
            hash_key: Some("secret".into()),
            ..db.config()
        })
        .unwrap()
        .user_hash(42)
    };
    assert_eq!(
        keyed(&db),
        keyed(&other),
        "FACTDESK_HASH_KEY makes hashes the same everywhere"
    );
    assert_ne!(keyed(&db), first);
}

#[test]
fn the_schema_is_versioned_and_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path) = open(&dir);
    drop(store);
    assert_eq!(count(&path, "PRAGMA user_version"), SCHEMA_VERSION as i64);
    let mode: String = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A database from a newer build is refused with a clear message.
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(config(&path)).err().expect("refused");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer factdesk"), "{err}");
}

fn one_vote_per_person_per_answer_and_the_newest_wins(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    let min = Duration::from_secs(60);
    // (message, user, up, minutes ago)
    let votes = [
        (1, 7, true, 5),
        (1, 7, false, 4),
        (1, 8, true, 3),
        (2, 7, true, 2),
        (1, 8, false, 10),
    ];
    for (message, user, up, ago) in votes {
        store
            .record_vote(vote(message, user, "deport-goal", up, min * ago))
            .unwrap();
    }
    store.flush(WAIT).unwrap();
    let up = |message: i64, user: u64| -> bool {
        let sql = |cond: &str| {
            format!(
                "SELECT count(*) FROM votes WHERE message = {message} AND \"user\" = '{}' AND {cond}",
                store.user_hash(user)
            )
        };
        assert_eq!(db.count(&sql("true")), 1, "one vote");
        db.count(&sql("up <> 0")) == 1
    };
    assert_eq!(db.count("SELECT count(*) FROM votes"), 3);
    assert!(!up(1, 7), "changed to 👎");
    assert!(up(1, 8), "an older vote arriving late does not win");
    assert!(up(2, 7));
}

fn clicks_are_logged_and_tie_a_question_to_an_entry(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    let logged = store.log_question(q(
        "how many go to panama",
        Status::Suggested,
        None,
        Duration::ZERO,
        1,
    ));
    store
        .record_click(Click {
            at: SystemTime::now(),
            guild: None,
            channel: Some(3),
            user: Some(1),
            question: Some(logged.id),
            asked: Some("how many go to panama".into()),
            entry: "third-countries".into(),
        })
        .unwrap();
    store.flush(WAIT).unwrap();
    assert_eq!(db.count("SELECT count(*) FROM clicks c JOIN questions q ON q.qid = c.qid WHERE c.entry = 'third-countries'"), 1);
    let page = store.unanswered(desk().matcher(), 7, 0, 10).unwrap();
    assert_eq!(page.clusters[0].clicked[0].entry, "third-countries");
}

fn retention_purges_old_records_at_start_up_and_zero_keeps_them(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let keep_all = StoreConfig {
        retention_days: 0,
        ..db.config()
    };
    let store = Store::open(keep_all.clone()).unwrap();
    for (ago, message) in [(200, 1), (95, 2), (89, 3), (1, 4)] {
        store.log_question(q("old question", Status::Declined, None, DAY * ago, 1));
        store.record_vote(vote(message, 1, "e", true, DAY * ago));
    }
    store.flush(WAIT).unwrap();
    drop(store);
    drop(Store::open(keep_all).unwrap());
    assert_eq!(
        db.count("SELECT count(*) FROM questions"),
        4,
        "0 keeps everything"
    );
    let store = Store::open(StoreConfig {
        retention_days: 90,
        ..db.config()
    })
    .unwrap();
    let start = Instant::now();
    while db.count("SELECT count(*) FROM questions") != 2 && start.elapsed() < WAIT {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(db.count("SELECT count(*) FROM questions"), 2);
    assert_eq!(db.count("SELECT count(*) FROM votes"), 2);
    assert_eq!(store.health().purged, 4);
}

struct StatsCase {
    name: &'static str,
    days: u32,
    /// (question, status, entry, days ago)
    questions: Vec<(&'static str, Status, Option<&'static str>, u32)>,
    /// (message, user, entry, up)
    votes: Vec<(u64, u64, &'static str, bool)>,
    expect_counts: (u64, u64, u64, u64),
    expect_top: Vec<(&'static str, u64)>,
    expect_votes: Vec<(&'static str, u64, u64)>,
    expect_answer_rate: f64,
}

fn stats_count_rates_top_entries_and_votes(kind: Kind) {
    use Status::*;
    let cases = vec![
        StatsCase {
            name: "empty",
            days: 7,
            questions: vec![],
            votes: vec![],
            expect_counts: (0, 0, 0, 0),
            expect_top: vec![],
            expect_votes: vec![],
            expect_answer_rate: 0.0,
        },
        StatsCase {
            name: "mixed, with an old question outside the window",
            days: 7,
            questions: vec![
                ("a1", Answered, Some("goal"), 0),
                ("a2", Answered, Some("goal"), 1),
                ("a3", Answered, Some("cost"), 2),
                ("s1", Suggested, None, 3),
                ("d1", Declined, None, 6),
                ("old", Answered, Some("cost"), 8),
            ],
            votes: vec![
                (1, 1, "goal", true),
                (1, 2, "goal", false),
                (2, 1, "cost", false),
                (3, 3, "goal", true),
            ],
            expect_counts: (5, 3, 1, 1),
            expect_top: vec![("goal", 2), ("cost", 1)],
            // Most 👎 first, then most 👍.
            expect_votes: vec![("goal", 2, 1), ("cost", 0, 1)],
            expect_answer_rate: 0.6,
        },
        StatsCase {
            name: "one day window",
            days: 1,
            questions: vec![
                ("a", Answered, Some("b-entry"), 0),
                ("b", Answered, Some("a-entry"), 0),
                ("c", Declined, None, 2),
            ],
            votes: vec![],
            expect_counts: (2, 2, 0, 0),
            expect_top: vec![("a-entry", 1), ("b-entry", 1)],
            expect_votes: vec![],
            expect_answer_rate: 1.0,
        },
    ];
    for case in cases {
        let Some(db) = Db::new(kind) else { return };
        let store = db.open();
        for (i, (text, status, entry, ago)) in case.questions.iter().enumerate() {
            store.log_question(q(
                text,
                *status,
                *entry,
                DAY * *ago + Duration::from_secs(60),
                i as u64,
            ));
        }
        for (message, user, entry, up) in &case.votes {
            store
                .record_vote(vote(*message, *user, entry, *up, Duration::from_secs(60)))
                .unwrap();
        }
        store.flush(WAIT).unwrap();
        let s = store.stats(desk().matcher(), case.days).unwrap();
        assert_eq!(
            (s.questions, s.answered, s.suggested, s.declined),
            case.expect_counts,
            "{}",
            case.name
        );
        let top: Vec<(&str, u64)> = s
            .top_entries
            .iter()
            .map(|e| (e.entry.as_str(), e.count))
            .collect();
        assert_eq!(top, case.expect_top, "{}", case.name);
        let votes: Vec<(&str, u64, u64)> = s
            .votes
            .iter()
            .map(|v| (v.entry.as_str(), v.up, v.down))
            .collect();
        assert_eq!(votes, case.expect_votes, "{}", case.name);
        assert!(
            (s.answer_rate() - case.expect_answer_rate).abs() < 1e-9,
            "{}: {}",
            case.name,
            s.answer_rate()
        );
        assert_eq!(
            s.askers, case.expect_counts.0,
            "{}: one person per question",
            case.name
        );
        let text = s.to_string();
        assert!(
            text.contains(&format!("{} question(s)", s.questions)),
            "{}: {text}",
            case.name
        );
    }
}

fn words(q: &str) -> Vec<String> {
    q.split_whitespace()
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

fn row(question: &str, user: &str) -> UnansweredRow {
    UnansweredRow {
        at: 1,
        user: Some(user.to_string()),
        question: question.to_string(),
        ..Default::default()
    }
}

#[test]
fn clusters_group_near_duplicates_biggest_first() {
    // (name, questions as (text, user), expected clusters as (asks, askers, first phrasing))
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        Vec<(u64, u64, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        ("nothing", vec![], vec![]),
        (
            "only stop words are skipped",
            vec![("is it a", "u1")],
            vec![],
        ),
        (
            "exact and case duplicates count as one phrasing",
            vec![
                ("how many deported from canada", "u1"),
                ("How many deported from Canada", "u2"),
                ("how many deported from canada", "u1"),
            ],
            vec![(3, 2, "how many deported from canada")],
        ),
        (
            "overlap at or above 0.6 joins, below stays apart",
            vec![
                // {how, many, deported, canada}
                ("how many deported canada", "u1"),
                ("how many deported canada", "u2"),
                // {how, many, deported, canada, mexico}: 4/5 = 0.8 → joins
                ("how many deported canada mexico", "u3"),
                // {how, many, deported}: 3/4 = 0.75 → joins
                ("how many deported", "u4"),
                // {who, pays, wall}: nothing in common
                ("who pays wall", "u5"),
                // {how, many, people, flights}: 2/6 → apart
                ("how many people flights", "u6"),
            ],
            vec![
                (4, 4, "how many deported canada"),
                (1, 1, "how many people flights"),
                (1, 1, "who pays wall"),
            ],
        ),
        (
            "ties are broken by askers",
            vec![
                ("alpha beta gamma", "u1"),
                ("alpha beta gamma", "u1"),
                ("delta epsilon zeta", "u2"),
                ("delta epsilon zeta", "u3"),
            ],
            vec![(2, 2, "delta epsilon zeta"), (2, 1, "alpha beta gamma")],
        ),
    ];
    for (name, questions, expected) in cases {
        let rows: Vec<UnansweredRow> = questions.iter().map(|(q, u)| row(q, u)).collect();
        let got = cluster(&rows, words, &HashSet::new());
        let got: Vec<(u64, u64, &str)> = got
            .iter()
            .map(|c| (c.asks, c.askers, c.questions[0].as_str()))
            .collect();
        assert_eq!(got, expected, "{name}");
    }
}

fn clusters_use_the_matchers_normalisation_and_dismissals_stick(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    let asked = [
        "How many people did Canada deport last year?",
        "how many ppl did canada deport last year",
        "how many people did canda deport last year??",
        "what did Canada deport last year, how many people",
        "who will pay for the new stadium in Toronto?",
        "who pays for the toronto stadium",
        "hello",
    ];
    for (i, question) in asked.iter().enumerate() {
        let reply = desk().ask(question, None).unwrap();
        store.log_question(QuestionLog::from_reply(&reply, Duration::ZERO).asked_by(
            None,
            None,
            Some(i as u64),
        ));
    }
    store.log_question(q(
        "what is the weather on mars today",
        Status::Declined,
        None,
        DAY * 40,
        99,
    ));
    store.flush(WAIT).unwrap();
    let page = store.unanswered(desk().matcher(), 30, 0, 10).unwrap();
    let shown: Vec<(u64, &str)> = page
        .clusters
        .iter()
        .map(|c| (c.asks, c.questions[0].as_str()))
        .collect();
    assert!(page.total >= 2, "{shown:?}");
    let canada = &page.clusters[0];
    assert_eq!(
        canada.asks, 4,
        "typos, case and word order cluster together: {shown:?}"
    );
    assert_eq!(canada.askers, 4);
    assert!(
        shown
            .iter()
            .all(|(_, q)| !q.contains("hello") && !q.contains("mars")),
        "small talk and old questions are left out: {shown:?}"
    );
    assert!(
        shown.iter().any(|(n, q)| *n == 2 && q.contains("stadium")),
        "{shown:?}"
    );

    // Paging.
    let second = store.unanswered(desk().matcher(), 30, 1, 1).unwrap();
    assert_eq!(second.total, page.total);
    assert_eq!(second.clusters, page.clusters[1..2].to_vec());
    assert!(store
        .unanswered(desk().matcher(), 30, page.total, 5)
        .unwrap()
        .clusters
        .is_empty());

    // Dismissed clusters stay gone, even when asked again.
    store.dismiss_cluster(&canada.id, Some(5)).unwrap();
    store.log_question(q(
        "how many people did canada deport last year",
        Status::Declined,
        None,
        Duration::ZERO,
        77,
    ));
    store.flush(WAIT).unwrap();
    let after = store.unanswered(desk().matcher(), 30, 0, 10).unwrap();
    assert_eq!(after.total, page.total - 1);
    assert!(
        after
            .clusters
            .iter()
            .all(|c| c.id != canada.id && !c.questions[0].to_lowercase().contains("canada")),
        "{after:?}"
    );
    let stats = store.stats(desk().matcher(), 30).unwrap();
    assert_eq!(stats.unanswered_clusters, after.total);
    assert_eq!(stats.top_unanswered.first(), after.clusters.first());
}

fn clusters_reaching_a_few_asks_are_offered_for_posting_once(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    let ask = |question: &str, user: u64| {
        let reply = desk().ask(question, None).unwrap();
        store.log_question(QuestionLog::from_reply(&reply, Duration::ZERO).asked_by(
            None,
            None,
            Some(user),
        ));
        store.flush(WAIT).unwrap();
    };
    let due = || store.clusters_to_alert(desk().matcher(), 7, 3).unwrap();
    ask("How many people did Canada deport last year?", 1);
    ask("how many ppl did canada deport last year", 2);
    assert!(due().is_empty(), "two asks are not enough");
    ask("how many people did canda deport last year??", 3);
    let ready = due();
    assert_eq!(ready.len(), 1, "{ready:?}");
    assert_eq!(ready[0].asks, 3);
    let id = ready[0].id.clone();
    assert_eq!(
        store
            .find_cluster(desk().matcher(), 7, &id)
            .unwrap()
            .map(|c| c.asks),
        Some(3)
    );
    store.mark_alerted(&id).unwrap();
    store.flush(WAIT).unwrap();
    assert!(due().is_empty(), "posted once");
    // Still listed for moderators, and not posted again as it grows.
    ask("what did Canada deport last year, how many people", 4);
    assert!(due().is_empty());
    assert_eq!(
        store
            .unanswered(desk().matcher(), 7, 0, 5)
            .unwrap()
            .clusters[0]
            .asks,
        4
    );
    assert_eq!(
        store
            .find_cluster(desk().matcher(), 7, "000000000000")
            .unwrap(),
        None
    );
}

fn many_writers_on_one_database_lose_nothing(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let (handles, threads, each) = (4, 4, 400);
    let stores: Vec<Store> = (0..handles)
        .map(|_| {
            Store::open(StoreConfig {
                busy_timeout: Duration::from_secs(5),
                ..db.config()
            })
            .unwrap()
        })
        .collect();
    std::thread::scope(|s| {
        for (h, store) in stores.iter().enumerate() {
            for t in 0..threads {
                s.spawn(move || {
                    let mut last = None;
                    for i in 0..each {
                        let user = (h * 1000 + t * 100 + i % 7) as u64;
                        last = store
                            .log_question(q(
                                "how many",
                                Status::Answered,
                                Some("goal"),
                                Duration::ZERO,
                                user,
                            ))
                            .ack;
                        assert!(last.is_some(), "nothing is dropped at this rate");
                        if i % 4 == 0 {
                            let message = (h * 1_000_000 + t * 10_000 + i) as u64;
                            last = store.record_vote(vote(
                                message,
                                user,
                                "goal",
                                i % 8 == 0,
                                Duration::ZERO,
                            ));
                        }
                    }
                    assert!(store.wait(last.unwrap(), WAIT));
                });
            }
        }
    });
    for store in &stores {
        store.flush(WAIT).unwrap();
        assert!(store.health().ok, "{:?}", store.health());
        assert_eq!(store.health().dropped, 0);
    }
    let total = (handles * threads * each) as i64;
    assert_eq!(db.count("SELECT count(*) FROM questions"), total);
    assert_eq!(db.count("SELECT count(*) FROM votes"), total / 4);
    assert_eq!(
        db.count("SELECT count(DISTINCT qid) FROM questions"),
        total,
        "question ids are unique"
    );
    drop(stores);
    if kind == Kind::Sqlite {
        assert_eq!(integrity(&db.path), "ok");
    }
}

#[test]
fn a_locked_database_delays_writes_without_blocking_or_losing_them() {
    let dir = tempfile::tempdir().unwrap();
    let (store, path) = open(&dir);
    store.flush(WAIT).unwrap();
    let mut other = Connection::open(&path).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    let start = Instant::now();
    let mut acks = Vec::new();
    for i in 0..100 {
        acks.push(
            store
                .log_question(q("locked?", Status::Declined, None, Duration::ZERO, i))
                .ack
                .unwrap(),
        );
    }
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "logging never waits for the lock: {:?}",
        start.elapsed()
    );
    assert!(!store.wait(*acks.last().unwrap(), Duration::from_millis(600)));
    let health = store.health();
    assert!(!health.ok);
    assert!(
        health
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("locked"),
        "{health:?}"
    );
    assert_eq!(health.backlog, 100);
    assert!(
        health.summary().contains("NOT WRITING"),
        "{}",
        health.summary()
    );
    drop(tx);
    store.flush(WAIT).unwrap();
    assert!(store.health().ok);
    assert_eq!(count(&path, "SELECT count(*) FROM questions"), 100);
}

fn a_full_queue_drops_and_counts_instead_of_blocking(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = Store::open(StoreConfig {
        queue: 8,
        max_batch: 8,
        ..db.config()
    })
    .unwrap();
    store.flush(WAIT).unwrap();
    let tx = db.stall();
    let start = Instant::now();
    let logged: Vec<_> = (0..1000)
        .map(|i| store.log_question(q("full?", Status::Declined, None, Duration::ZERO, i)))
        .collect();
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    let dropped = logged.iter().filter(|l| l.ack.is_none()).count() as u64;
    assert!(dropped >= 1000 - 16, "{dropped}");
    assert_eq!(store.health().dropped, dropped);
    drop(tx);
    store.flush(WAIT).unwrap();
    assert_eq!(
        db.count("SELECT count(*) FROM questions") as u64,
        1000 - dropped,
        "every acknowledged record is written"
    );
}

#[test]
fn a_corrupt_file_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // Garbage from the first byte.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a database, just some text that happens to be here".repeat(100),
    )
    .unwrap();
    // A real database with a page overwritten.
    let damaged = dir.path().join("damaged.db");
    {
        let store = Store::open(StoreConfig {
            retention_days: 0,
            ..config(&damaged)
        })
        .unwrap();
        for i in 0..3000 {
            store.log_question(q(
                &format!("question number {i} with some padding text"),
                Status::Declined,
                None,
                Duration::ZERO,
                i,
            ));
        }
        store.flush(WAIT).unwrap();
    }
    let mut bytes = std::fs::read(&damaged).unwrap();
    assert!(bytes.len() > 64 * 1024);
    let page = 4096;
    for b in &mut bytes[page * 5..page * 9] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, bytes).unwrap();

    for path in [garbage, damaged] {
        let err = Store::open(config(&path))
            .err()
            .unwrap_or_else(|| panic!("{} opened", path.display()));
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("is not a valid factdesk database"), "{text}");
        assert!(
            text.contains("Move it aside")
                && text.contains("a new, empty database will be created"),
            "{text}"
        );
    }
}

/// The read-only scenario runs in a child process; as root (where permissions don't
/// bind) the child runs as `nobody`.
#[test]
fn a_read_only_database_keeps_answering_and_reports_the_problem() {
    if std::env::var_os("FACTDESK_STORE_READONLY_CHILD").is_some() {
        return;
    }
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let (store, path) = open(&dir);
    for i in 0..5 {
        store.log_question(q("before", Status::Declined, None, Duration::ZERO, i));
    }
    store.flush(WAIT).unwrap();
    drop(store);
    let root = std::fs::metadata(&path).unwrap().uid() == 0;
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "read_only_child",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("FACTDESK_STORE_READONLY_CHILD", &path)
    .env("RUST_LOG", "off");
    if root {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        cmd.uid(65534).gid(65534);
    } else {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let out = cmd.output().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("READ-ONLY CHILD OK"),
        "{text}"
    );
    assert_eq!(count(&path, "SELECT count(*) FROM questions"), 5);
    assert_eq!(integrity(&path), "ok");
}

#[test]
fn read_only_child() {
    let Some(path) = std::env::var_os("FACTDESK_STORE_READONLY_CHILD") else {
        return;
    };
    let path = PathBuf::from(path);
    assert!(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .is_err(),
        "the file must not be writable here"
    );
    let store = Store::open(config(&path)).expect("a read-only database still opens");
    // Built (once, shared) before the clock starts: the timing is about the store.
    let _ = desk();
    let start = Instant::now();
    for question in [answerable(), "who is paying for the stadium?"] {
        let reply = desk().ask(question, None).unwrap();
        store.log_question(QuestionLog::from_reply(&reply, Duration::ZERO));
    }
    let reply = desk().ask(answerable(), None).unwrap();
    assert_eq!(reply.status, Status::Answered, "answering goes on");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(store.flush(Duration::from_millis(500)).is_err());
    let health = store.health();
    assert!(!health.ok, "{health:?}");
    let error = health.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("readonly")
            || error.contains("read-only")
            || error.contains("unable to open"),
        "{error}"
    );
    assert!(
        error.contains(&path.display().to_string()),
        "the error names the file: {error}"
    );
    // Reading still works: moderators can see stats and the problem.
    let stats = store
        .stats(desk().matcher(), 7)
        .expect("stats from a read-only database");
    assert_eq!(stats.questions, 5);
    println!("READ-ONLY CHILD OK: {}", health.summary());
}

fn cli(args: &[&str]) -> Result<String, String> {
    use clap::Parser;
    let cli =
        factdesk::cli::Cli::parse_from(std::iter::once("factdesk").chain(args.iter().copied()));
    let mut out = Vec::new();
    factdesk::cli::run(cli, &mut std::io::empty(), &mut out).map_err(|e| format!("{e:#}"))?;
    Ok(String::from_utf8(out).unwrap())
}

fn the_command_line_prints_stats_and_unanswered_clusters(kind: Kind) {
    let Some(test_db) = Db::new(kind) else { return };
    let store = test_db.open();
    let at = test_db.cli_args();
    let cli_on = |args: &[&str]| {
        let mut all: Vec<&str> = vec![args[0]];
        all.extend(at.iter().map(String::as_str));
        all.extend(&args[1..]);
        cli(&all)
    };
    for (i, question) in [
        answerable(),
        "who pays for the toronto stadium?",
        "Who pays for the Toronto stadium",
        "hi",
    ]
    .iter()
    .enumerate()
    {
        let reply = desk().ask(question, None).unwrap();
        store.log_question(
            QuestionLog::from_reply(&reply, Duration::from_micros(30)).asked_by(
                None,
                None,
                Some(i as u64),
            ),
        );
    }
    store.flush(WAIT).unwrap();
    drop(store);
    let stats = cli_on(&["stats"]).unwrap();
    assert!(
        stats.contains("Last 7 days: 4 question(s) from 4 people"),
        "{stats}"
    );
    assert!(stats.contains("answered        1  25.0%"), "{stats}");
    assert!(
        stats.contains("toronto stadium") || stats.contains("Toronto stadium"),
        "{stats}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli_on(&["stats", "--days", "1", "--json"]).unwrap()).unwrap();
    assert_eq!(json["questions"], 4);
    assert_eq!(json["days"], 1);

    let page = cli_on(&["unanswered"]).unwrap();
    assert!(page.contains("clusters 1–1 of 1"), "{page}");
    assert!(
        page.to_lowercase()
            .contains("2× “who pays for the toronto stadium"),
        "{page}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&cli_on(&["unanswered", "--json", "--offset", "1"]).unwrap()).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["clusters"].as_array().unwrap().len(), 0);

    if let Some(pg) = &test_db.pg {
        // An empty database: nothing is created by reading it.
        let empty = pg::TestDb::create().expect("a second database");
        let err = cli(&["stats", "--database-url", &empty.url]).unwrap_err();
        assert!(err.contains("no question log here yet"), "{err}");
        assert_eq!(
            empty.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            0
        );
        assert!(!pg.url.is_empty());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.db");
    let err = cli(&["stats", "--db", missing.to_str().unwrap()]).unwrap_err();
    assert!(
        err.contains("no question log at") && err.contains("nowhere.db"),
        "{err}"
    );
    assert!(!missing.exists(), "reading never creates a database");
    std::fs::write(
        &missing,
        b"garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage",
    )
    .unwrap();
    let err = cli(&["unanswered", "--db", missing.to_str().unwrap()]).unwrap_err();
    assert!(
        err.contains("is not a valid factdesk database") && err.contains("Move it aside"),
        "{err}"
    );
}

fn reader_sees_what_the_writer_committed_while_it_runs(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    let store = db.open();
    store.log_question(q("one", Status::Answered, Some("e"), Duration::ZERO, 1));
    store.flush(WAIT).unwrap();
    let reader = match &db.pg {
        Some(pg) => Reader::open_url(&pg.url).unwrap(),
        None => Reader::open(&db.path).unwrap(),
    };
    assert_eq!(reader.stats(desk().matcher(), 7).unwrap().questions, 1);
    store.log_question(q("two", Status::Answered, Some("e"), Duration::ZERO, 2));
    store.flush(WAIT).unwrap();
    assert_eq!(reader.stats(desk().matcher(), 7).unwrap().questions, 2);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Cooldowns and the answered-above memory: shared by every process on PostgreSQL, left
/// to each process's memory on the embedded file.
fn cooldowns_and_answered_above_are_shared_by_processes(kind: Kind) {
    let Some(db) = Db::new(kind) else { return };
    // Two handles: two processes as far as the store knows (each its own pool and writer).
    let (a, b) = (db.open(), db.open());
    let period = Duration::from_secs(30);
    block_on(async {
        if kind == Kind::Sqlite {
            assert!(!a.is_shared());
            assert_eq!(a.cooldown(5, period).await, None);
            assert_eq!(a.earlier_answer(1, "q", period).await, None);
            assert!(!a.remember_answer(1, "q", "link").await);
            return;
        }
        assert!(a.is_shared());
        let first = a.cooldown(5, period).await.expect("answered");
        assert!(first.ready, "{first:?}");
        let second = b.cooldown(5, period).await.expect("answered");
        assert!(!second.ready, "the other process sees the cooldown");
        assert!(second.first_warning);
        assert!(second.remaining > Duration::from_secs(25) && second.remaining <= period);
        let third = a.cooldown(5, period).await.unwrap();
        assert!(
            !third.ready && !third.first_warning,
            "warned once: {third:?}"
        );
        assert!(
            b.cooldown(6, period).await.unwrap().ready,
            "people are independent"
        );
        assert!(
            a.cooldown(5, Duration::ZERO).await.unwrap().ready,
            "no cooldown set"
        );

        assert_eq!(b.earlier_answer(7, "how many", period).await, Some(None));
        assert!(a.remember_answer(7, "how many", "https://x/7/1").await);
        assert_eq!(
            b.earlier_answer(7, "how many", period).await,
            Some(Some("https://x/7/1".to_string()))
        );
        assert_eq!(b.earlier_answer(8, "how many", period).await, Some(None));
        assert!(a.remember_answer(7, "how many", "https://x/7/2").await);
        assert_eq!(
            b.earlier_answer(7, "how many", period).await,
            Some(Some("https://x/7/2".to_string())),
            "the newest answer wins"
        );
    });
    // The user id is hashed there too.
    if let Some(pg) = &db.pg {
        assert_eq!(
            pg.count(&format!(
                "SELECT count(*) FROM cooldowns WHERE \"user\" = '{}'",
                a.user_hash(5)
            )),
            1
        );
    }
}

/// PostgreSQL that is not there (yet): answering never waits, writes catch up.
#[test]
fn postgres_down_never_blocks_and_the_log_catches_up() {
    if !pg::TestDb::available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: PostgreSQL must answer"
        );
        eprintln!("SKIPPED: no PostgreSQL");
        return;
    }
    let db = pg::TestDb::named();
    let started = Instant::now();
    let store = Store::open(StoreConfig {
        database_url: Some(db.url.clone()),
        shared_timeout: Duration::from_millis(200),
        ..config(Path::new("unused.db"))
    })
    .expect("a database that is down does not stop start-up");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!store.health().ok);
    let start = Instant::now();
    let acks: Vec<_> = (0..100)
        .map(|i| {
            store
                .log_question(q("down?", Status::Declined, None, Duration::ZERO, i))
                .ack
                .unwrap()
        })
        .collect();
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    block_on(async {
        let start = Instant::now();
        assert_eq!(store.cooldown(1, Duration::from_secs(5)).await, None);
        assert_eq!(store.cooldown(1, Duration::from_secs(5)).await, None);
        assert!(
            start.elapsed() < Duration::from_millis(600),
            "bounded, then not tried at all: {:?}",
            start.elapsed()
        );
    });
    assert!(!store.wait(*acks.last().unwrap(), Duration::from_millis(300)));
    let health = store.health();
    assert!(
        health.summary().contains("NOT WRITING"),
        "{}",
        health.summary()
    );
    assert!(
        health
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains(&db.name),
        "{health:?}"
    );
    db.bring_up().unwrap();
    store.flush(WAIT).expect("caught up");
    assert!(store.health().ok);
    assert_eq!(db.count("SELECT count(*) FROM questions"), 100);
    assert_eq!(
        db.count("SELECT max(version) FROM factdesk_schema"),
        i64::from(SCHEMA_VERSION),
        "migrated when it came up"
    );
}

#[test]
fn postgres_migrations_run_once_and_are_versioned() {
    let Some(db) = Db::new(Kind::Postgres) else {
        return;
    };
    let stores: Vec<Store> = (0..3).map(|_| db.open()).collect();
    let pg = db.pg.as_ref().unwrap();
    assert_eq!(pg.count("SELECT count(*) FROM factdesk_schema"), 1);
    assert_eq!(
        pg.count("SELECT max(version) FROM factdesk_schema"),
        i64::from(SCHEMA_VERSION)
    );
    for table in [
        "questions",
        "votes",
        "clicks",
        "dismissed",
        "alerted",
        "settings",
        "cooldowns",
        "recent_answers",
    ] {
        assert_eq!(
            pg.count(&format!(
                "SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"
            )),
            1,
            "{table}"
        );
    }
    assert!(stores.iter().all(|s| s.health().ok));
    // The location names the database, never a password.
    assert!(stores[0].location().starts_with("postgresql://"));
}

/// Schema version 2 as earlier builds made it on PostgreSQL (the SQLite migrations with
/// their types rewritten), with a question, a dismissal and the hash key in it.
const OLD_POSTGRES_V2: &str = r#"
CREATE TABLE factdesk_schema (version INTEGER NOT NULL);
CREATE TABLE settings (name TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE questions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, qid BIGINT NOT NULL,
    at BIGINT NOT NULL, guild BIGINT, channel BIGINT, "user" TEXT, question TEXT NOT NULL,
    status TEXT NOT NULL, decline TEXT, entry TEXT, suggested TEXT NOT NULL DEFAULT '',
    report TEXT, confidence DOUBLE PRECISION NOT NULL, micros BIGINT NOT NULL);
CREATE INDEX questions_at ON questions(at);
CREATE INDEX questions_qid ON questions(qid);
CREATE TABLE votes (
    message BIGINT NOT NULL, "user" TEXT NOT NULL, qid BIGINT, entry TEXT NOT NULL,
    up BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (message, "user"));
CREATE INDEX votes_at ON votes(at);
CREATE TABLE clicks (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL,
    guild BIGINT, channel BIGINT, "user" TEXT, qid BIGINT, question TEXT, entry TEXT NOT NULL);
CREATE INDEX clicks_at ON clicks(at);
CREATE INDEX clicks_qid ON clicks(qid);
CREATE TABLE dismissed (cluster TEXT PRIMARY KEY, at BIGINT NOT NULL, by TEXT);
CREATE TABLE alerted (cluster TEXT PRIMARY KEY, at BIGINT NOT NULL);
INSERT INTO factdesk_schema (version) VALUES (2);
INSERT INTO settings (name, value) VALUES ('user_hash_key', decode(repeat('ab', 32), 'hex'));
"#;

/// Every column and index of the public schema, as one line each.
fn pg_schema(db: &pg::TestDb) -> String {
    pg::scalar(
        &db.url,
        "SELECT string_agg(line, E'\n' ORDER BY line) FROM (
            SELECT format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable,
                          coalesce(column_default, '')) AS line
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') AS s",
    )
    .unwrap_or_default()
}

#[test]
fn postgres_databases_from_earlier_builds_migrate_to_the_same_schema() {
    let (Some(old), Some(fresh)) = (Db::new(Kind::Postgres), Db::new(Kind::Postgres)) else {
        return;
    };
    let (old_pg, fresh_pg) = (old.pg.as_ref().unwrap(), fresh.pg.as_ref().unwrap());
    pg::execute(&old_pg.url, OLD_POSTGRES_V2).unwrap();
    let now_ms = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    pg::execute(
        &old_pg.url,
        &format!(
            "INSERT INTO questions (qid, at, \"user\", question, status, confidence, micros)
             VALUES (7, {now_ms}, 'someone', 'an old question', 'declined', 0.1, 5)"
        ),
    )
    .unwrap();
    let store = old.open();
    assert!(store.health().ok, "{}", store.health().summary());
    assert_eq!(
        old_pg.count("SELECT max(version) FROM factdesk_schema"),
        i64::from(SCHEMA_VERSION)
    );
    // What was there is kept and read; what came later works.
    assert_eq!(store.stats(desk().matcher(), 7).unwrap().questions, 1);
    assert_eq!(
        old_pg.count("SELECT count(*) FROM settings WHERE value = decode(repeat('ab', 32), 'hex')"),
        1
    );
    let draft = factdesk::knowledge::additions::Draft {
        report: "r".into(),
        question: "q?".into(),
        variants: vec![],
        answer: "a".into(),
        paragraph: "p".into(),
        quote: "x".into(),
    };
    store.keep_draft(1, "c", &draft).unwrap();
    assert_eq!(store.kept_draft(1, "c").unwrap(), Some(draft));
    drop(store);
    let _fresh_store = fresh.open();
    assert!(pg_schema(fresh_pg).contains("drafts.quote text NO"));
    assert_eq!(pg_schema(old_pg), pg_schema(fresh_pg));
    // Opening again changes nothing: each migration runs once.
    drop(old.open());
    assert_eq!(old_pg.count("SELECT count(*) FROM factdesk_schema"), 1);
    assert_eq!(pg_schema(old_pg), pg_schema(fresh_pg));
}

#[test]
fn postgres_migrations_are_idempotent_when_the_version_is_lost() {
    let Some(db) = Db::new(Kind::Postgres) else {
        return;
    };
    let pg = db.pg.as_ref().unwrap();
    drop(db.open());
    let before = pg_schema(pg);
    // A version row lost (a restore without it): every migration runs again, harmlessly.
    pg::execute(&pg.url, "DELETE FROM factdesk_schema").unwrap();
    let store = db.open();
    assert!(store.health().ok, "{}", store.health().summary());
    assert_eq!(pg_schema(pg), before);
    assert_eq!(
        pg.count("SELECT max(version) FROM factdesk_schema"),
        i64::from(SCHEMA_VERSION)
    );
}

fn refused_drafts_survive_a_restart_and_are_shared(kind: Kind) {
    let Some(db) = Db::new(kind) else {
        return;
    };
    let draft = factdesk::knowledge::additions::Draft {
        report: "deport-one-million".into(),
        question: "How many detention beds are there?".into(),
        variants: vec![
            "number of beds".into(),
            "detention capacity, with \"quotes\"".into(),
        ],
        answer: "The report does not say.".into(),
        paragraph: "99".into(),
        quote: "beds".into(),
    };
    {
        let store = db.open();
        assert_eq!(store.kept_draft(7, "c1").unwrap(), None);
        store.keep_draft(7, "c1", &draft).unwrap();
        let mut older = draft.clone();
        older.question = "an earlier try".into();
        store.keep_draft(8, "c1", &older).unwrap();
    }
    // Reopened (a restart), and a second process on the same database.
    let (a, b) = (db.open(), db.open());
    assert_eq!(a.kept_draft(7, "c1").unwrap(), Some(draft.clone()));
    assert_eq!(b.kept_draft(7, "c1").unwrap(), Some(draft.clone()));
    assert_eq!(a.kept_draft(7, "c2").unwrap(), None, "kept per cluster");
    assert_eq!(
        a.kept_draft(8, "c1").unwrap().unwrap().question,
        "an earlier try",
        "kept per moderator"
    );
    // Fixed and refused again: the newest draft replaces the old one, for every process.
    let mut fixed = draft.clone();
    fixed.paragraph = "3".into();
    b.keep_draft(7, "c1", &fixed).unwrap();
    assert_eq!(a.kept_draft(7, "c1").unwrap(), Some(fixed));
    // Added at last: forgotten everywhere.
    a.forget_draft(7, "c1").unwrap();
    assert_eq!(b.kept_draft(7, "c1").unwrap(), None);
    assert!(b.kept_draft(8, "c1").unwrap().is_some());
    // Moderators are kept as keyed hashes, like every user id.
    assert_eq!(
        db.count("SELECT count(*) FROM drafts WHERE moderator = '8'"),
        0
    );
    assert_eq!(db.count("SELECT count(*) FROM drafts"), 1);
}

macro_rules! on_both_back_ends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Kind::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Kind::Postgres) } )*
        }
    };
}

on_both_back_ends!(
    questions_are_logged_with_a_keyed_user_hash_never_the_id,
    user_hashes_are_stable_across_restarts_and_follow_the_key,
    one_vote_per_person_per_answer_and_the_newest_wins,
    clicks_are_logged_and_tie_a_question_to_an_entry,
    retention_purges_old_records_at_start_up_and_zero_keeps_them,
    stats_count_rates_top_entries_and_votes,
    clusters_use_the_matchers_normalisation_and_dismissals_stick,
    clusters_reaching_a_few_asks_are_offered_for_posting_once,
    many_writers_on_one_database_lose_nothing,
    a_full_queue_drops_and_counts_instead_of_blocking,
    the_command_line_prints_stats_and_unanswered_clusters,
    reader_sees_what_the_writer_committed_while_it_runs,
    cooldowns_and_answered_above_are_shared_by_processes,
    refused_drafts_survive_a_restart_and_are_shared,
);
