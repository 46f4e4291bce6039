//! Matching speed on the bundled knowledge base and on one with 10,000 generated
//! entries beside it, and the cost of loading and validating the bundled base.
//! Run: `cargo bench --bench matching`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use factdesk::eval::QuestionSet;
use factdesk::knowledge::{synthetic, KnowledgeBase};
use factdesk::matcher::{tokenize, Matcher};
use std::collections::HashMap;

// The allocator the binary uses (src/main.rs), so that the figures are the bot's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A plain BM25 (k1 = 1.2, b = 0.75) over each entry's text (question, phrasings,
/// keywords, answer), with the matcher's own tokenizer: the baseline the matcher's
/// speed is compared with. An inverted index; every entry a query word is in gets
/// scored, as a search library would.
struct Bm25 {
    postings: HashMap<String, Vec<(usize, f32)>>,
    lengths: Vec<f32>,
    average: f32,
    entries: usize,
}

impl Bm25 {
    fn new(kb: &KnowledgeBase) -> Self {
        let mut postings: HashMap<String, Vec<(usize, f32)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (i, e) in kb.entries.iter().enumerate() {
            let mut text: Vec<&str> = e.phrasings().map(String::as_str).collect();
            if let Some(answer) = e.answer() {
                text.push(answer);
            }
            let mut counts: HashMap<String, f32> = HashMap::new();
            let mut length = 0.0;
            for t in text.iter().flat_map(|t| tokenize(t)) {
                *counts.entry(t.surface).or_default() += 1.0;
                length += 1.0;
            }
            for (word, n) in counts {
                postings.entry(word).or_default().push((i, n));
            }
            lengths.push(length);
        }
        let average = lengths.iter().sum::<f32>() / lengths.len().max(1) as f32;
        Self {
            postings,
            lengths,
            average,
            entries: kb.entries.len(),
        }
    }

    fn best(&self, question: &str) -> Option<usize> {
        let mut scores: HashMap<usize, f32> = HashMap::new();
        for t in tokenize(question) {
            let Some(list) = self.postings.get(&t.surface) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = ((self.entries as f32 - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(entry, tf) in list {
                let norm = 1.2 * (0.25 + 0.75 * self.lengths[entry] / self.average);
                *scores.entry(entry).or_default() += idf * tf * 2.2 / (tf + norm);
            }
        }
        scores
            .into_iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, _)| e)
    }
}

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
    let bm25 = Bm25::new(&kb);
    let mut i = 0;
    c.bench_function("bm25_bundled", |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            black_box(bm25.best(black_box(&questions[i])))
        })
    });

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
