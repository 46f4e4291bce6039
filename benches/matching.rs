//! Matching speed on the bundled knowledge base and on one with 10,000 generated
//! entries beside it, and the cost of loading and validating the bundled base.
//! Run: `cargo bench --bench matching`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use factdesk::eval::QuestionSet;
use factdesk::knowledge::{synthetic, KnowledgeBase};
use factdesk::matcher::Matcher;

fn questions() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/knowledge/deport-one-million/questions.jsonl"
    );
    let set = QuestionSet::load(std::path::Path::new(path)).expect("question set");
    set.items.into_iter().map(|(item, _)| item.q).collect()
}

/// Each iteration asks the next question of the set, so the median is per question.
fn bench_questions(c: &mut Criterion, name: &str, matcher: &Matcher, questions: &[String]) {
    let mut i = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            black_box(matcher.ask(black_box(&questions[i]), None))
        })
    });
}

fn matching(c: &mut Criterion) {
    let questions = questions();
    let kb = KnowledgeBase::bundled().expect("bundled knowledge");
    bench_questions(c, "match_bundled", &Matcher::new(&kb), &questions);

    let mut big = kb.clone();
    synthetic::add_synthetic(&mut big, 10_000, 1_000);
    bench_questions(
        c,
        "match_with_10k_generated",
        &Matcher::new(&big),
        &questions,
    );
}

fn loading(c: &mut Criterion) {
    c.bench_function("load_validate_bundled", |b| {
        b.iter(|| black_box(KnowledgeBase::bundled().expect("valid")))
    });
    c.bench_function("load_validate_index_bundled", |b| {
        b.iter(|| {
            let kb = KnowledgeBase::bundled().expect("valid");
            black_box(Matcher::new(&kb))
        })
    });
}

criterion_group!(benches, matching, loading);
criterion_main!(benches);
