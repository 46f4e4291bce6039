//! Sweeps the matcher's thresholds over the regression question sets and prints the
//! best settings: how the constants in `matcher::Config::DEFAULT` were chosen.
//! Run: `cargo run --release --example tune`.

use factdesk::desk::Desk;
use factdesk::eval::{self, QuestionSet};
use factdesk::knowledge::KnowledgeBase;
use factdesk::matcher::Config;

fn main() -> anyhow::Result<()> {
    let kb = KnowledgeBase::load_dir(std::path::Path::new("knowledge"))?;
    let sets: Vec<QuestionSet> = kb
        .reports
        .iter()
        .map(|r| {
            QuestionSet::load(
                &std::path::Path::new("knowledge")
                    .join(&r.folder)
                    .join("questions.jsonl"),
            )
        })
        .collect::<Result<_, _>>()?;
    let desk = Desk::new(kb);
    let mut results = Vec::new();
    for answer in [0.4, 0.45, 0.5, 0.55, 0.6] {
        for margin in [0.0, 0.02, 0.04, 0.06] {
            for coverage in [0.5, 0.6, 0.7, 0.8] {
                for unknown in [0.4, 0.6, 0.8, 1.0] {
                    for (low, lead) in [
                        (0.4, 0.1),
                        (0.35, 0.12),
                        (0.4, 0.15),
                        (0.45, 0.1),
                        (1.0, 1.0),
                    ] {
                        for cap in [2.0] {
                            let config = Config {
                                answer_threshold: answer,
                                min_margin: margin,
                                coverage_share: coverage,
                                unknown_weight: unknown,
                                unknown_cap: cap,
                                low_answer_threshold: low,
                                clear_lead: lead,
                                ..Config::DEFAULT
                            };
                            let (mut correct, mut wrong, mut total) = (0, 0, 0);
                            for set in &sets {
                                let m = eval::run(&desk, set, None, &config)?.metrics;
                                correct += (m.accuracy * m.items as f64).round() as usize;
                                wrong += m.wrong_answers;
                                total += m.items;
                            }
                            results.push((correct as f64 / total as f64, wrong, config));
                        }
                    }
                }
            }
        }
    }
    // Wrong answers cost more than misses: rank by accuracy minus three times the wrong rate.
    results.sort_by(|a, b| (b.0 - 0.03 * b.1 as f64).total_cmp(&(a.0 - 0.03 * a.1 as f64)));
    for (acc, wrong, c) in results.iter().take(15) {
        println!(
            "acc {acc:.3} wrong {wrong}  low {:.2} lead {:.2} answer {:.2} margin {:.2} coverage {:.1} unknown {:.1} cap {:.1}",
            c.low_answer_threshold, c.clear_lead, c.answer_threshold, c.min_margin, c.coverage_share, c.unknown_weight, c.unknown_cap
        );
    }
    Ok(())
}
