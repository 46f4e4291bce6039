//! Generated reports for benchmarks and scale tests: many entries in made-up words,
//! mixed with common English and news words, so an index is tested against real
//! overlap with the reports people ask about.

use super::{Body, Entry, KnowledgeBase, Report, Source};

/// A small deterministic generator (no dependency needed for reproducible noise).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ren", "tas", "vo", "dun", "pel", "sor", "bri", "gha", "nex", "qui", "zal",
    "fo", "tri", "mar", "ulo", "wen", "ish", "cor", "dal", "pim", "sev",
];

const COMMON: [&str; 24] = [
    "people",
    "year",
    "government",
    "plan",
    "city",
    "money",
    "court",
    "country",
    "official",
    "report",
    "number",
    "million",
    "president",
    "law",
    "police",
    "school",
    "budget",
    "council",
    "mayor",
    "minister",
    "border",
    "program",
    "agency",
    "vote",
];

const FRAMES: [&str; 6] = [
    "How many {} {} {}?",
    "What did {} say about {} {}?",
    "Why is {} {} {}?",
    "Who runs {} {} {}?",
    "When will {} {} {}?",
    "Where is {} {} {}?",
];

fn word(rng: &mut Lcg) -> String {
    let n = 2 + (rng.next() % 2) as usize;
    (0..n).map(|_| rng.pick(&SYLLABLES)).collect()
}

fn phrase(rng: &mut Lcg, words: &[String]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let frame = rng.pick(&FRAMES);
    for _ in 0..3 {
        let w = if rng.next().is_multiple_of(3) {
            rng.pick(&COMMON).to_string()
        } else {
            words[(rng.next() as usize) % words.len()].clone()
        };
        parts.push(w);
    }
    let mut out = frame.to_string();
    for p in parts {
        out = out.replacen("{}", &p, 1);
    }
    out
}

/// Adds `count` generated entries to `kb`, `per_report` to a report, each report with
/// its own made-up vocabulary of a few hundred words.
pub fn add_synthetic(kb: &mut KnowledgeBase, count: usize, per_report: usize) {
    let mut rng = Lcg(0x5eed);
    let per_report = per_report.max(1);
    let reports = count.div_ceil(per_report);
    for r in 0..reports {
        let vocabulary: Vec<String> = (0..400).map(|_| word(&mut rng)).collect();
        let paragraphs: Vec<String> = (0..40)
            .map(|_| {
                (0..30)
                    .map(|_| vocabulary[(rng.next() as usize) % vocabulary.len()].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let report_index = kb.reports.len();
        kb.reports.push(Report {
            id: format!("synthetic-{r}"),
            title: format!("Synthetic report {r}"),
            attribution: "Generated for benchmarks".into(),
            language: "en".into(),
            date: None,
            url: None,
            byline: None,
            outlet: None,
            retired: false,
            default: false,
            paragraphs: paragraphs.clone(),
            folder: format!("synthetic-{r}").into(),
            synonyms: Vec::new(),
        });
        let n = per_report.min(count - r * per_report);
        for i in 0..n {
            let p = (rng.next() as usize) % paragraphs.len();
            let quote: String = paragraphs[p]
                .split(' ')
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            kb.entries.push(Entry {
                id: format!("synthetic-{r}-{i}"),
                report: report_index,
                topic: format!("Topic {}", i % 12),
                question: phrase(&mut rng, &vocabulary),
                variants: (0..4).map(|_| phrase(&mut rng, &vocabulary)).collect(),
                keywords: vec![format!(
                    "{} {}",
                    vocabulary[i % vocabulary.len()],
                    rng.pick(&COMMON)
                )],
                body: Body::Fact {
                    answer: format!("{} {} {}.", quote, rng.pick(&COMMON), word(&mut rng)),
                    source: Source {
                        paragraph: p + 1,
                        quote,
                    },
                },
                related: Vec::new(),
            });
        }
    }
}
