//! The question log: how many logged questions per second the store commits (bar:
//! ≥ 20,000), and what logging adds to answering a question (bar: ≤ 5 %).
//! Run: `cargo bench --bench store`.
//!
//! The bot answers first and logs after the reply is sent: on the answering path there
//! is only a question id taken for the vote buttons. "Answering" below is that path,
//! timed up to the reply being ready; the log call that follows is timed on its own
//! (`answering/log_question_call`) and still runs in every "logging on" iteration, so
//! the writer's work competes for the same CPUs as it would in the bot.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{criterion_group, Criterion, Throughput};
use factdesk::desk::Desk;
use factdesk::eval::QuestionSet;
use factdesk::knowledge::KnowledgeBase;
use factdesk::reply::Status;
use factdesk::store::{QuestionLog, Store, StoreConfig};

fn questions() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/knowledge/deport-one-million/questions.jsonl"
    );
    let set = QuestionSet::load(std::path::Path::new(path)).expect("question set");
    set.items.into_iter().map(|(item, _)| item.q).collect()
}

fn record(i: u64) -> QuestionLog {
    QuestionLog {
        at: SystemTime::now(),
        guild: Some(123_456_789_012_345_678),
        channel: Some(223_456_789_012_345_678),
        user: Some(i % 5_000),
        question: format!("how many people were deported to country number {i}?"),
        status: Status::Suggested,
        decline: None,
        entry: None,
        suggested: vec!["third-countries".into(), "deport-goal".into()],
        report: Some("deport-one-million".into()),
        confidence: 0.5,
        matching: Duration::from_micros(50),
    }
}

/// Logs a burst of questions and waits until the last one is committed (on disk).
fn throughput(c: &mut Criterion) {
    const BURST: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("bench.db"))).unwrap();
    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(BURST));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    let mut n = 0;
    group.bench_function("log_and_commit_20k_questions", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                let mut last = None;
                for _ in 0..BURST {
                    n += 1;
                    last = store.log_question(record(n)).ack.or(last);
                }
                assert!(store.wait(last.expect("queued"), Duration::from_secs(60)));
            }
            start.elapsed()
        })
    });
    group.finish();
    let health = store.health();
    eprintln!("store after the throughput run: {}", health.summary());
    assert_eq!(
        health.dropped, 0,
        "nothing dropped: the figure is for committed records"
    );
}

/// `Desk::ask_timed` alone, then with the question logged as the bot does.
fn answering(c: &mut Criterion) {
    let questions = questions();
    let desk = Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"));
    let config = desk.matcher().config();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("bench.db"))).unwrap();
    let mut group = c.benchmark_group("answering");
    group.measurement_time(Duration::from_secs(8));
    let mut i = 0;
    group.bench_function("ask_logging_off", |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            black_box(
                desk.ask_timed(black_box(&questions[i]), None, &config)
                    .unwrap(),
            )
        })
    });
    group.bench_function("ask_logging_on", |b| {
        b.iter_custom(|iters| {
            let mut answering = Duration::ZERO;
            for _ in 0..iters {
                i = (i + 1) % questions.len();
                let start = Instant::now();
                let id = store.reserve_question_id();
                let answered = desk
                    .ask_timed(black_box(&questions[i]), None, &config)
                    .unwrap();
                black_box((&answered, id));
                answering += start.elapsed();
                // The reply is sent here; then the question is logged.
                let record = QuestionLog::from_reply(&answered.reply, answered.elapsed).asked_by(
                    Some(1),
                    Some(2),
                    Some(i as u64),
                );
                black_box(store.log_question_as(id, record));
            }
            answering
        })
    });
    group.finish();
    store.flush(Duration::from_secs(60)).unwrap();
    // Asked flat out (~30,000 a second, far beyond any bot) the writer may fall behind on a
    // busy machine and drop records rather than slow answering: say how many.
    eprintln!(
        "store after the answering run: {}",
        store.health().summary()
    );
}

/// Answering time with logging off and on, interleaved in blocks so that the machine's
/// other load hits both alike, at a steady 4,000 questions a second; per-answer times,
/// pauses not counted. Prints medians, means and p99.
fn interleaved(questions: &[String]) {
    const ROUNDS: usize = 20;
    const BLOCK: usize = 1_000;
    let pace = Duration::from_micros(250);
    let desk = Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"));
    let config = desk.matcher().config();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("bench.db"))).unwrap();
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let mut i = 0;
    for round in 0..ROUNDS {
        for logging in [round % 2 == 0, round % 2 == 1] {
            for _ in 0..BLOCK {
                i = (i + 1) % questions.len();
                let start = Instant::now();
                let id = logging.then(|| store.reserve_question_id());
                let answered = desk
                    .ask_timed(black_box(&questions[i]), None, &config)
                    .unwrap();
                black_box((&answered, id));
                let spent = start.elapsed();
                // The reply is sent here; then the question is logged.
                if let Some(id) = id {
                    let record = QuestionLog::from_reply(&answered.reply, answered.elapsed)
                        .asked_by(Some(1), Some(2), Some(i as u64));
                    black_box(store.log_question_as(id, record));
                }
                if logging {
                    on.push(spent)
                } else {
                    off.push(spent)
                }
                while start.elapsed() < pace {
                    std::hint::spin_loop();
                }
            }
        }
    }
    store.flush(Duration::from_secs(60)).unwrap();
    let summary = |v: &mut Vec<Duration>| {
        v.sort();
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let mean = v.iter().map(|d| micros(*d)).sum::<f64>() / v.len() as f64;
        (micros(v[v.len() / 2]), mean, micros(v[v.len() * 99 / 100]))
    };
    let (off, on) = (summary(&mut off), summary(&mut on));
    let pct = |a: f64, b: f64| (b / a - 1.0) * 100.0;
    eprintln!(
        "answering, interleaved, {} asks each at 4,000/s: median off {:.1} µs, on {:.1} µs ({:+.1} %); \
         mean off {:.1} µs, on {:.1} µs ({:+.1} %); p99 off {:.1} µs, on {:.1} µs; store: {}",
        ROUNDS / 2 * BLOCK * 2,
        off.0, on.0, pct(off.0, on.0), off.1, on.1, pct(off.1, on.1), off.2, on.2,
        store.health().summary()
    );
}

/// What logging adds to the answering path, alone: building the record, hashing the
/// user, queueing. (Called far faster than any writer commits, so most of these records
/// are dropped at the full queue: the cost measured is the caller's either way.)
fn log_call(c: &mut Criterion) {
    let desk = Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"));
    let answered = desk
        .ask_timed(&questions()[0], None, &desk.matcher().config())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("bench.db"))).unwrap();
    c.bench_function("answering/log_question_call", |b| {
        b.iter(|| {
            let record = QuestionLog::from_reply(&answered.reply, answered.elapsed).asked_by(
                Some(1),
                Some(2),
                Some(7),
            );
            black_box(store.log_question(record))
        })
    });
    eprintln!("store after the log call run: {}", store.health().summary());
    c.bench_function("answering/log_parts/record_from_reply", |b| {
        b.iter(|| {
            black_box(QuestionLog::from_reply(
                black_box(&answered.reply),
                answered.elapsed,
            ))
        })
    });
    c.bench_function("answering/log_parts/user_hash", |b| {
        b.iter(|| black_box(store.user_hash(black_box(7))))
    });
    c.bench_function("answering/log_parts/system_time", |b| {
        b.iter(|| black_box(SystemTime::now()))
    });
}

criterion_group!(benches, throughput, answering, log_call);

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if filter.is_empty()
        || filter
            .iter()
            .any(|f| "answering/interleaved".contains(f.as_str()))
    {
        interleaved(&questions());
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
