//! Sweeps the ranking settings of the matcher over the training question sets and
//! every phrasing left out in turn, printing how often the first choice is right
//! (what no threshold can fix). Run: `cargo run --release --example tune`.
//! Only training sets: a setting chosen here is judged on the next blind batch.

use std::path::Path;

use factdesk::desk::Desk;
use factdesk::eval::{self, QuestionSet};
use factdesk::knowledge::KnowledgeBase;
use factdesk::matcher::Config;

fn first_choice(rows: &[(factdesk::matcher::Features, bool)]) -> f64 {
    rows.iter().filter(|(_, r)| *r).count() as f64 / rows.len().max(1) as f64
}

fn main() -> anyhow::Result<()> {
    let root = Path::new("knowledge");
    let kb = KnowledgeBase::load_dir(root)?;
    let sets: Vec<QuestionSet> = std::env::args()
        .skip(1)
        .map(|f| QuestionSet::load(Path::new(&f)))
        .collect::<Result<_, _>>()?;
    let variants: Vec<(&str, Config)> = vec![
        ("default", Config::DEFAULT),
        (
            "binary credit",
            Config {
                share_saturation: 1e-6,
                ..Config::DEFAULT
            },
        ),
        (
            "saturation 0.03",
            Config {
                share_saturation: 0.03,
                ..Config::DEFAULT
            },
        ),
        (
            "saturation 0.3",
            Config {
                share_saturation: 0.3,
                ..Config::DEFAULT
            },
        ),
        (
            "coverage 0.6",
            Config {
                coverage_share: 0.6,
                ..Config::DEFAULT
            },
        ),
        (
            "coverage 0.9",
            Config {
                coverage_share: 0.9,
                ..Config::DEFAULT
            },
        ),
        (
            "answer credit 0.3",
            Config {
                answer_field_credit: 0.3,
                ..Config::DEFAULT
            },
        ),
        (
            "answer credit 0.8",
            Config {
                answer_field_credit: 0.8,
                ..Config::DEFAULT
            },
        ),
    ];
    for (name, config) in variants {
        let desk = Desk::with_config(kb.clone(), config);
        let mut line = format!("{name:<20}");
        for set in &sets {
            let result = eval::run(&desk, set, None, &config)?;
            line.push_str(&format!(
                " first {:.3} acc {:.3} wrong {:.3} |",
                first_choice(&result.calibration_rows()),
                result.metrics.accuracy,
                result.metrics.wrong_answer_rate
            ));
        }
        let loo = eval::leave_one_out(&desk, None, &config);
        line.push_str(&format!(
            " loo first {:.3} acc {:.3}",
            first_choice(&loo.calibration_rows()),
            loo.metrics.accuracy
        ));
        println!("{line}");
    }
    Ok(())
}
