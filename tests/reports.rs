//! Several reports side by side, and every report's own regression question set
//! scored against the bar: a newsroom that adds a report adds its questions, and
//! `cargo test` guards them.

mod util;

use std::path::Path;

use factdesk::desk::Desk;
use factdesk::eval::{self, QuestionSet};
use factdesk::knowledge::{synthetic, KnowledgeBase};
use factdesk::matcher::Config;
use factdesk::reply::Status;
use util::*;

/// The bar every report's question set must clear: a regression guard set just under
/// what the matcher scores on these (tuned) sets, not a measure of quality; the
/// measure is the blind batches in docs/quality-log.md.
const MIN_ACCURACY: f64 = 0.78;
const MAX_WRONG_ANSWER_RATE: f64 = 0.03;
const MIN_ANSWER_RECALL: f64 = 0.70;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let path = item.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The repository's knowledge plus the second report from the test fixtures.
fn two_reports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_knowledge(), dir.path());
    copy_dir(&second_report_fixture(), &dir.path().join("city-bikes"));
    dir
}

#[test]
fn each_answer_cites_its_own_report() {
    let dir = two_reports();
    let desk = Desk::new(KnowledgeBase::load_dir(dir.path()).unwrap());
    assert_eq!(desk.knowledge().reports.len(), 2);
    let cases = [
        (
            "How many people does the administration want to deport?",
            "deport-one-million",
        ),
        ("How many shared bikes will Northvale add?", "city-bikes"),
        ("who is ana lind", "city-bikes"),
        ("who is doris meissner", "deport-one-million"),
    ];
    for (question, report) in cases {
        let reply = desk.ask(question, None).unwrap();
        assert_eq!(reply.status, Status::Answered, "{question}");
        assert_eq!(reply.report.as_deref(), Some(report), "{question}");
        let citation = reply.citation.unwrap();
        assert_eq!(citation.report, report, "{question}");
        let kb = desk.knowledge();
        let r = &kb.reports[kb.report_index(report).unwrap()];
        assert!(
            r.paragraph(citation.paragraph)
                .unwrap()
                .contains(&citation.quote),
            "{question}"
        );
        assert_eq!(citation.title, r.title);
    }
}

#[test]
fn report_flag_restricts_a_question_to_one_report() {
    let dir = two_reports();
    let desk = Desk::new(KnowledgeBase::load_dir(dir.path()).unwrap());
    let q = "How many people does the administration want to deport?";
    let reply = desk.ask(q, Some("city-bikes")).unwrap();
    assert_ne!(
        reply.status,
        Status::Answered,
        "a bikes report must not answer a deportation question"
    );
    let bikes = desk.knowledge().report_index("city-bikes").unwrap();
    for s in reply.suggestions.iter() {
        assert_eq!(
            desk.knowledge().entry(&s.entry).unwrap().report,
            bikes,
            "suggestions stay in the report"
        );
    }
    let reply = desk.ask(q, Some("deport-one-million")).unwrap();
    assert_eq!(reply.status, Status::Answered);

    // The same through the command line.
    let out = factdesk(
        &[
            "--knowledge",
            dir.path().to_str().unwrap(),
            "ask",
            "--json",
            "--report",
            "city-bikes",
            q,
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_ne!(v["status"], "answered");
}

fn check_bar(desk: &Desk, set: &QuestionSet, report: &str) -> eval::Metrics {
    let result = eval::run(desk, set, Some(report), &Config::DEFAULT).unwrap();
    let m = result.metrics.clone();
    let failures: Vec<String> = result
        .failures()
        .map(|o| format!("{} {:?} {}", o.id, o.verdict, o.question))
        .collect();
    assert!(
        m.accuracy >= MIN_ACCURACY,
        "{report}: accuracy {:.3} < {MIN_ACCURACY}\n{}",
        m.accuracy,
        failures.join("\n")
    );
    assert!(
        m.wrong_answer_rate <= MAX_WRONG_ANSWER_RATE,
        "{report}: wrong-answer rate {:.3} > {MAX_WRONG_ANSWER_RATE}\n{}",
        m.wrong_answer_rate,
        failures.join("\n")
    );
    assert!(
        m.answer_recall >= MIN_ANSWER_RECALL,
        "{report}: answer recall {:.3}\n{}",
        m.answer_recall,
        failures.join("\n")
    );
    m
}

/// Every report folder with a `questions.jsonl` is scored; none may fall below the bar.
#[test]
fn every_report_question_set_meets_the_bar() {
    let dir = two_reports();
    let desk = Desk::new(KnowledgeBase::load_dir(dir.path()).unwrap());
    let mut scored = 0;
    for report in &desk.knowledge().reports {
        let path = dir.path().join(&report.folder).join("questions.jsonl");
        let set = QuestionSet::load(&path).unwrap_or_else(|e| {
            panic!("{report:?} needs its question set: {e}", report = report.id)
        });
        check_bar(&desk, &set, &report.id);
        scored += 1;
    }
    assert_eq!(scored, 2);
}

/// Ten thousand generated entries in other reports must not make the bot worse at this one.
#[test]
fn more_reports_do_not_make_answers_worse() {
    let mut kb = KnowledgeBase::load_dir(&repo_knowledge()).unwrap();
    let set =
        QuestionSet::load(&repo_knowledge().join("deport-one-million/questions.jsonl")).unwrap();
    let alone = eval::run(&Desk::new(kb.clone()), &set, None, &Config::DEFAULT)
        .unwrap()
        .metrics;
    synthetic::add_synthetic(&mut kb, 10_000, 1_000);
    let crowded = eval::run(&Desk::new(kb), &set, None, &Config::DEFAULT)
        .unwrap()
        .metrics;
    assert!(
        crowded.accuracy >= alone.accuracy - 0.01,
        "alone {:.3}, with 10k others {:.3}",
        alone.accuracy,
        crowded.accuracy
    );
    assert!(
        crowded.wrong_answers <= alone.wrong_answers,
        "alone {}, with 10k others {}",
        alone.wrong_answers,
        crowded.wrong_answers
    );
}
